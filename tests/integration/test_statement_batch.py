"""A turn's writes go to the database as one batch of prepared statements
(storage/statement_batch.py): the rows come out as SQLAlchemy would have written them, and a
statement the database refuses fails the transaction with SQLAlchemy's error, without the
values in its text, leaving nothing of the transaction behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import String, Table, bindparam, exc, func, insert, select, update
from sqlalchemy import cast as cast_
from sqlalchemy.sql import ColumnElement

from storage import contacts
from storage.models import Contact, InboundReceipt
from storage.statement_batch import Batch, Statement
from tests.conftest import Office

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RECEIPTS = cast(Table, InboundReceipt.__table__)
CONTACTS = cast(Table, Contact.__table__)
_INSERT_RECEIPT = insert(RECEIPTS).values(
    contact_id=bindparam("contact_id"),
    client_ref=bindparam("client_ref"),
    created_at=bindparam("created_at"),
)
RECEIPT = Statement(_INSERT_RECEIPT)
RECEIPT_RETURNING = Statement(_INSERT_RECEIPT.returning(RECEIPTS.c.client_ref))
SEEN = Statement(
    update(CONTACTS)
    .where(CONTACTS.c.id == bindparam("row_id"))
    .values(last_seen_at=bindparam("last_seen_at"))
)


async def test_a_batch_writes_what_the_orm_would_have(office: Office) -> None:
    store = office.store
    # In Hannover's summer time: the column's type stores it as UTC.
    later = (NOW + timedelta(hours=3)).astimezone(timezone(timedelta(hours=2)))
    async with store.tx(NOW) as tx:
        contact = await contacts.contact_for(tx, "memory", "person-batch")
        batch = Batch()
        batch.add(SEEN, {"row_id": contact.id, "last_seen_at": later})
        batch.add_many(
            RECEIPT,
            [
                {"contact_id": contact.id, "client_ref": f"r{n}", "created_at": NOW}
                for n in range(3)
            ],
        )
        batch.add(
            RECEIPT_RETURNING, {"contact_id": contact.id, "client_ref": "r9", "created_at": NOW}
        )
        returned = await tx.session.run_sync(lambda s: batch.run(s.connection()))
    assert returned == ["r9"]
    async with store.read() as tx:
        rows = (
            await tx.session.execute(
                select(InboundReceipt.client_ref, InboundReceipt.created_at)
                .where(InboundReceipt.contact_id == contact.id)
                .order_by(InboundReceipt.client_ref)
            )
        ).all()
        seen = await tx.session.scalar(select(Contact.last_seen_at).where(Contact.id == contact.id))
    assert [(ref, at) for ref, at in rows] == [(f"r{n}", NOW) for n in (0, 1, 2, 9)]
    assert seen == later and seen.utcoffset() == timedelta(0)  # the column type's processing


SEALED = Statement(
    update(CONTACTS)
    .where(CONTACTS.c.id == bindparam("row_id"))
    .values(address_ct=bindparam("address_ct"))
)


async def test_a_batch_stores_sealed_bytes_as_the_orm_does(office: Office) -> None:
    """Ciphertext goes in as the same binary value (a BLOB on SQLite, bytea on PostgreSQL)
    and comes back as the same bytes, whether the ORM wrote it or a batch."""
    store = office.store
    sealed = bytes(range(256)) + b"\x00tail"
    async with store.tx(NOW) as tx:
        by_orm = await contacts.contact_for(tx, "memory", "person-orm-bytes")
        by_batch = await contacts.contact_for(tx, "memory", "person-batch-bytes")
        row = await tx.session.get_one(Contact, by_orm.id)
        row.address_ct = sealed
        await tx.session.flush()
        batch = Batch()
        batch.add(SEALED, {"row_id": by_batch.id, "address_ct": sealed})
        await tx.session.run_sync(lambda s: batch.run(s.connection()))
    kind: ColumnElement[Any]
    if store.db.backend == "sqlite":
        kind = func.typeof(Contact.address_ct)
    else:
        kind = cast_(func.pg_typeof(Contact.address_ct), String)
    async with store.read() as tx:
        stored = (
            await tx.session.execute(
                select(Contact.id, Contact.address_ct, kind).where(
                    Contact.id.in_([by_orm.id, by_batch.id])
                )
            )
        ).all()
    found = {row[0]: (bytes(row[1]), row[2]) for row in stored}
    assert found[by_batch.id] == found[by_orm.id]
    assert found[by_batch.id][0] == sealed and found[by_batch.id][1] in {"blob", "bytea"}


async def test_text_for_a_binary_column_is_refused_when_written(office: Office) -> None:
    """Not stored as text that would fail only when someone reads it."""
    store = office.store
    async with store.tx(NOW) as tx:
        contact = await contacts.contact_for(tx, "memory", "person-text-bytes")
    batch = Batch()
    batch.add(SEALED, {"row_id": contact.id, "address_ct": "kein Chiffretext"})

    async def write() -> None:
        async with store.tx(NOW) as tx:
            await tx.session.run_sync(lambda s: batch.run(s.connection()))

    with pytest.raises((TypeError, exc.StatementError)):
        await write()
    async with store.read() as tx:
        stored = await tx.session.scalar(select(Contact.address_ct).where(Contact.id == contact.id))
    assert isinstance(stored, bytes)


async def test_a_refused_statement_fails_the_transaction_without_its_values(
    office: Office,
) -> None:
    store = office.store
    async with store.tx(NOW) as tx:
        contact = await contacts.contact_for(tx, "memory", "person-refused")
    canary = "canary-7f3a-plaintext"
    batch = Batch()
    batch.add(SEEN, {"row_id": contact.id, "last_seen_at": NOW + timedelta(days=1)})
    twice = {"contact_id": contact.id, "client_ref": canary, "created_at": NOW}
    batch.add_many(RECEIPT, [twice, twice])

    async def write() -> None:
        async with store.tx(NOW) as tx:
            await tx.session.run_sync(lambda s: batch.run(s.connection()))

    with pytest.raises(exc.IntegrityError) as refused:
        await write()
    assert canary not in str(refused.value)
    async with store.read() as tx:
        left = await tx.session.scalar(
            select(InboundReceipt.client_ref).where(InboundReceipt.contact_id == contact.id)
        )
        seen = await tx.session.scalar(select(Contact.last_seen_at).where(Contact.id == contact.id))
    assert left is None
    assert seen == NOW  # the UPDATE before the refused INSERT is gone too


async def test_a_batch_reads_a_row_as_sqlalchemy_would(office: Office) -> None:
    """A query in a batch (the contact read with the receipt, storage/arrival.py) answers
    its first row with the column types' processing (an aware time, a real bool), the
    statement's own bound values included (`channel != 'telegram'`), and None without a
    row."""
    store = office.store
    async with store.tx(NOW) as tx:
        contact = await contacts.contact_for(tx, "memory", "person-read")
    query = select(
        CONTACTS.c.id.label("contact_id"), CONTACTS.c.unreachable, CONTACTS.c.last_seen_at
    ).where(CONTACTS.c.pseudonym == bindparam("pseudonym"), CONTACTS.c.channel != "telegram")
    read = Statement(query)
    batch = Batch()
    batch.add_row(read, {"pseudonym": contact.pseudonym})
    batch.add_row(read, {"pseudonym": "nobody"})
    async with store.tx(NOW) as tx:
        found, nobody = await tx.session.run_sync(lambda s: batch.run(s.connection()))
        expected = (await tx.session.execute(query, {"pseudonym": contact.pseudonym})).one()
    assert found == dict(expected._mapping)
    assert found["contact_id"] == contact.id and found["unreachable"] is False
    assert found["last_seen_at"] == NOW and found["last_seen_at"].utcoffset() == timedelta(0)
    assert nobody is None


@pytest.mark.parametrize(
    "moment",
    [
        NOW,
        NOW.replace(microsecond=5),
        NOW.replace(microsecond=70).astimezone(timezone(timedelta(hours=-3))),
    ],
    ids=["whole-second", "microseconds", "other-zone"],
)
async def test_a_batch_stores_a_time_as_the_same_text_as_the_orm(
    office: Office, moment: datetime
) -> None:
    """SQLite compares times as text (the outbox's due replies, the sweeps): a batch's time
    must be stored exactly as the ORM stores it, whatever its zone or microseconds."""
    store = office.store
    async with store.tx(NOW) as tx:
        contact = await contacts.contact_for(tx, "memory", "person-text")
        tx.session.add(InboundReceipt(contact_id=contact.id, client_ref="orm", created_at=moment))
        await tx.session.flush()
        batch = Batch()
        batch.add(RECEIPT, {"contact_id": contact.id, "client_ref": "batch", "created_at": moment})
        await tx.session.run_sync(lambda s: batch.run(s.connection()))
        if store.db.backend != "sqlite":
            return
        texts: dict[str, str] = dict(
            (
                await tx.session.execute(
                    select(RECEIPTS.c.client_ref, RECEIPTS.c.created_at.cast(String)).where(
                        RECEIPTS.c.contact_id == contact.id
                    )
                )
            ).all()
        )
    assert texts["batch"] == texts["orm"]
