"""Storage contracts that hold on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.channels.base import OutboundMessage
from bot.clock import SystemClock
from bot.delivery.worker import DeliveryWorker
from bot.settings import DeliverySettings
from storage import contacts, flows, outbox, stats
from storage.crypto import KdfParams, ServerKey
from storage.db import Database
from storage.migrate import _config, is_current, upgrade
from storage.models import Base, Contact
from storage.notify import OutboxListener, announce_outbox
from storage.records import ContactRef
from storage.store import Store


async def test_migrations_build_exactly_the_schema_of_the_models(store: Store) -> None:
    assert await is_current(store.db)

    def diff(sync: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(sync), Base.metadata))

    async with store.db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


class CountingChannel:
    """Accepts everything, slowly, and counts what it got per delivery id."""

    name = "memory"

    def __init__(self) -> None:
        self.got: Counter[str] = Counter()
        self.order: dict[str, list[str]] = {}

    async def send(self, message: OutboundMessage) -> None:
        await asyncio.sleep(0.001)
        self.got[message.delivery_id] += 1
        self.order.setdefault(message.address, []).append(message.text)


async def test_two_workers_deliver_each_reply_once_and_in_order(store: Store) -> None:
    async with store.tx() as tx:
        for person in range(10):
            contact = await contacts.contact_for(tx, "memory", f"person-{person}")
            for n in range(5):
                await outbox.enqueue(tx, contact.id, {"text": f"{person}:{n}"})
    channel = CountingChannel()
    settings = DeliverySettings(lease_seconds=30)
    workers = [
        DeliveryWorker(store, {"memory": channel}, settings, clock=SystemClock(), batch=7)
        for _ in range(2)
    ]

    async def drain(worker: DeliveryWorker) -> None:
        for _ in range(200):
            await worker.run_once()
            async with store.tx() as tx:
                if await outbox.pending(tx) == 0:
                    return

    await asyncio.gather(*(drain(w) for w in workers))
    assert len(channel.got) == 50
    assert set(channel.got.values()) == {1}
    for person in range(10):
        assert channel.order[f"person-{person}"] == [f"{person}:{n}" for n in range(5)]


async def test_a_crashed_workers_lease_expires_and_the_reply_is_sent_again(store: Store) -> None:
    async with store.tx() as tx:
        contact = await contacts.contact_for(tx, "memory", "person")
        await outbox.enqueue(tx, contact.id, {"text": "hello"})
    async with store.tx() as tx:
        (taken,) = await outbox.claim_due(tx, 10, timedelta(seconds=60))
    # The worker that took it dies; while its lease runs nobody else may take it …
    async with store.tx() as tx:
        assert await outbox.claim_due(tx, 10, timedelta(seconds=60)) == []
    # … and afterwards the same reply, with the same delivery id, is offered again.
    async with store.tx(datetime.now(UTC) + timedelta(seconds=61)) as tx:
        (again,) = await outbox.claim_due(tx, 10, timedelta(seconds=60))
    assert again.outbox_id == taken.outbox_id
    assert again.delivery_id == taken.delivery_id
    assert again.attempts == 2


async def test_delivery_ids_never_repeat_even_after_the_outbox_was_empty(store: Store) -> None:
    """A receiver drops a reply whose delivery id it has seen (docs/bridge-protocol.md). SQLite
    hands out row ids again once the table is empty, so row ids must not be delivery ids."""
    channel = CountingChannel()
    worker = DeliveryWorker(
        store, {"memory": channel}, DeliverySettings(lease_seconds=30), clock=SystemClock()
    )
    async with store.tx() as tx:
        contact = await contacts.contact_for(tx, "memory", "person")
    for turn in range(4):
        async with store.tx() as tx:
            for n in range(3):
                await outbox.enqueue(tx, contact.id, {"text": f"{turn}:{n}"})
        for _ in range(10):
            await worker.run_once()
        async with store.tx() as tx:
            assert await outbox.pending(tx) == 0  # empty again before the next replies
    assert sum(channel.got.values()) == 12
    assert len(channel.got) == 12, "a delivery id was used for two different replies"


async def test_flow_versions_are_numbered_and_drafts_are_not_published(store: Store) -> None:
    async with store.tx() as tx:
        v1 = await flows.publish(tx, "intake", "a: 1\n", "admin")
        same = await flows.publish_if_changed(tx, "intake", "a: 1\n", "admin", "")
        draft = await flows.draft(tx, "intake", "a: 2\n", "simulate")
        v2 = await flows.publish_if_changed(tx, "intake", "a: 3\n", "admin", "")
        current = await flows.current(tx, "intake")
    assert (v1.number, same.id, draft.number, v2.number) == (1, v1.id, None, 2)
    assert current is not None and current.id == v2.id


@pytest.mark.parametrize("channel", ["telegram", "webchat"])
async def test_a_channel_address_is_stored_only_encrypted(store: Store, channel: str) -> None:
    address = "chat-9876543210"
    async with store.tx() as tx:
        contact = await contacts.contact_for(tx, channel, address)
        again = await contacts.contact_for(tx, channel, address)
        assert again.id == contact.id
        assert address not in contact.pseudonym
        assert await contacts.address_of(tx, contact.id) == (channel, address)
        row = await tx.session.get_one(Contact, contact.id)
    assert address.encode() not in row.address_ct


async def test_a_reply_committed_by_one_replica_wakes_the_worker_of_another(
    fresh_postgres_url: str,
) -> None:
    replica_a = Store(
        Database(fresh_postgres_url), ServerKey.generate(), KdfParams.fast(), clock=SystemClock()
    )
    await upgrade(replica_a.db)
    replica_b = Store(
        Database(fresh_postgres_url), replica_a.keys, KdfParams.fast(), clock=SystemClock()
    )
    channel = CountingChannel()
    # B polls only once a minute: only the notification can make it deliver quickly.
    worker = DeliveryWorker(
        replica_b, {"memory": channel}, DeliverySettings(poll_seconds=60), clock=SystemClock()
    )
    listener = OutboxListener(replica_b.db, worker.wake)
    await listener.start()
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.3)  # B finished its first (empty) round and sleeps
        async with replica_a.tx() as tx:
            contact = await contacts.contact_for(tx, "memory", "person")
            await outbox.enqueue(tx, contact.id, {"text": "from replica A"})
            await announce_outbox(tx)
        for _ in range(50):
            if channel.got:
                break
            await asyncio.sleep(0.1)
        assert channel.order == {"person": ["from replica A"]}
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await listener.stop()
        await replica_a.db.dispose()
        await replica_b.db.dispose()


async def test_statistics_counters_add_up_from_concurrent_closes(store: Store) -> None:
    async def close_one(outcome: str) -> None:
        async with store.tx() as tx:
            await stats.count(tx, "2026-11", {"cases": ["closed"], "outcome": [outcome]})

    await asyncio.gather(*(close_one("referral" if i % 2 else "counselling") for i in range(6)))
    async with store.read() as tx:
        rows = {(r.dimension, r.value): r.count for r in await stats.table(tx)}
    assert rows == {
        ("cases", "closed"): 6,
        ("outcome", "counselling"): 3,
        ("outcome", "referral"): 3,
    }


async def test_replies_waiting_at_the_upgrade_get_a_delivery_id(blank_database_url: str) -> None:
    db = Database(blank_database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda sync: command.upgrade(_config(sync), "0006"))
            now = datetime(2026, 1, 5)  # stored naive, as UTCDateTime does
            await conn.execute(
                text(
                    "INSERT INTO contacts (id, channel, pseudonym, address_ct, created_at,"
                    " last_seen_at, unreachable) VALUES (1, 'memory', 'p', :ct, :now, :now, false)"
                ),
                {"ct": b"x", "now": now},
            )
            for _ in range(2):
                await conn.execute(
                    text(
                        "INSERT INTO outbox (contact_id, payload_ct, created_at, attempts,"
                        " next_attempt_at) VALUES (1, :ct, :now, 0, :now)"
                    ),
                    {"ct": b"x", "now": now},
                )
        await upgrade(db)
        async with db.engine.connect() as conn:
            ids = list((await conn.execute(text("SELECT delivery_id FROM outbox"))).scalars())
        assert len(set(ids)) == 2 and all(len(i) == 32 for i in ids)
    finally:
        await db.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_replicas_making_the_same_new_contact_at_once_share_one(store: Store) -> None:
    """Two replicas get a new person's first message at the same moment (a page that
    reconnects to the other one, say): each has found no contact and inserts one. The second
    insert waits for the first transaction, then finds the row taken and uses that contact:
    one contact, one id, and only the first counts as new (its person has no earlier case)."""
    address = "the-same-new-person"
    first_inserted, first_may_commit = asyncio.Event(), asyncio.Event()

    async def first() -> ContactRef:
        async with store.tx() as tx:
            made = await contacts.contact_for(tx, "memory", address, looked_up=True)
            first_inserted.set()
            await first_may_commit.wait()
        return made

    async def second() -> ContactRef:
        await first_inserted.wait()
        async with store.tx() as tx:
            return await contacts.contact_for(tx, "memory", address, looked_up=True)

    made_first = asyncio.create_task(first())
    made_second = asyncio.create_task(second())
    await first_inserted.wait()
    await asyncio.sleep(0.3)  # the second insert now waits for the first transaction
    assert not made_second.done()
    first_may_commit.set()
    a, b = await asyncio.gather(made_first, made_second)
    assert (a.id, a.new) == (b.id, True) and not b.new
    async with store.read() as tx:
        found = await contacts.find(tx, "memory", address)
        assert found is not None and found.id == a.id
