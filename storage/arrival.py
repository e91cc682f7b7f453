"""A message's arrival: its receipt taken (a repeated client message id is refused) and,
when its replies are to be pushed at once, whether an earlier reply to the person still
waits in the outbox (it must not be overtaken; storage/outbox.py `enqueue`). Both need only
the contact: on SQLite they go in one trip to its thread (asked one by one they were two
trips through the busy event loop while the writer is held); on PostgreSQL one after the
other on the connection, the receipt with the locking read of a contact a light unit read
before. Either way on the connection, so a light unit (storage/light.py) asks them without
a session."""

from __future__ import annotations

import json
from typing import Any, Final

from sqlalchemy import Connection, text

from storage import contacts, conversations, light, outbox, statement_batch
from storage.contacts import receipt_values
from storage.held import NeedsFullUnit
from storage.records import ContactRef, ConversationRef, DirectPush
from storage.statement_batch import Batch, Statement
from storage.store import Tx

_RECEIPT: Final = Statement(contacts.RECEIPT["sqlite"])
_RECEIPT_IF_KNOWN: Final = Statement(contacts.RECEIPT_IF_STILL)
"""The receipt under a remembered contact id, only if that contact still has the
pseudonym: never under an id deleted (a foreign key error) or given to someone else."""
_WAITING: Final = Statement(
    text(
        "SELECT 1 FROM outbox WHERE contact_id = :contact_id"
        " AND id NOT IN (SELECT value FROM json_each(:sent)) LIMIT 1"
    )
)
"""The same question as storage/outbox.py's `_WAITING_BUT`, the ids already sent as one
JSON array (SQLite's json_each), so the statement is the same whatever their number."""


async def arrive(
    tx: Tx, channel: str, address: str, client_message_id: str
) -> tuple[ContactRef, ConversationRef | None, bool]:
    """A message's contact and open conversation (`conversations.contact_and_active`), its
    receipt taken (`take_receipt`; False: it was already processed), and its replies' push
    pointed at that contact (only replies to the writer are pushed).

    In a light unit, for a contact a light unit read before, the receipt goes with the
    read, under the contact id known from last time and only while that contact still has
    the pseudonym. On SQLite the read, the receipt and the outbox's answer are one trip to
    the connection's thread (each trip is a wake-up of the busy event loop); on PostgreSQL
    the locking read and the receipt are one statement (`_arrive_locked`). If the read
    finds no contact or another id (the contact was deleted, perhaps its id given to
    someone else), the unit falls back (`NeedsFullUnit`) and keeps nothing."""
    pseudonym = tx.keys.pseudonym(f"contact:{channel}", address)
    known = light.known_contact(tx, pseudonym)
    if known is not None and tx.backend != "sqlite":
        return await _arrive_locked(tx, pseudonym, known, client_message_id)
    if known is None:
        contact, conv = await conversations.contact_and_active(tx, channel, address)
        if tx.push is not None:
            tx.push.contact_id = contact.id
        return contact, conv, await take_receipt(tx, contact.id, client_message_id)
    push = tx.push
    batch = Batch()
    batch.add_row(light.CONTACT_AND_OPEN, {"pseudonym": pseudonym})
    batch.add(
        _RECEIPT_IF_KNOWN,
        {**receipt_values(tx, known, client_message_id), "pseudonym": pseudonym},
    )
    if push is not None:
        push.contact_id = known
        batch.add(_WAITING, {"contact_id": known, "sent": _sent(push, known)})
    connection = await tx.connection()
    found, taken, *waiting = await statement_batch.run_sync(connection, batch.run)
    contact, conv = light.hold(tx, pseudonym, found)
    if contact.id != known:
        raise NeedsFullUnit
    if push is not None:
        push.earlier_waiting = waiting[0] is not None
    return contact, conv, taken is not None


async def _arrive_locked(
    tx: Tx, pseudonym: str, known: int, client_message_id: str
) -> tuple[ContactRef, ConversationRef | None, bool]:
    """PostgreSQL, a light unit, a contact read before: the contact with its conversation
    locked and the receipt in one statement (`light.CONTACT_AND_OPEN_LOCKED_WITH_RECEIPT`).
    Whether an earlier reply waits is not asked here: it must see what a transaction that
    held the lock before this one committed, which this statement's snapshot, taken before
    it waited for the lock, may not; the unit's write asks (storage/pending.py)."""
    values = {
        **receipt_values(tx, known, client_message_id),
        "pseudonym": pseudonym,
        "known": known,
    }
    del values["contact_id"]  # the receipt's contact is the locked row's
    direct = tx.direct
    assert direct is not None  # a light unit on PostgreSQL
    row = await direct.row(light.CONTACT_AND_OPEN_LOCKED_WITH_RECEIPT, values)
    contact, conv = light.hold(tx, pseudonym, row)
    if contact.id != known:
        raise NeedsFullUnit
    assert row is not None  # `hold` refused a missing row
    taken = row["taken"] is not None
    if tx.push is not None:
        # Whether an earlier reply waits is asked by the unit's write (storage/outbox.py
        # `enqueue`): one round trip less than a statement of its own here.
        tx.push.contact_id = known
    return contact, conv, taken


def _sent(push: DirectPush, contact_id: int) -> str:
    return json.dumps(sorted(push.sent(contact_id)))


async def take_receipt(tx: Tx, contact_id: int, client_message_id: str) -> bool:
    """`contacts.record_receipt`, and with a direct push the outbox's answer for it
    (`DirectPush.earlier_waiting`). False when the message was already processed."""
    push = tx.push
    if push is None or push.contact_id != contact_id:
        return await contacts.record_receipt(tx, contact_id, client_message_id)
    if tx.backend != "sqlite":
        # Statements to the server one after the other (no thread to hop to), on the
        # connection, so a light unit (storage/light.py) can ask too.
        taken = await contacts.record_receipt(tx, contact_id, client_message_id)
        if taken and tx.direct is None:  # a light unit's write asks (see `_arrive_locked`)
            push.earlier_waiting = await outbox.earlier_waiting(tx, contact_id, push)
        return taken
    batch = Batch()
    batch.add(_RECEIPT, receipt_values(tx, contact_id, client_message_id))
    batch.add(_WAITING, {"contact_id": contact_id, "sent": _sent(push, contact_id)})

    def run(connection: Connection) -> list[Any]:
        return batch.run(connection)

    connection = await tx.connection()
    taken, waiting = await connection.run_sync(run)
    push.earlier_waiting = waiting is not None
    return taken is not None
