"""A person typing a case code costs an Argon2id derivation (a quarter of a second with the
production parameters); other people's messages do not wait for it on SQLite's one writer,
nor does a checkpoint (it runs outside any transaction)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from bot.channels.base import InboundMessage
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from bot.conversation.flows import FlowCatalog
from bot.conversation.service import ConversationService
from storage import cases
from tests.conftest import Office
from tests.integration.test_console import intake
from tests.meanwhile import during_derivation

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


async def test_another_persons_message_does_not_wait_for_a_typed_case_code(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(NOW)
    service = ConversationService(office.store, FlowCatalog("mini"), response_time={}, clock=clock)
    handled = []

    async def another_person_writes_and_the_log_is_cleared() -> None:
        other = InboundMessage("memory", "someone-else", "m1", command="start", language="de")
        handled.append((await service.handle(other)).status)
        # Clearing the write-ahead log waits for every reader's snapshot, holding the writer:
        # the derivation holds none.
        assert await office.store.db.clear_wal()

    resuming = service.resume_with_code("webchat", "device-new", None, "ABCD-EFGH-JKLM")
    resumed = await during_derivation(
        monkeypatch, cases, resuming, another_person_writes_and_the_log_is_cleared
    )
    assert handled == ["processed"]
    assert resumed is None  # a code that fits no case opens nothing


async def test_a_case_deleted_while_its_code_is_tried_opens_no_other_case(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deleted case's id can come back (SQLite after a restore that rewound the counter).
    The case is deleted (on its first device, say) while its code is tried on a new one, and
    a newcomer's case is handed over meanwhile: the code must not move the newcomer's case to
    the new device."""
    channel = MemoryChannel()
    person, first = await intake(office, channel, account="Der erste Fall")
    assert person.last is not None and person.last.case is not None
    code = person.last.case.case_code
    lookup = cases.open_with_code
    newcomers = []

    async def meanwhile(wraps: Any, kdf: Any) -> tuple[int, bytes] | None:
        found = await lookup(wraps, kdf)
        async with office.store.tx() as other:
            await cases.delete_case(other, first)
            # Numbers are not given twice (migration 0012), but a restore from a backup made
            # before this case rewinds the counter (docs/operations.md): as then, the deleted
            # case's number comes back.
            await other.session.execute(
                text("UPDATE sqlite_sequence SET seq = seq - 1 WHERE name = 'cases'")
            )
        newcomers.append(await intake(office, channel, account="Ein neuer Fall"))
        return found

    monkeypatch.setattr(cases, "open_with_code", meanwhile)
    service = ConversationService(
        office.store, FlowCatalog("mini"), response_time={}, clock=ManualClock(NOW)
    )
    assert await service.resume_with_code("webchat", "device-new", None, code) is None
    newcomer, second = newcomers[0]
    assert second == first  # the id came back, which is what makes this matter
    # The newcomer's case stays theirs: their next message still reaches it on their device.
    await newcomer.send(text="Noch eine Frage")
    assert newcomer.last is not None and newcomer.last.status == "processed"
    async with office.store.read() as tx:
        assert await cases.contact_of(tx, second) is not None
        assert await cases.entry(tx, second) is not None
