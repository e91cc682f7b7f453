"""Conversations, their owner, bot-phase state and transcript lines.

Ownership (`bot` → `queued` → `counsellor` → `closed`) changes only through `set_owner`, a
conditional update: the caller states the owner it expects and learns whether it won.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import bindparam, delete, func, or_, select, true, update
from sqlalchemy.orm import aliased

from storage import contacts, light
from storage.crypto import aad_for, seal
from storage.held import HeldConversation, NewLine
from storage.integrity import require, stamp, stamped
from storage.models import AttachmentChunk, Case, Contact, Conversation, Message, OutboxItem
from storage.records import ContactRef, ConversationRef, Owner, TranscriptLine
from storage.statement_batch import Statement
from storage.store import Tx, from_json, to_json


def _ref(row: Conversation) -> ConversationRef:
    return ConversationRef(
        id=row.id,
        contact_id=row.contact_id,
        owner=row.owner,  # type: ignore[arg-type]  # the column holds only Owner values
        language=row.language,
        flow_version_id=row.flow_version_id,
        case_id=row.case_id,
        previous_case_id=row.previous_case_id,
        updated_at=row.updated_at,
    )


_OPEN: Final = (
    select(Conversation)
    .where(Conversation.contact_id == bindparam("contact_id"), Conversation.owner != "closed")
    .order_by(Conversation.id.desc())
    .limit(1)
)
_CONTACT_ROW_LOCKED: Final = (
    select(Contact.id).where(Contact.id == bindparam("contact_id")).with_for_update(key_share=True)
)


async def active_for(tx: Tx, contact_id: int, *, may_start: bool = False) -> ConversationRef | None:
    """The contact's open conversation, row-locked for this transaction on PostgreSQL.

    `may_start`: the caller starts a conversation if there is none, so on PostgreSQL "none"
    is asked again under the contact's row lock (see `_open_after_locking_contact`); a
    caller that only looks (a typing hint, a pre-check) takes no such lock."""
    values = {"contact_id": contact_id}
    if tx.locks_rows:
        row = await tx.session.scalar(_OPEN.with_for_update(), values)
        if row is None and may_start:
            row = await _open_after_locking_contact(tx, contact_id)
    else:
        row = await tx.session.scalar(_OPEN, values)
    if row is None:
        return None
    _keep(tx, row)
    return _ref(row)


async def _open_after_locking_contact(tx: Tx, contact_id: int) -> Conversation | None:
    """PostgreSQL found no open conversation, and the caller may start one. Another
    replica may be doing the same for this person right now (two messages at once, or a
    new person's first message the other one inserted first): with nothing to lock, both
    would start a conversation and the person's answers would split between them. So the
    contact's row is locked and the question asked again: the second waits for the first
    one's commit and then finds its conversation. Every unit that starts a conversation
    for a contact it did not create itself comes through here first.

    The order is the contact's row, then the conversation's; an ordinary turn locks its
    conversation and may then update the contact (its last-seen hour). They can only meet
    when a conversation appears between the two looks, so a third message of the same
    person is needed for a deadlock; PostgreSQL then aborts one unit, whose message is not
    acknowledged and comes again.

    FOR NO KEY UPDATE, not FOR UPDATE: rows that only refer to the contact (outbox, cases)
    are still written beside it."""
    await tx.session.execute(_CONTACT_ROW_LOCKED, {"contact_id": contact_id})
    return await tx.session.scalar(_OPEN.with_for_update(), {"contact_id": contact_id})


async def contact_and_active(
    tx: Tx, channel: str, address: str
) -> tuple[ContactRef, ConversationRef | None]:
    """`contacts.contact_for` and `active_for` at once, as a message arrives.

    One statement: the contact with its newest open conversation. On PostgreSQL the
    conversation comes from a LATERAL subquery that locks it (FOR UPDATE cannot lock the
    nullable side of an outer join, but it can lock the subquery's row).
    """
    pseudonym = tx.keys.pseudonym(f"contact:{channel}", address)
    if tx.light is not None:
        return await light.contact_and_active(tx, pseudonym)
    query = _CONTACT_AND_OPEN_LOCKED if tx.locks_rows else _CONTACT_AND_OPEN
    found = (await tx.session.execute(query, {"pseudonym": pseudonym})).first()
    if found is None:  # a new contact, who has no conversation yet
        contact = await contacts.contact_for(tx, channel, address, looked_up=True)
        if contact.new:
            return contact, None
        # Another replica inserted the contact first (see `_open_after_locking_contact`).
        row = None
    else:
        contact_row, row = found
        contact = contacts.arrived(tx, contact_row)
    if row is None and tx.locks_rows:
        row = await _open_after_locking_contact(tx, contact.id)
    if row is None:
        return contact, None
    _keep(tx, row)
    return contact, _ref(row)


_NEWEST_OPEN: Final = (
    select(Conversation.id)
    .where(Conversation.contact_id == Contact.id, Conversation.owner != "closed")
    .order_by(Conversation.id.desc())
    .limit(1)
    .correlate(Contact)
    .scalar_subquery()
)
_CONTACT_AND_OPEN: Final = (
    select(Contact, Conversation)
    .outerjoin(Conversation, Conversation.id == _NEWEST_OPEN)
    .where(Contact.pseudonym == bindparam("pseudonym"))
)
"""Built once: asked for every message that arrives (SQLite)."""
_OPEN_LOCKED: Final = (
    select(Conversation)
    .where(Conversation.contact_id == Contact.id, Conversation.owner != "closed")
    .order_by(Conversation.id.desc())
    .limit(1)
    .with_for_update()
    .lateral()
)
_CONTACT_AND_OPEN_LOCKED: Final = (
    select(Contact, aliased(Conversation, _OPEN_LOCKED))
    .outerjoin(_OPEN_LOCKED, true())
    .where(Contact.pseudonym == bindparam("pseudonym"))
)
"""The same for PostgreSQL, the conversation row locked for the transaction."""


def _keep(tx: Tx, row: Conversation) -> None:
    """Hold the row for the rest of the transaction: the session's identity map keeps rows
    only weakly, and without this every later step of the turn would select it again."""
    tx.session.info.setdefault("conversations", []).append(row)


async def latest_for(tx: Tx, contact_id: int) -> ConversationRef | None:
    """The contact's newest conversation, whoever owns it (closed ones included)."""
    row = await tx.session.scalar(
        select(Conversation)
        .where(Conversation.contact_id == contact_id)
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    return None if row is None else _ref(row)


async def all_for(tx: Tx, contact_id: int) -> list[ConversationRef]:
    rows = await tx.session.scalars(
        select(Conversation).where(Conversation.contact_id == contact_id).order_by(Conversation.id)
    )
    return [_ref(r) for r in rows]


async def bot_phase_lines(tx: Tx, conversation_id: int, after: int = 0) -> list[TranscriptLine]:
    """The lines of a conversation not yet handed over (readable with the server key),
    numbered above `after`."""
    rows = await tx.session.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.sealed.is_(False),
            Message.seq > after,
        )
        .order_by(Message.seq)
    )
    lines = []
    for m in rows:
        require(tx, m, f"line {m.seq} of conversation {conversation_id}")
        body = tx.keys.decrypt("message", m.body_ct, aad_for("message", conversation_id, m.seq))
        lines.append(TranscriptLine(m.seq, m.sender, from_json(body), m.created_at))
    return lines


async def delete_unhanded(tx: Tx, conversation_id: int) -> None:
    """Delete a conversation that has no case (the person asked, or it ended unfinished)."""
    tx.removed_secrets("conversation deleted")
    await tx.session.execute(
        delete(AttachmentChunk).where(AttachmentChunk.conversation_id == conversation_id)
    )
    await tx.session.execute(delete(Message).where(Message.conversation_id == conversation_id))
    await tx.session.execute(
        delete(Conversation).where(
            Conversation.id == conversation_id, Conversation.case_id.is_(None)
        )
    )


async def last_case_of(tx: Tx, contact_id: int) -> int | None:
    return await tx.session.scalar(
        select(Conversation.case_id)
        .where(Conversation.contact_id == contact_id, Conversation.case_id.is_not(None))
        .order_by(Conversation.id.desc())
        .limit(1)
    )


async def start(
    tx: Tx, contact_id: int, flow_version_id: int, language: str, previous_case_id: int | None
) -> ConversationRef:
    row = Conversation(
        contact_id=contact_id,
        flow_version_id=flow_version_id,
        owner="bot",
        language=language,
        state_ct=None,
        next_seq=1,
        created_at=tx.now,
        updated_at=tx.now,
        previous_case_id=previous_case_id,
    )
    tx.session.add(row)
    await tx.session.flush()
    stamp(tx, row)
    _keep(tx, row)
    return _ref(row)


async def get(tx: Tx, conversation_id: int) -> ConversationRef:
    return _ref(await tx.session.get_one(Conversation, conversation_id))


async def _row(tx: Tx, conversation_id: int) -> Conversation | HeldConversation:
    """The conversation row the unit holds (read with the contact as the message arrived)."""
    if tx.light is not None:
        return light.held(tx, conversation_id)
    return await tx.session.get_one(Conversation, conversation_id)


async def load_state(tx: Tx, conversation_id: int) -> dict[str, Any] | None:
    row = await _row(tx, conversation_id)
    if row.state_ct is None:
        return None
    raw = tx.keys.decrypt("state", row.state_ct, aad_for("state", conversation_id))
    value: dict[str, Any] = from_json(raw)
    return value


async def save_state(tx: Tx, conversation_id: int, state: dict[str, Any], language: str) -> None:
    # On the row the turn holds: written in the same UPDATE as the turn's next sequence
    # number, with the turn's waiting rows (storage/pending.py), not in an UPDATE of its own.
    row = await _row(tx, conversation_id)
    tx.pending.change(
        row,
        state_ct=tx.keys.encrypt("state", to_json(state), aad_for("state", conversation_id)),
        language=language,
        updated_at=tx.now,
    )


async def set_owner(tx: Tx, conversation_id: int, expected: Owner, new: Owner) -> bool:
    """Move the conversation to `new` only if it is still owned by `expected`."""
    values: dict[str, Any] = {"owner": new, "updated_at": tx.now}
    if new == "closed":
        values.update(closed_at=tx.now, state_ct=None)
    elif new == "counsellor":
        # A case created on the danger path keeps its dialog state while it waits, so the
        # person can go on with the questions; once a counsellor writes, the bot is done.
        values.update(state_ct=None)
    if expected == "closed":
        values["closed_at"] = None  # reopened: no longer counts as closed anywhere
    result = await tx.session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.owner == expected)
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def append(tx: Tx, conversation_id: int, sender: str, body: dict[str, Any]) -> int:
    """Add a transcript line and return its sequence number.

    Before handover the line is under the server key (the bot must be able to reseal it);
    afterwards it is sealed write-only to the case public key.
    """
    row = await _row(tx, conversation_id)
    held = tx.pending
    if held.stamped.get(conversation_id) is not row:  # a row the unit stamped is its own
        require(tx, row, f"conversation {conversation_id}")
    seq = row.next_seq
    held.change(row, next_seq=seq + 1, updated_at=tx.now)
    held.change(row, mac=stamped(tx, row))
    held.stamped[conversation_id] = row
    if row.case_id is None:
        body_ct = tx.keys.encrypt(
            "message", to_json(body), aad_for("message", conversation_id, seq)
        )
        sealed = False
    else:
        case = await tx.session.get_one(Case, row.case_id)
        # Sealing needs only the public key: one swapped into the row would receive the line.
        require(tx, case, f"the public key of case {case.id}")
        body_ct = seal(case.public_key, to_json(body), aad_for("case-message", case.id, seq))
        sealed = True
    line = NewLine(conversation_id, seq, sender, sealed, body_ct, tx.now)
    stamp(tx, line)
    # Not through the ORM: the turn's lines go in as one INSERT when the transaction
    # commits, or before any query that could read them (storage/pending.py); the sequence
    # number and the state reach the conversation row in one UPDATE.
    tx.pending.lines.append(line)
    return seq


