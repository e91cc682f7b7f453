"""Pseudonymous contacts and idempotent inbound receipts."""

from __future__ import annotations

import dataclasses
import re
import secrets
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError as DuplicateRow

from storage.integrity import IntegrityError, address_aad
from storage.models import Contact, InboundReceipt
from storage.records import ContactRef
from storage.statement_batch import Statement
from storage.store import Tx


def _ref(row: Contact) -> ContactRef:
    return ContactRef(
        row.id, row.channel, row.pseudonym, row.unreachable, row.blocked_at is not None
    )


LAST_SEEN_STEP = timedelta(hours=1)
"""A contact's last activity is kept to the hour: nothing needs it finer, and updating the
contact row for every message would cost a statement per message."""


async def contact_for(tx: Tx, channel: str, address: str, *, looked_up: bool = False) -> ContactRef:
    """The contact for a channel address, created on first contact.

    Only the keyed pseudonym is searchable; the address itself is encrypted because the
    delivery worker must be able to answer. `looked_up`: the caller has just found no
    contact for the address in this transaction (a new person's first message), so it is
    not looked for again; a replica that creates it meanwhile is handled as ever.
    """
    pseudonym = tx.keys.pseudonym(f"contact:{channel}", address)
    row = None
    if not looked_up:
        row = await tx.session.scalar(select(Contact).where(Contact.pseudonym == pseudonym))
    if row is None:
        row = Contact(
            channel=channel,
            pseudonym=pseudonym,
            address_ct=b"",
            created_at=tx.now,
            last_seen_at=tx.now,
            unreachable=False,
        )
        try:
            async with tx.session.begin_nested():
                tx.session.add(row)
        except DuplicateRow:
            # Another replica created it between our select and insert.
            row = (
                await tx.session.scalars(select(Contact).where(Contact.pseudonym == pseudonym))
            ).one()
        else:  # the address is bound to the row id, known only now
            row.address_ct = tx.keys.encrypt(
                "address", address.encode(), address_aad(row.id, channel, pseudonym)
            )
            return dataclasses.replace(_ref(row), new=True)
    else:
        return arrived(tx, row)
    return _ref(row)


def arrived(tx: Tx, row: Contact) -> ContactRef:
    """A message came from this known contact: seen now, and reachable again."""
    if tx.now - row.last_seen_at >= LAST_SEEN_STEP:
        row.last_seen_at = tx.now
    if row.unreachable:
        row.unreachable = False  # they wrote again, so they can be reached again
    return _ref(row)


async def find(tx: Tx, channel: str, address: str) -> ContactRef | None:
    pseudonym = tx.keys.pseudonym(f"contact:{channel}", address)
    if not _PSEUDONYM.fullmatch(pseudonym):
        # Not one of ours (e.g. a sender id of Rasa's own channels, which may be an address):
        # it is never sent to the database, where a driver's debug log could show it.
        return None
    row = await tx.session.scalar(select(Contact).where(Contact.pseudonym == pseudonym))
    return None if row is None else _ref(row)


_PSEUDONYM = re.compile(r"[0-9a-f]{64}")
"""The shape of a keyed pseudonym (HMAC-SHA256, hex)."""


async def find_by_pseudonym(tx: Tx, pseudonym: str) -> ContactRef | None:
    """The contact whose keyed pseudonym this is, on whatever channel.

    Rasa knows a person it drives only by this pseudonym (its sender id), and our actions
    find the person's real conversation with it.
    """
    if not _PSEUDONYM.fullmatch(pseudonym):
        # Not one of ours (e.g. a sender id of Rasa's own channels, which may be an address):
        # it is never sent to the database, where a driver's debug log could show it.
        return None
    row = await tx.session.scalar(select(Contact).where(Contact.pseudonym == pseudonym))
    return None if row is None else _ref(row)


async def move_address(tx: Tx, contact_id: int, channel: str, new_address: str) -> None:
    """Let a contact be reached at a new address (a person resumed on another device).

    The old address stops working: one device at a time holds a conversation.
    """
    pseudonym = tx.keys.pseudonym(f"contact:{channel}", new_address)
    await tx.session.execute(
        update(Contact)
        .where(Contact.id == contact_id)
        .values(
            channel=channel,
            pseudonym=pseudonym,
            address_ct=tx.keys.encrypt(
                "address", new_address.encode(), address_aad(contact_id, channel, pseudonym)
            ),
            last_seen_at=tx.now,
            unreachable=False,
        )
    )


PARKED_CHANNEL = "parked"
"""A contact cut off from its device (its case code was replaced): nothing reaches anyone
until the person opens the case with the new code."""


async def park(tx: Tx, contact_id: int) -> None:
    """Detach a contact from its address: replies stay in the case, none is sent."""
    await move_address(tx, contact_id, PARKED_CHANNEL, secrets.token_hex(16))
    await mark_unreachable(tx, contact_id)


