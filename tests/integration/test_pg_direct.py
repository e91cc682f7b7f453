"""On PostgreSQL an ordinary answer runs on asyncpg itself, in a transaction asyncpg begins
(storage/pg_direct.py), outside SQLAlchemy's bookkeeping. What people must still be able to
rely on when the connection beneath it fails or the message is given up half-way: the
message is not acknowledged, nothing of it stays, the same message sent again is processed
once, and no connection goes back to the pool with a transaction open or dead."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import exc, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.channels.memory import MemoryChannel
from bot.clock import SystemClock
from storage import contacts, conversations, meta, outbox, pg_direct
from storage.crypto import KdfParams, ServerKey
from storage.db import Database
from storage.store import Store
from tests import pg
from tests.conftest import Office
from tests.integration.test_conversation import Person
from tests.integration.test_statement_count import pushed_at_the_danger_question

pytestmark = pytest.mark.postgres


@pytest.fixture
async def store(migrated_postgres_url: str) -> AsyncIterator[Store]:
    """As the service opens it: pooled connections are checked only after lying idle (here:
    never within the test), so a dead one is met by a unit of work, not by the pool."""
    db = Database(migrated_postgres_url, idle_clock=SystemClock().monotonic, ping_after_idle=3600)
    s = Store(db, ServerKey.generate(), KdfParams.fast(), clock=SystemClock())
    async with s.tx() as tx:
        await meta.check_server_key(tx)
    yield s  # the office (tests/conftest.py) is set up on it
    await s.close()


async def _at_the_danger_question(store: Store, channel: MemoryChannel) -> Person:
    person = Person(store, channel)
    await person.send(command="start", language="de")
    await person.send(choice="accept")  # the danger question: the next answer is ordinary
    return person


async def _admin_fetch(url: str, sql: str) -> list[tuple[object, ...]]:
    admin = await pg._connect(url)
    try:
        return [tuple(row) for row in await admin.fetch(sql)]
    finally:
        await admin.close()


_END_OTHERS = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
_WAITING_FOR_A_LOCK = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
)
_IN_A_TRANSACTION_OR_WAITING = (
    "SELECT state FROM pg_stat_activity WHERE datname = current_database()"
    " AND pid <> pg_backend_pid()"
    " AND (state LIKE 'idle in transaction%' OR wait_event_type = 'Lock')"
)


async def _lines(store: Store, address: str) -> list[str]:
    async with store.read() as tx:
        contact = await contacts.find(tx, "memory", address)
        assert contact is not None
        conversation = await conversations.active_for(tx, contact.id)
        assert conversation is not None
        return [line.sender for line in await conversations.bot_phase_lines(tx, conversation.id)]


async def test_an_answer_that_meets_a_dead_connection_is_not_acknowledged_and_kept_once_resent(
    office: Office, migrated_postgres_url: str, recwarn: pytest.WarningsRecorder
) -> None:
    store = office.store
    channel = MemoryChannel()
    people = [await _at_the_danger_question(store, channel) for _ in range(3)]
    # Three answers at once: the pool holds three connections used moments ago.
    await asyncio.gather(*(p.send(choice="no") for p in people))
    first, *others = people
    before = await _lines(store, first.address)
    # The server ends them, as a restart or a dropping proxy would.
    assert await _admin_fetch(migrated_postgres_url, _END_OTHERS)

    with pytest.raises(exc.DBAPIError):
        await first.send("answer-1", choice="this_week")
    assert await _lines(store, first.address) == before  # nothing of it stayed
    # The page sends it again: processed now, once.
    replies = await first.send("answer-1", choice="this_week")
    assert [r.text for r in replies] == ["Wo ist es passiert?"]
    assert await _lines(store, first.address) == [*before, "person", "bot"]
    # The pool's other connections of that age were replaced, not met dead one by one.
    for person in others:
        assert [r.text for r in await person.send(choice="this_week")] == ["Wo ist es passiert?"]
    _assert_given_back(store, recwarn)  # the dead one's place went back to the pool


def _assert_given_back(store: Store, recwarn: pytest.WarningsRecorder) -> None:
    """Every connection taken from the pool was given back by the unit that took it: none
    is out, and none had to be found by the garbage collector (SQLAlchemy's last resort,
    with a warning; a leak without it would, in time, leave every unit waiting)."""
    pool: Any = store.db.engine.sync_engine.pool
    warned = [str(w.message) for w in recwarn if issubclass(w.category, exc.SAWarning)]
    assert warned == []
    assert pool.checkedout() == 0


async def test_an_answer_given_up_while_it_waits_leaves_nothing_and_no_open_transaction(
    office: Office, migrated_postgres_url: str, recwarn: pytest.WarningsRecorder
) -> None:
    store = office.store
    channel = MemoryChannel()
    person = await _at_the_danger_question(store, channel)
    before = await _lines(store, person.address)
    # Another replica holds the person's conversation row: the answer's locking read waits.
    holder = await pg._connect(migrated_postgres_url)
    try:
        holding = holder.transaction()
        await holding.start()
        await holder.execute("SELECT id FROM conversations WHERE owner = 'bot' FOR UPDATE")
        answer = asyncio.create_task(person.send("answer-1", choice="no"))
        for _ in range(500):
            waiting = await _admin_fetch(migrated_postgres_url, _WAITING_FOR_A_LOCK)
            if waiting:
                break
            await asyncio.sleep(0.01)
        assert waiting, "the answer never waited for the row"
        answer.cancel()  # the person's socket went away; the service shuts down
        with pytest.raises(asyncio.CancelledError):
            await answer
        await holding.rollback()
    finally:
        await holder.close()

    assert await _lines(store, person.address) == before
    # No connection of the pool sits in a transaction (holding the row's lock) or waits.
    for _ in range(500):
        stuck = await _admin_fetch(migrated_postgres_url, _IN_A_TRANSACTION_OR_WAITING)
        if not stuck:
            break
        await asyncio.sleep(0.01)
    assert not stuck
    replies = await person.send("answer-1", choice="no")
    assert [r.text for r in replies] == ["Wann ist es passiert?"]
    assert await _lines(store, person.address) == [*before, "person", "bot"]
    _assert_given_back(store, recwarn)  # the given-up unit's connection went back


async def test_an_answer_that_meets_a_schema_change_is_not_lost(
    office: Office, migrated_postgres_url: str
) -> None:
    """A column's type changed while the replica runs (a migration of a rolling upgrade):
    a statement asyncpg prepared on a connection no longer fits, and inside a transaction it
    cannot prepare it again. The answer that meets it is not acknowledged; asyncpg dropped
    its prepared statements, so the same answer sent again is processed, once."""
    channel = MemoryChannel()
    person = await _at_the_danger_question(office.store, channel)
    await person.send(choice="no")  # the person is known: the next answer's unit is light
    before = await _lines(office.store, person.address)
    admin = await pg._connect(migrated_postgres_url)
    try:
        await admin.execute("ALTER TABLE conversations ALTER COLUMN language TYPE text")
    finally:
        await admin.close()
    with pytest.raises(exc.DBAPIError):
        await person.send("answer-1", choice="this_week")
    replies = await person.send("answer-1", choice="this_week")
    assert [r.text for r in replies] == ["Wo ist es passiert?"]
    assert [r.text for r in await person.send(choice="garbsen")] == ["Was ist passiert?"]
    # Read on connections of their own (SQLAlchemy's prepared statements on the service's
    # fail once too, for a session's unit as before).
    reader = Store(
        Database(migrated_postgres_url), office.store.keys, KdfParams.fast(), clock=SystemClock()
    )
    try:
        lines = await _lines(reader, person.address)
    finally:
        await reader.close()
    assert lines == [*before, "person", "bot", "person", "bot"]


async def test_a_reply_sent_but_not_yet_cleared_does_not_hold_the_next_one_back(
    office: Office, migrated_postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replies pushed and sent are deleted from the outbox in batches, a moment later. Until
    then they are still there, and the next answer's reply must not wait behind them: the
    unit's write, which asks whether an earlier reply waits, leaves them out."""
    pushed = await pushed_at_the_danger_question(office.store, "person-quick")
    send, worker, channel = pushed.send, pushed.worker, pushed.channel
    # The next batch's delete is held until the person has answered again.
    answered = asyncio.Event()
    delete = outbox.delivered

    async def after_the_answer(tx: Any, outbox_ids: list[int]) -> None:
        await answered.wait()
        await delete(tx, outbox_ids)

    monkeypatch.setattr(outbox, "delivered", after_the_answer)
    assert await send(choice="no") == 1
    assert await _admin_fetch(migrated_postgres_url, "SELECT id FROM outbox")  # not cleared
    assert await send(choice="this_week") == 1  # pushed, not left behind the sent one
    answered.set()
    await worker.flush_pushed()
    texts = [m.text for m in channel.to("person-quick")]
    assert texts[-2:] == ["Wann ist es passiert?", "Wo ist es passiert?"]
    assert not await _admin_fetch(migrated_postgres_url, "SELECT id FROM outbox")


async def test_a_server_that_refuses_the_connection_fails_the_unit_as_any_statement_would(
    migrated_postgres_url: str,
) -> None:
    """As SQLAlchemy's own connections report it (a DBAPIError the service's error handling
    knows, with no parameters in it), not as the driver's exception."""
    refusing = make_url(migrated_postgres_url).set(database="no_such_database")
    engine = create_async_engine(refusing)
    try:
        with pytest.raises(exc.DBAPIError) as failed:
            async with pg_direct.transaction(engine):
                raise AssertionError("a unit ran without a connection")
        assert "no_such_database" in str(failed.value.orig)
    finally:
        await engine.dispose()
