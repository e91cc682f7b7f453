"""A person typing a case code costs an Argon2id derivation (a quarter of a second with the
production parameters); other people's messages do not wait for it on SQLite's one writer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.channels.base import InboundMessage
from bot.clock import ManualClock
from bot.conversation.flows import FlowCatalog
from bot.conversation.service import ConversationService
from storage.crypto import KdfParams
from storage.store import Store
from tests.conftest import Office

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SLOW = KdfParams(time_cost=9, memory_cost_kib=65536)
"""Three times the production cost: the other person's whole message fits into the
derivation even on a loaded machine."""


async def test_another_persons_message_does_not_wait_for_a_typed_case_code(
    office: Office,
) -> None:
    clock = ManualClock(NOW)
    store = Store(office.store.db, office.store.keys, SLOW, clock=clock)
    service = ConversationService(store, FlowCatalog("mini"), response_time={}, clock=clock)

    resuming = asyncio.create_task(
        service.resume_with_code("webchat", "device-new", None, "ABCD-EFGH-JKLM")
    )
    await asyncio.sleep(0.02)  # the derivation has begun
    other = InboundMessage("memory", "someone-else", "m1", command="start", language="de")
    assert (await service.handle(other)).status == "processed"
    assert not resuming.done(), "the other person's message waited for the derivation"
    assert await resuming is None  # a code that fits no case opens nothing
