"""A unit of work without an ORM session, for the most common message: an answer in a
conversation that goes on as before.

Most messages read the person's contact and open conversation, take the receipt, step the
dialog and write the new state, two transcript lines and a reply. With a session that is a
session made and closed, its savepoint, ORM loading of two rows and its flush machinery for
a handful of plain statements. A light unit does the same on the writer's connection alone
(`Store.light_tx`; on SQLite in a savepoint of the group commit, on PostgreSQL a
transaction of its own): one Core query reads the contact with its conversation into plain
objects (storage/held.py), the turn's functions in storage work on those, and the writes go
in one trip (storage/pending.py). Anything else a turn may need (a new contact, a held one, a
case, a handover, a closed dialog, anything that asks for `Tx.session`) raises
`NeedsFullUnit`: the unit's savepoint is rolled back, nothing it did stays, and the service
runs the message again in a session. The turn code is the same either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from sqlalchemy import Select, Table, bindparam, select, true
from sqlalchemy.dialects import postgresql

from storage.contacts import LAST_SEEN_STEP
from storage.held import HeldConversation, NeedsFullUnit
from storage.models import Contact, Conversation, InboundReceipt
from storage.records import ContactRef, ConversationRef, Owner
from storage.statement_batch import Statement
from storage.store import Tx

_CONTACTS: Final = cast(Table, Contact.__table__)
_CONVERSATIONS: Final = cast(Table, Conversation.__table__)
_C = _CONTACTS.c
_V = _CONVERSATIONS.c
_NEWEST_OPEN: Final = (
    select(_V.id)
    .where(_V.contact_id == _C.id, _V.owner != "closed")
    .order_by(_V.id.desc())
    .limit(1)
    .correlate(_CONTACTS)
    .scalar_subquery()
)
_CONTACT_COLUMNS: Final = (
    _C.id.label("contact_id"),
    _C.channel,
    _C.unreachable,
    _C.blocked_at,
    _C.last_seen_at,
)
_CONVERSATION_COLUMNS: Final = (
    "id",
    "owner",
    "language",
    "flow_version_id",
    "case_id",
    "previous_case_id",
    "updated_at",
    "next_seq",
    "state_ct",
    "mac",
)


def _conversation_columns(columns: Any) -> list[Any]:
    return [
        getattr(columns, name).label("conversation_id" if name == "id" else name)
        for name in _CONVERSATION_COLUMNS
    ]


_CONTACT_AND_OPEN: Final = (
    select(*_CONTACT_COLUMNS, *_conversation_columns(_V))
    .select_from(_CONTACTS.outerjoin(_CONVERSATIONS, _V.id == _NEWEST_OPEN))
    .where(_C.pseudonym == bindparam("pseudonym"))
)
"""The same question as storage/conversations.py `_CONTACT_AND_OPEN`, in columns."""
_OPEN_LOCKED: Final = (
    select(_CONVERSATIONS)
    .where(_V.contact_id == _C.id, _V.owner != "closed")
    .order_by(_V.id.desc())
    .limit(1)
    .with_for_update()
    .lateral()
)
_CONTACT_AND_OPEN_LOCKED_QUERY: Final = (
    select(*_CONTACT_COLUMNS, *_conversation_columns(_OPEN_LOCKED.c))
    .select_from(_CONTACTS.outerjoin(_OPEN_LOCKED, true()))
    .where(_C.pseudonym == bindparam("pseudonym"))
)
"""PostgreSQL: the conversation row locked for the unit, as in storage/conversations.py."""
_CONTACT_AND_OPEN_LOCKED: Final = Statement(_CONTACT_AND_OPEN_LOCKED_QUERY)


def _locked_with_receipt() -> Select[Any]:
    receipts = cast(Table, InboundReceipt.__table__)
    found = _CONTACT_AND_OPEN_LOCKED_QUERY.cte("found")
    taken = (
        postgresql.insert(receipts)
        .from_select(
            ["contact_id", "client_ref", "created_at"],
            select(
                found.c.contact_id,
                bindparam("client_ref", type_=receipts.c.client_ref.type),
                bindparam("created_at", type_=receipts.c.created_at.type),
            ).where(found.c.contact_id == bindparam("known", type_=_C.id.type)),
        )
        .on_conflict_do_nothing()
        .returning(receipts.c.contact_id)
        .cte("taken")
    )
    return select(found, select(taken.c.contact_id).scalar_subquery().label("taken")).add_cte(taken)


CONTACT_AND_OPEN_LOCKED_WITH_RECEIPT: Final = Statement(_locked_with_receipt())
"""PostgreSQL: `_CONTACT_AND_OPEN_LOCKED` and the message's receipt in one statement, the
receipt under the contact id known from the person's last message and only if the locked
row is still that contact's (storage/arrival.py). The receipt is taken after the lock: it
reads the locked row. Column `taken`: NULL when the id was already processed or the
contact is another one."""

CONTACT_AND_OPEN: Final = Statement(_CONTACT_AND_OPEN)
"""The SQLite query, for a batch (storage/arrival.py: read with the receipt, in one trip)."""


async def contact_and_active(tx: Tx, pseudonym: str) -> tuple[ContactRef, ConversationRef | None]:
    """The contact with its open conversation, held for the unit (see `hold`)."""
    values = {"pseudonym": pseudonym}
    direct = tx.direct
    if direct is not None:
        return hold(tx, pseudonym, await direct.row(_CONTACT_AND_OPEN_LOCKED, values))
    found = (await (await tx.connection()).execute(_CONTACT_AND_OPEN, values)).first()
    return hold(tx, pseudonym, None if found is None else found._mapping)


def hold(
    tx: Tx, pseudonym: str, found: Mapping[Any, Any] | None
) -> tuple[ContactRef, ConversationRef]:
    """The contact and open conversation `CONTACT_AND_OPEN` found, held for the unit. A
    contact that is new, held, marked unreachable or due for its last-seen hour needs a
    session, and so does a conversation that is not the bot's alone (a case, or none open:
    a new one begins)."""
    assert tx.light is not None
    if found is None:
        tx.light.known.pop(pseudonym, None)
        raise NeedsFullUnit
    if found["blocked_at"] is not None or found["unreachable"]:
        raise NeedsFullUnit
    if tx.now - found["last_seen_at"] >= LAST_SEEN_STEP:
        raise NeedsFullUnit
    conversation_id = found["conversation_id"]
    if conversation_id is None or found["owner"] != "bot" or found["case_id"] is not None:
        raise NeedsFullUnit
    contact_id = found["contact_id"]
    tx.light.known.remember(pseudonym, contact_id)
    contact = ContactRef(contact_id, found["channel"], pseudonym, False, False)
    tx.light.conversations[conversation_id] = HeldConversation(
        conversation_id,
        contact_id,
        found["case_id"],
        found["next_seq"],
        found["state_ct"],
        found["mac"],
        found["language"],
        found["updated_at"],
    )
    return contact, ConversationRef(
        id=conversation_id,
        contact_id=contact_id,
        owner=cast(Owner, found["owner"]),
        language=found["language"],
        flow_version_id=found["flow_version_id"],
        case_id=found["case_id"],
        previous_case_id=found["previous_case_id"],
        updated_at=found["updated_at"],
    )


def known_contact(tx: Tx, pseudonym: str) -> int | None:
    """The contact id a light unit last read for this pseudonym, if any (a guess: see
    storage/held.py `KnownContacts`)."""
    return None if tx.light is None else tx.light.known.get(pseudonym)


def held(tx: Tx, conversation_id: int) -> HeldConversation:
    """The conversation row the light unit read; any other needs a session."""
    assert tx.light is not None
    row = tx.light.conversations.get(conversation_id)
    if row is None:
        raise NeedsFullUnit
    return row