async def delete_contact(tx: Tx, contact_id: int) -> None:
    await tx.session.execute(delete(Contact).where(Contact.id == contact_id))
    tx.contacts_deleted()


async def address_of(tx: Tx, contact_id: int) -> tuple[str, str]:
    """The channel and address of a contact. Raises CryptoError for an address moved from
    another contact or channel (replies redirected to someone else's chat)."""
    row = await tx.session.get_one(Contact, contact_id)
    aad = address_aad(row.id, row.channel, row.pseudonym)
    address = tx.keys.decrypt("address", row.address_ct, aad).decode()
    if tx.keys.pseudonym(f"contact:{row.channel}", address) != row.pseudonym:
        raise IntegrityError(f"the address of contact {contact_id} is not its own")
    return row.channel, address


async def mark_unreachable(tx: Tx, contact_id: int) -> None:
    await tx.session.execute(
        update(Contact).where(Contact.id == contact_id).values(unreachable=True)
    )


def _receipt(insert: Any) -> Any:
    # One statement: the insert itself tells whether the id was new (no select before it).
    # Built once (it runs for every message); the values are bound at execution.
    receipts = InboundReceipt.__table__.c
    return (
        insert(InboundReceipt.__table__)
        .values(
            contact_id=bindparam("contact_id", type_=receipts.contact_id.type),
            client_ref=bindparam("client_ref", type_=receipts.client_ref.type),
            created_at=bindparam("created_at", type_=receipts.created_at.type),
        )
        .on_conflict_do_nothing()
        .returning(receipts.contact_id)
    )


RECEIPT: Final = {"postgresql": _receipt(postgresql_insert), "sqlite": _receipt(sqlite_insert)}
_RECEIPT_STATEMENT: Final = Statement(RECEIPT["postgresql"])
"""For a light unit on PostgreSQL (storage/pg_direct.py)."""


def _receipt_if_still(insert: Any) -> Any:
    receipts = InboundReceipt.__table__.c
    contact = Contact.__table__.c
    # SQLite needs the SELECT's WHERE to tell its ON CONFLICT from a join's ON.
    still = select(
        contact.id,
        bindparam("client_ref", type_=receipts.client_ref.type),
        bindparam("created_at", type_=receipts.created_at.type),
    ).where(
        contact.id == bindparam("contact_id", type_=contact.id.type),
        contact.pseudonym == bindparam("pseudonym", type_=contact.pseudonym.type),
    )
    return (
        insert(InboundReceipt.__table__)
        .from_select(["contact_id", "client_ref", "created_at"], still)
        .on_conflict_do_nothing()
        .returning(receipts.contact_id)
    )


RECEIPT_IF_STILL: Final = _receipt_if_still(sqlite_insert)
"""`RECEIPT` for a contact id known from before, taken only while that contact still has
the given pseudonym (storage/arrival.py; SQLite, where the read and it share a trip)."""


def receipt_values(tx: Tx, contact_id: int, client_message_id: str) -> dict[str, Any]:
    ref = tx.keys.pseudonym("client-message", f"{contact_id}:{client_message_id}")
    return {"contact_id": contact_id, "client_ref": ref, "created_at": tx.now}


async def record_receipt(tx: Tx, contact_id: int, client_message_id: str) -> bool:
    """Remember a client message id; False when it was already processed."""
    values = receipt_values(tx, contact_id, client_message_id)
    direct = tx.direct
    if direct is not None:
        return await direct.scalar(_RECEIPT_STATEMENT, values) is not None
    # On the connection: a plain insert needs none of the ORM's statement handling.
    connection = await tx.connection()
    taken = await connection.scalar(RECEIPT[tx.backend], values)
    return taken is not None


async def block(tx: Tx, contact_id: int) -> bool:
    """Hold the contact's further messages out of the queue. False: it was already held."""
    result = await tx.session.execute(
        update(Contact)
        .where(Contact.id == contact_id, Contact.blocked_at.is_(None))
        .values(blocked_at=tx.now)
    )
    return bool(getattr(result, "rowcount", 0))


async def unblock(tx: Tx, contact_id: int) -> bool:
    """Lift the hold (an admin). False: it was not held."""
    result = await tx.session.execute(
        update(Contact)
        .where(Contact.id == contact_id, Contact.blocked_at.is_not(None))
        .values(blocked_at=None)
    )
    return bool(getattr(result, "rowcount", 0))


async def blocked(tx: Tx) -> list[tuple[int, datetime]]:
    """(contact id, since when) of every held contact, longest held first."""
    rows = await tx.session.execute(
        select(Contact.id, Contact.blocked_at)
        .where(Contact.blocked_at.is_not(None))
        .order_by(Contact.blocked_at)
    )
    return [(cid, at) for cid, at in rows.all() if at is not None]


async def blocked_since(tx: Tx, contact_id: int) -> datetime | None:
    return await tx.session.scalar(select(Contact.blocked_at).where(Contact.id == contact_id))
