"""An ordinary answer runs as a light unit of work, without an ORM session
(storage/light.py); anything else is run again in a session. What a person and the office
must be able to rely on either way, on SQLite and PostgreSQL: the same conversation comes
out of both, every row still carries its MAC, and a message that needed a session keeps
nothing of its light try (no line, receipt or case twice)."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import ORMExecuteState, Session

from bot.channels.base import InboundMessage
from bot.channels.memory import MemoryChannel
from storage import contacts, conversations, integrity
from storage.models import Case, Conversation, InboundReceipt, Message
from storage.store import Store
from tests.conftest import Office
from tests.integration.test_conversation import Person

_ids = itertools.count(1)

STEPS: list[dict[str, Any]] = [
    {"command": "start", "language": "de"},
    {"choice": "accept"},
    {"choice": "no"},
    {"choice": "this_week"},
    {"choice": "garbsen"},
]


@contextlib.contextmanager
def orm_statements() -> Iterator[list[str]]:
    """Every statement run through an ORM session while the block runs."""
    seen: list[str] = []

    def count(state: ORMExecuteState) -> None:
        seen.append(type(state.statement).__name__)

    event.listen(Session, "do_orm_execute", count)
    try:
        yield seen
    finally:
        event.remove(Session, "do_orm_execute", count)


def _message(person: Person, **fields: Any) -> InboundMessage:
    return InboundMessage(person.channel.name, person.address, f"m{next(_ids)}", **fields)


async def _conversation(store: Store, address: str) -> tuple[list[Any], Any, Conversation]:
    """The conversation's lines (sender, body) and dialog state, each row's MAC checked."""
    async with store.read() as tx:
        contact = await contacts.find(tx, "memory", address)
        assert contact is not None
        conversation = await conversations.active_for(tx, contact.id)
        assert conversation is not None
        lines = await conversations.bot_phase_lines(tx, conversation.id)
        state = await conversations.load_state(tx, conversation.id)
        row = await tx.session.get_one(Conversation, conversation.id)
        assert integrity.intact(tx, row)
        rows = await tx.session.scalars(
            select(Message).where(Message.conversation_id == conversation.id)
        )
        assert all(integrity.intact(tx, line) for line in rows)
        return [(line.sender, line.body) for line in lines], state, row


async def test_light_units_leave_the_same_conversation_as_sessions(office: Office) -> None:
    store = office.store
    channel = MemoryChannel()
    light, full = Person(store, channel), Person(store, channel)
    for step in STEPS:
        store.light_units = True
        with orm_statements() as by_light:
            heard_light = await light.service.handle(_message(light, **step))
        store.light_units = False
        with orm_statements() as by_session:
            heard_full = await full.service.handle(_message(full, **step))
        assert (heard_light.status, heard_light.owner, heard_light.replies) == (
            heard_full.status,
            heard_full.owner,
            heard_full.replies,
        )
        if step != STEPS[0]:  # the first one starts a conversation: that needs a session
            assert by_light == [] and by_session != []
    store.light_units = True
    lines_light, state_light, row_light = await _conversation(store, light.address)
    lines_full, state_full, row_full = await _conversation(store, full.address)
    assert lines_light == lines_full
    assert state_light == state_full
    assert (row_light.next_seq, row_light.language) == (row_full.next_seq, row_full.language)


async def test_a_message_that_needs_a_session_keeps_nothing_of_its_light_try(
    office: Office,
) -> None:
    """The last answer hands over: its light try gets as far as the handover, gives up, and
    the session runs it again. One line per message, one receipt each, one case."""
    store = office.store
    person = Person(store, MemoryChannel())
    handled = await person.complete_intake(account="Der Vermieter wollte nicht an uns.")
    assert handled.case is not None
    async with store.read() as tx:
        contact = await contacts.find(tx, "memory", person.address)
        assert contact is not None
        receipts = await tx.session.scalar(
            select(func.count()).where(InboundReceipt.contact_id == contact.id)
        )
        assert receipts == 6
        conversation = await tx.session.scalar(
            select(Conversation).where(Conversation.contact_id == contact.id)
        )
        assert conversation is not None and conversation.case_id == handled.case.case_id
        seqs = list(
            await tx.session.scalars(
                select(Message.seq)
                .where(Message.conversation_id == conversation.id)
                .order_by(Message.seq)
            )
        )
        assert seqs == list(range(1, conversation.next_seq))
        senders = list(
            await tx.session.scalars(
                select(Message.sender).where(
                    Message.conversation_id == conversation.id, Message.sender == "person"
                )
            )
        )
        assert len(senders) == 6
        assert await tx.session.scalar(select(func.count()).select_from(Case)) == 1


async def _receipts(store: Store, address: str) -> tuple[int, int]:
    """The contact's id and how many message receipts it has."""
    async with store.read() as tx:
        contact = await contacts.find(tx, "memory", address)
        assert contact is not None
        count = await tx.session.scalar(
            select(func.count()).where(InboundReceipt.contact_id == contact.id)
        )
        return contact.id, int(count or 0)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_deleted_contact_s_id_given_to_someone_else_takes_no_receipt_of_theirs(
    office: Office,
) -> None:
    """A light unit takes a known contact's receipt in the trip that reads the contact,
    under the id it read last time (storage/arrival.py). SQLite gives a deleted contact's
    id to the next new contact: a person who asked for deletion and writes again must not
    take receipts under the id of whoever has it now."""
    store = office.store
    channel = MemoryChannel()
    first = Person(store, channel)
    for step in STEPS[:3]:
        assert (await first.service.handle(_message(first, **step))).status == "processed"
    old_id, _ = await _receipts(store, first.address)
    await first.service.forget(channel.name, first.address)
    other = Person(store, channel)
    await other.service.handle(_message(other, command="start", language="de"))
    assert (await _receipts(store, other.address)) == (old_id, 1)  # the id, given again

    for step in STEPS[:2]:  # the first person starts anew, under a new id
        assert (await first.service.handle(_message(first, **step))).status == "processed"
    new_id, taken = await _receipts(store, first.address)
    assert new_id != old_id and taken == 2
    assert (await _receipts(store, other.address)) == (old_id, 1)
