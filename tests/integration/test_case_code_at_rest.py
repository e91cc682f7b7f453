"""The case code never rests where the server key reaches, and a handover leaves no old copy of
the person's bot-phase words in SQLite's write-ahead log.

Someone with the database files and the server key must not find the code (it opens the whole
case) nor the person's account from before the handover: not in the outbox, not in the
transcript, not in the -wal file. The person still gets the code, once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.channels.base import InboundMessage
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from bot.conversation.code_hold import CONSOLE_TEXT, for_console, gone_text
from bot.conversation.flows import FlowCatalog
from bot.conversation.service import ConversationService
from bot.delivery.worker import DeliveryWorker
from bot.settings import DeliverySettings
from storage import cases
from storage.db import sqlite_file
from storage.integrity import outbox_aad
from storage.models import OutboxItem
from storage.store import Store
from tests.conftest import Office
from tests.integration.test_conversation import NOW, RESPONSE, Person

CANARY = "Kranich-Tapir-4410-canary"


@pytest.fixture
def channel() -> MemoryChannel:
    return MemoryChannel()


async def _intake_without_delivery(office: Office, channel: MemoryChannel) -> Person:
    """A whole intake whose replies stay in the outbox (nobody delivers yet)."""
    person = Person(office.store, channel)
    for i, fields in enumerate(
        (
            {"command": "start", "language": "de"},
            {"choice": "accept"},
            {"choice": "no"},
            {"choice": "this_week"},
            {"choice": "garbsen"},
            {"text": f"Man hat mir die Wohnung nicht gegeben. {CANARY}"},
        )
    ):
        msg = InboundMessage(channel.name, person.address, f"rest-{i}", **fields)  # type: ignore[arg-type]
        person.last = await person.service.handle(msg)
    assert person.last is not None and person.last.case is not None
    return person


async def _outbox_payloads(store: Store) -> list[str]:
    async with store.read() as tx:
        rows = list(await tx.session.scalars(select(OutboxItem)))
        return [
            tx.keys.decrypt(
                "outbox", row.payload_ct, outbox_aad(row.contact_id, row.delivery_id)
            ).decode()
            for row in rows
        ]


def _restarted(office: Office, channel: MemoryChannel) -> DeliveryWorker:
    """The delivery worker of a new process: its memory never held a case code."""
    clock = ManualClock(NOW)
    later = ConversationService(
        office.store, FlowCatalog("mini"), response_time=RESPONSE, clock=clock
    )
    settings = DeliverySettings(backoff_initial_seconds=0.01)
    return DeliveryWorker(
        office.store, {channel.name: channel}, settings, clock=clock, reveal=later.codes.reveal
    )


async def _assert_no_copy_left(store: Store, *secrets: str) -> None:
    """The database, -wal and -shm files hold none of `secrets`, and the -wal is empty."""
    await store.wal_cleared()
    path = sqlite_file(store.db.url.render_as_string(hide_password=False))
    assert path is not None
    files = {p.name: p.read_bytes() for p in sorted(path.parent.glob(path.name + "*"))}
    assert next(data for name, data in files.items() if name.endswith("-wal")) == b""
    for name, data in files.items():
        for secret in secrets:
            assert secret.encode() not in data, name


async def test_the_code_is_in_no_stored_reply_and_no_transcript_line_but_reaches_the_person(
    office: Office, channel: MemoryChannel
) -> None:
    person = await _intake_without_delivery(office, channel)
    assert person.last is not None and person.last.case is not None
    code, case_id = person.last.case.case_code, person.last.case.case_id

    stored = await _outbox_payloads(office.store)
    assert stored and all(code not in payload for payload in stored)
    async with office.store.tx() as tx:
        found = await cases.private_key_for_code(tx, code)
        assert found is not None
        content = await cases.read(tx, case_id, found[1])
    assert all(code not in str(line.body) for line in content.transcript)
    handover = content.transcript[-1]
    assert for_console(str(handover.body["text"])).count(CONSOLE_TEXT) == 1

    while await person.worker.run_once():
        pass
    told = channel.to(person.address)[-1]
    assert code in told.text and told.case_code == code


async def test_after_a_restart_the_person_is_told_honestly_that_the_code_is_gone(
    office: Office, channel: MemoryChannel
) -> None:
    person = await _intake_without_delivery(office, channel)
    assert person.last is not None and person.last.case is not None
    code = person.last.case.case_code
    worker = _restarted(office, channel)  # the reply waited in the outbox
    while await worker.run_once():
        pass
    told = channel.to(person.address)[-1]
    assert code not in told.text and told.case_code is None
    assert "{case_code}" not in told.text
    assert gone_text("de") in told.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_no_old_copy_is_left_in_the_sqlite_files_after_handover_and_deletion(
    office: Office, channel: MemoryChannel
) -> None:
    # PostgreSQL's residue (dead tuples, WAL) is described in docs/threat-model.md.
    person = await _intake_without_delivery(office, channel)
    assert person.last is not None and person.last.case is not None
    code = person.last.case.case_code
    # Right after the handover the write-ahead log is cut to nothing: the page images that
    # held the person's bot-phase lines under the server key are gone with it.
    await _assert_no_copy_left(office.store, CANARY, code)

    while await person.worker.run_once():
        pass
    assert await person.service.forget(channel.name, person.address) == 1
    await _assert_no_copy_left(office.store, CANARY, code)
