"""The outbox: replies wait here, under the server key, until a channel took them.

Delivery is at least once: a row is deleted only after the channel accepted it, and a
worker that dies holding a row loses its lease, so another attempt follows. The outbox id
travels with the message as its delivery id, for receivers that can deduplicate.
Delivery ids are random (128 bits), unique forever: row ids are not (SQLite reuses them once
the table is empty, and a restored or new database starts again at 1).
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import (
    Integer,
    Select,
    String,
    Table,
    Text,
    any_,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import aliased

from storage.contacts import address_of
from storage.crypto import CryptoError
from storage.held import NewReply
from storage.integrity import outbox_aad
from storage.models import OutboxItem
from storage.pending import WaitingCheck
from storage.records import Delivery, DirectPush
from storage.store import Tx, from_json, to_json

log = logging.getLogger(__name__)

PARKED = timedelta(days=365)
_OUTBOX_TABLE: Final = cast(Table, OutboxItem.__table__)


async def enqueue(tx: Tx, contact_id: int, payload: dict[str, Any]) -> None:
    """Queue a reply; no flush, so the replies of one turn are inserted together at commit
    (unless they are to be pushed at once: see `DirectPush`)."""
    delivery_id = secrets.token_hex(16)
    row = NewReply(
        contact_id=contact_id,
        delivery_id=delivery_id,
        payload_ct=tx.keys.encrypt("outbox", to_json(payload), outbox_aad(contact_id, delivery_id)),
        created_at=tx.now,
        next_attempt_at=tx.now,
    )
    push = tx.push
    direct = push is not None and not push.ruled_out and push.contact_id == contact_id
    if push is not None and direct and not push.rows:
        if push.earlier_waiting is None and tx.direct is not None:
            # A light unit on PostgreSQL: its write asks, and leases only if none waits.
            tx.pending.lease_unless_waiting = WaitingCheck(
                contact_id, sorted(push.sent(contact_id))
            )
        elif (
            push.earlier_waiting
            if push.earlier_waiting is not None
            else await _waiting(tx, contact_id, push.sent(contact_id))
        ):
            # An earlier reply still waits (a retry): this one must not overtake it.
            push.ruled_out = direct = False
    if push is not None and direct:
        row.lease_until = tx.now + push.lease
        row.attempts = 1
    else:
        tx.workers.replies_waiting = True
    # Inserted as one plain INSERT at commit (storage/pending.py); a pushed one with its id.
    tx.pending.replies.append((row, push is not None and direct))
    if push is not None and direct:
        push.rows.append((row, payload))


def pushed(push: DirectPush) -> list[Delivery]:
    """After the commit: the replies to push, with the ids their rows got."""
    deliveries = []
    for row, payload in push.rows:
        if row.id is None:  # set when the row was inserted (storage/pending.py)
            raise RuntimeError("a pushed reply has no outbox id: it was never inserted")
        deliveries.append(
            Delivery(
                row.id, row.delivery_id, row.contact_id, push.channel, push.address, payload, 1
            )
        )
    return deliveries


_WAITING: Final = (
    select(OutboxItem.id).where(OutboxItem.contact_id == bindparam("contact_id")).limit(1)
)
_WAITING_BUT: Final = _WAITING.where(OutboxItem.id.not_in(bindparam("sent", expanding=True)))
"""Built once: asked for every reply that could be pushed at once."""


def _waiting_query(contact_id: int, sent: frozenset[int]) -> tuple[Any, dict[str, Any]]:
    if sent:
        return _WAITING_BUT, {"contact_id": contact_id, "sent": sorted(sent)}
    return _WAITING, {"contact_id": contact_id}


async def _waiting(tx: Tx, contact_id: int, sent: frozenset[int]) -> bool:
    query, values = _waiting_query(contact_id, sent)
    # Without flushing the turn's lines early: they go in with one UPDATE of the row.
    with tx.session.no_autoflush:
        return await tx.session.scalar(query, values) is not None


async def earlier_waiting(tx: Tx, contact_id: int, push: DirectPush) -> bool:
    """Whether a reply to the contact waits in the outbox that a direct push must not
    overtake; asked on the connection, as the message arrives (storage/arrival.py)."""
    query, values = _waiting_query(contact_id, push.sent(contact_id))
    connection = await tx.connection()
    return (await connection.execute(query, values)).first() is not None


async def release(tx: Tx, outbox_ids: list[int]) -> None:
    """Replies leased for a direct push that did not happen: the worker's rounds take them."""
    await tx.session.execute(
        update(OutboxItem).where(OutboxItem.id.in_(outbox_ids)).values(lease_until=None)
    )


