"""One person's messages never run their turns at once, also across replicas: the second
transaction reads the conversation only after the first one committed, and sees its change
(the owner is checked in the same transaction as any bot reply). On PostgreSQL the row lock
of the conversation does it, on SQLite the single writer."""

from __future__ import annotations

import asyncio

from storage import contacts, conversations, flows
from storage.records import ConversationRef
from tests.conftest import Office

ADDRESS = "person-lock"


async def test_a_second_message_waits_for_the_first_and_sees_the_owner_it_left(
    office: Office,
) -> None:
    store = office.store
    async with store.tx() as tx:
        contact = await contacts.contact_for(tx, "memory", ADDRESS)
        version = await flows.current(tx, "mini")
        assert version is not None
        await conversations.start(tx, contact.id, version.id, "de", None)

    first_holds = asyncio.Event()
    first_may_commit = asyncio.Event()

    async def first() -> None:
        async with store.tx() as tx:
            _, conv = await conversations.contact_and_active(tx, "memory", ADDRESS)
            assert conv is not None
            # e.g. a counsellor's close, or this message ending the dialog
            assert await conversations.set_owner(tx, conv.id, "bot", "closed")
            first_holds.set()
            await first_may_commit.wait()

    async def second() -> ConversationRef | None:
        await first_holds.wait()
        async with store.tx() as tx:
            _, conv = await conversations.contact_and_active(tx, "memory", ADDRESS)
            return conv

    one = asyncio.create_task(first())
    two = asyncio.create_task(second())
    await first_holds.wait()
    await asyncio.sleep(0.5)
    assert not two.done(), "the second read the conversation while the first still held it"
    first_may_commit.set()
    await one
    assert await asyncio.wait_for(two, 10) is None  # it saw the closed conversation