async def newest_bot_line(tx: Tx, conversation_id: int) -> int | None:
    """The number of the bot's newest line (in the bot phase: the question on screen), from
    clear metadata."""
    values = {"conversation_id": conversation_id}
    if tx.light is not None and not tx.pending:  # nothing of the unit's own to read
        direct = tx.direct
        if direct is not None:
            newest: int | None = await direct.scalar(_NEWEST_BOT_STATEMENT, values)
        else:
            newest = (await (await tx.connection()).execute(_NEWEST_BOT, values)).scalar()
        return newest
    found: int | None = await tx.session.scalar(_NEWEST_BOT, values)
    return found


_MESSAGES = Message.__table__.c
_NEWEST_BOT: Final = select(func.max(_MESSAGES.seq)).where(
    _MESSAGES.conversation_id == bindparam("conversation_id"), _MESSAGES.sender == "bot"
)
_NEWEST_BOT_STATEMENT: Final = Statement(_NEWEST_BOT)


async def last_line_at(tx: Tx, conversation_id: int, sender: str) -> datetime | None:
    """When `sender` last wrote in the conversation; from clear metadata, so it works on a
    sealed case the server cannot read."""
    return await tx.session.scalar(
        select(func.max(Message.created_at)).where(
            Message.conversation_id == conversation_id, Message.sender == sender
        )
    )