def _due_heads() -> Select[OutboxItem]:
    earlier = aliased(OutboxItem)
    head = (
        ~select(earlier.id)
        .where(earlier.contact_id == OutboxItem.contact_id, earlier.id < OutboxItem.id)
        .exists()
    )
    now = bindparam("now", type_=OutboxItem.next_attempt_at.type)
    return (
        select(OutboxItem)
        .where(
            OutboxItem.next_attempt_at <= now,
            or_(OutboxItem.lease_until.is_(None), OutboxItem.lease_until < now),
            head,
        )
        .order_by(OutboxItem.id)
        .limit(bindparam("limit", type_=Integer))
    )


_DUE_HEADS: Final = _due_heads()
"""Built once: the delivery worker asks at every round, and building it (an alias and its
column adaptation) cost more than running it."""
_DUE_HEADS_LOCKED: Final = _DUE_HEADS.with_for_update(skip_locked=True)


async def claim_due(tx: Tx, limit: int, lease: timedelta) -> list[Delivery]:
    """Lease the oldest pending message of each contact that is due.

    Only the head of each contact's queue is taken, so a person gets replies in order even
    when an earlier one is waiting for a retry.
    """
    query = _DUE_HEADS_LOCKED if tx.locks_rows else _DUE_HEADS
    rows = list(await tx.session.scalars(query, {"now": tx.now, "limit": limit}))
    deliveries = []
    for row in rows:
        row.lease_until = tx.now + lease
        row.attempts += 1
        try:
            channel, address = await address_of(tx, row.contact_id)
            aad = outbox_aad(row.contact_id, row.delivery_id)
            payload = from_json(tx.keys.decrypt("outbox", row.payload_ct, aad))
        except (CryptoError, ValueError, NoResultFound) as exc:
            # One unreadable row must not stop every other reply: park it for an operator.
            row.next_attempt_at = tx.now + PARKED
            row.last_error = f"unreadable: {exc.__class__.__name__}"
            log.error("outbox row %s is unreadable and was parked", row.id)
            continue
        deliveries.append(
            Delivery(
                row.id, row.delivery_id, row.contact_id, channel, address, payload, row.attempts
            )
        )
    await tx.session.flush()
    return deliveries


_SQLITE_IDS: Final = func.json_each(bindparam("ids", type_=String)).table_valued("value")
_DELIVERED: Final = {
    # The ids as one JSON array or one PostgreSQL array: the same statement whatever their
    # number, compiled and prepared once. An `IN (…)` of as many parameters as ids (some
    # hundreds a second under load) was compiled anew for each count, and on PostgreSQL
    # prepared anew on the server too.
    "sqlite": delete(_OUTBOX_TABLE).where(_OUTBOX_TABLE.c.id.in_(select(_SQLITE_IDS.c.value))),
    # Sent as text[]: asyncpg has a codec of its own for that, while an integer[] parameter
    # makes it look the type up on every new connection (as storage/pending.py's `w_sent`).
    "postgresql": delete(_OUTBOX_TABLE).where(
        _OUTBOX_TABLE.c.id == any_(sql_cast(bindparam("ids", type_=ARRAY(Text)), ARRAY(Integer)))
    ),
}


async def delivered(tx: Tx, outbox_ids: list[int]) -> None:
    # On the connection: the ORM's bulk delete would look through the session for the rows
    # first, for nothing (no transaction that delivers changes them afterwards).
    connection = await tx.session.connection()
    ids: Any = json.dumps(outbox_ids) if tx.backend == "sqlite" else [str(i) for i in outbox_ids]
    await connection.execute(_DELIVERED[tx.backend], {"ids": ids})


async def release_leases(tx: Tx) -> int:
    """Free every lease: only for a store that one process alone uses (SQLite), at its start.

    A process killed between sending a reply and deleting its row leaves that row leased; as
    the head of its contact's queue it would hold back every later reply to that person until
    the lease ran out (a minute). On PostgreSQL another replica may hold a lease rightly, so
    there the lease runs out instead."""
    result = await tx.session.execute(
        update(OutboxItem).where(OutboxItem.lease_until.is_not(None)).values(lease_until=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def retry_later(tx: Tx, outbox_id: int, at: datetime, error: str) -> None:
    await tx.session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == outbox_id)
        .values(next_attempt_at=at, lease_until=None, last_error=error[:200])
    )


async def drop_for_contact(tx: Tx, contact_id: int) -> int:
    """A contact that cannot be reached (blocked the bot): nothing more can be delivered."""
    result = await tx.session.execute(delete(OutboxItem).where(OutboxItem.contact_id == contact_id))
    return int(getattr(result, "rowcount", 0))


async def pending(tx: Tx) -> int:
    return int(await tx.session.scalar(select(func.count(OutboxItem.id))) or 0)


async def next_due(tx: Tx) -> datetime | None:
    """When the next retry is due, so an idle worker knows how long it may sleep."""
    return await tx.session.scalar(select(func.min(OutboxItem.next_attempt_at)))
