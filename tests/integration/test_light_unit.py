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
from bot.clock import SystemClock
from bot.conversation.flows import FlowCatalog
from bot.conversation.service import ConversationService
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


def _replica(store: Store) -> ConversationService:
    """The same database served by another process, with its own memory."""
    clock = SystemClock()
    other = Store(store.db, store.keys, store.kdf, clock=clock)
    return ConversationService(other, FlowCatalog("mini"), response_time={}, clock=clock)


@pytest.mark.parametrize(
    ("database_url", "id_given_again"),
    # PostgreSQL never gives an id again.
    [("sqlite", True), ("sqlite", False), ("postgresql", False)],
    indirect=["database_url"],
)
async def test_a_person_deleted_elsewhere_who_writes_again_is_a_new_contact(
    office: Office, id_given_again: bool
) -> None:
    """A light unit takes a known contact's receipt with the read of the contact (one trip
    on SQLite, one statement on PostgreSQL), under the id it read last time
    (storage/arrival.py). The person asks for deletion on
    another replica, whose deletion this process's memory does not see, and writes again:
    the id is gone, or (SQLite reuses the highest id) someone else's now. Either way their
    messages are processed as a new contact's, and nobody else's receipts change."""
    store = office.store
    channel = MemoryChannel()
    first, bystander = Person(store, channel), Person(store, channel)
    for step in STEPS[:3]:
        assert (await first.service.handle(_message(first, **step))).status == "processed"
    old_id, _ = await _receipts(store, first.address)
    hello = _message(bystander, command="start", language="de")
    if not id_given_again:  # a younger contact: the first one's id is not the highest
        await bystander.service.handle(hello)
    assert await _replica(store).forget(channel.name, first.address) == 1
    if id_given_again:
        await bystander.service.handle(hello)
    theirs = await _receipts(store, bystander.address)
    assert (theirs[0] == old_id) is id_given_again

    for step in STEPS[:3]:  # the first person starts anew, under a new id
        assert (await first.service.handle(_message(first, **step))).status == "processed"
    new_id, taken = await _receipts(store, first.address)
    assert new_id != old_id and taken == 3
    assert (await _receipts(store, bystander.address)) == theirs