async def reseal_to_case(tx: Tx, conversation_id: int, case_id: int, public_key: bytes) -> int:
    """At handover: seal every bot-phase line to the case key; the server can no longer read it."""
    rows = await tx.session.scalars(
        select(Message).where(Message.conversation_id == conversation_id, Message.sealed.is_(False))
    )
    count = 0
    for msg in rows:
        require(tx, msg, f"line {msg.seq} of conversation {conversation_id}")
        plain = tx.keys.decrypt(
            "message", msg.body_ct, aad_for("message", conversation_id, msg.seq)
        )
        msg.body_ct = seal(public_key, plain, aad_for("case-message", case_id, msg.seq))
        msg.sealed = True
        stamp(tx, msg)
        count += 1
    conversation = await tx.session.get_one(Conversation, conversation_id)
    conversation.case_id = case_id
    stamp(tx, conversation)
    await tx.session.flush()
    return count


async def expire_idle(tx: Tx, idle: timedelta) -> int:
    """Close bot-phase conversations nobody continued; their answers are wiped with the state."""
    result = await tx.session.execute(
        update(Conversation)
        .where(Conversation.owner == "bot", Conversation.updated_at < tx.now - idle)
        .values(owner="closed", closed_at=tx.now, state_ct=None)
    )
    stale = select(Conversation.id).where(
        Conversation.owner == "closed", Conversation.case_id.is_(None)
    )
    await tx.session.execute(
        delete(AttachmentChunk).where(AttachmentChunk.conversation_id.in_(stale))
    )
    await tx.session.execute(delete(Message).where(Message.conversation_id.in_(stale)))
    # A channel address is kept only while it is needed: for an open conversation or a case.
    needed = select(Conversation.contact_id).where(
        or_(Conversation.owner != "closed", Conversation.case_id.is_not(None))
    )
    orphans = select(Contact.id).where(Contact.id.not_in(needed))
    await tx.session.execute(delete(OutboxItem).where(OutboxItem.contact_id.in_(orphans)))
    await tx.session.execute(delete(Conversation).where(Conversation.contact_id.in_(orphans)))
    gone = await tx.session.execute(delete(Contact).where(Contact.id.in_(orphans)))
    if getattr(gone, "rowcount", 0):
        tx.contacts_deleted()
    expired = int(getattr(result, "rowcount", 0))
    if expired:
        tx.removed_secrets("idle conversations expired")
    return expired
