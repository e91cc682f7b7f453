"""One person's messages never run their turns at once, also across replicas: the second
transaction reads the conversation only after the first one committed, and sees its change
(the owner is checked in the same transaction as any bot reply). On PostgreSQL the row lock
of the conversation does it, on SQLite the single writer."""

from __future__ import annotations

import asyncio

import pytest

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


@pytest.mark.parametrize("known", [True, False], ids=["known person", "new person"])
async def test_two_messages_at_once_without_an_open_conversation_start_one(
    office: Office, known: bool
) -> None:
    """A person with no open conversation (the last one closed, or never written before)
    sends two messages at once, and two replicas take one each: the first starts the
    conversation, the second waits for its commit and answers in the same one. Two would
    split the person's answers between two dialogs, and later between two cases."""
    store = office.store
    address = f"person-two-at-once-{known}"
    async with store.tx() as tx:
        version = await flows.current(tx, "mini")
        assert version is not None
        if known:
            contact = await contacts.contact_for(tx, "memory", address)
            closed = await conversations.start(tx, contact.id, version.id, "de", None)
            assert await conversations.set_owner(tx, closed.id, "bot", "closed")

    first_started = asyncio.Event()
    first_may_commit = asyncio.Event()

    async def open_or_start() -> int:
        async with store.tx() as tx:
            contact, conv = await conversations.contact_and_active(tx, "memory", address)
            if conv is None:
                conv = await conversations.start(tx, contact.id, version.id, "de", None)
            if not first_started.is_set():
                first_started.set()
                await first_may_commit.wait()
            return conv.id

    one = asyncio.create_task(open_or_start())
    await first_started.wait()
    two = asyncio.create_task(open_or_start())
    await asyncio.sleep(0.5)
    assert not two.done(), "the second message looked while the first was starting"
    first_may_commit.set()
    first_id, second_id = await one, await asyncio.wait_for(two, 10)
    assert first_id == second_id
    async with store.read() as tx:
        person = await contacts.find(tx, "memory", address)
        assert person is not None
        open_ = [c for c in await conversations.all_for(tx, person.id) if c.owner != "closed"]
    assert [c.id for c in open_] == [first_id]
