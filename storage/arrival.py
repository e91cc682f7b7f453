"""A message's arrival, in one trip to SQLite's thread: its receipt taken (a repeated client
message id is refused) and, when its replies are to be pushed at once, whether an earlier
reply to the person still waits in the outbox (it must not be overtaken; storage/outbox.py
`enqueue`). Both need only the contact, and asked one by one they were two trips through
the busy event loop while the writer is held."""

from __future__ import annotations

import json
from typing import Any, Final

from sqlalchemy import Connection, text

from storage import contacts
from storage.contacts import receipt_values
from storage.statement_batch import Batch, Statement
from storage.store import Tx

_RECEIPT: Final = Statement(contacts.RECEIPT["sqlite"])
_WAITING: Final = Statement(
    text(
        "SELECT 1 FROM outbox WHERE contact_id = :contact_id"
        " AND id NOT IN (SELECT value FROM json_each(:sent)) LIMIT 1"
    )
)
"""The same question as storage/outbox.py's `_WAITING_BUT`, the ids already sent as one
JSON array (SQLite's json_each), so the statement is the same whatever their number."""


async def take_receipt(tx: Tx, contact_id: int, client_message_id: str) -> bool:
    """`contacts.record_receipt`, and on SQLite with a direct push the outbox's answer for it
    (`DirectPush.earlier_waiting`). False when the message was already processed."""
    push = tx.push
    if push is None or push.contact_id != contact_id or tx.backend != "sqlite":
        return await contacts.record_receipt(tx, contact_id, client_message_id)
    batch = Batch()
    batch.add(_RECEIPT, receipt_values(tx, contact_id, client_message_id))
    sent = json.dumps(sorted(push.sent(contact_id)))
    batch.add(_WAITING, {"contact_id": contact_id, "sent": sent})

    def run(connection: Connection) -> list[Any]:
        return batch.run(connection)

    connection = await tx.session.connection()
    taken, waiting = await connection.run_sync(run)
    push.earlier_waiting = waiting is not None
    return taken is not None
