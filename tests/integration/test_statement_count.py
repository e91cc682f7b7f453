"""The most common message, an ordinary answer in the bot phase, costs few SQL statements
(issue 16 asks for at most 4; this is where it stands), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.util.concurrency import await_

from bot.channels.base import InboundMessage
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from bot.conversation.external import ExternalIntake
from bot.conversation.flows import SHIPPED_INTAKE, FlowCatalog, publish_files
from bot.conversation.service import ConversationService
from bot.delivery.worker import DeliveryWorker
from storage.store import Store
from tests.conftest import Office

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextlib.asynccontextmanager
async def statements(store: Store) -> AsyncIterator[list[str]]:
    """Every statement the database ran while the block runs: on SQLite as SQLite itself
    reports them (its trace callback, so statements sent past SQLAlchemy in one trip count
    too), on PostgreSQL as sent, through SQLAlchemy or straight on asyncpg (a light unit's,
    storage/pg_direct.py: asyncpg's query log). Not counted: the transaction's BEGIN and
    COMMIT, and the SAVEPOINT and RELEASE of a unit that joined a group commit
    (storage/group_commit.py; whether it joins depends on who else writes at that moment,
    not on the message, and it saves a commit when it does)."""
    seen: list[str] = []
    counting = True

    def count(sql: str) -> None:
        if counting and not sql.lstrip().upper().startswith(_CONTROL):
            seen.append(sql)

    engine = store.db.engine.sync_engine
    if store.db.is_sqlite:

        def trace(dbapi_conn: Any, *_: Any) -> None:
            # Left on the pooled connection afterwards, counting nothing (`counting`).
            await_(dbapi_conn.driver_connection.set_trace_callback(count))

        event.listen(engine, "checkout", trace)
        try:
            yield seen
        finally:
            counting = False
            event.remove(engine, "checkout", trace)
        return

    def sent(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        count(sql)

    def logged(query: Any) -> None:
        count(query.query)

    def log(dbapi_conn: Any, *_: Any) -> None:
        # Left on the pooled connection afterwards, counting nothing (`counting`).
        dbapi_conn.driver_connection.add_query_logger(logged)

    event.listen(engine, "before_cursor_execute", sent)
    event.listen(engine, "checkout", log)
    try:
        yield seen
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon, not at once
    finally:
        counting = False
        event.remove(engine, "checkout", log)
        event.remove(engine, "before_cursor_execute", sent)


def shapes(seen: list[str]) -> list[str]:
    """What each statement was, for a failure's message: its first words, never its values
    (SQLite's trace has them filled in, and they are ciphertext and pseudonyms)."""
    return [" ".join(sql.split()[:3]) for sql in seen]


MOST = {"sqlite": 5, "postgresql": 3}
"""Statements of an ordinary bot-phase answer. SQLite: the contact with its open
conversation, the receipt, one UPDATE of the conversation, its two new lines in one INSERT
(storage/pending.py) and the reply's outbox row. PostgreSQL: the contact with its
conversation locked and the receipt in one statement, the UPDATE and both INSERTs in one
(data-modifying CTEs), and the NOTIFY that wakes the delivery workers (here, without a
direct push; a pushed reply needs none, see the next test)."""


Send = Callable[..., Coroutine[Any, Any, None]]


def trips_to_the_database_thread(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One entry per call queued for aiosqlite's thread from now on (its function's name)."""
    import aiosqlite

    trips: list[str] = []
    stock: Any = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", "?"))
        return await stock(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return trips


@dataclass
class Pushed:
    """A person whose replies are pushed at once (the app's way), at the danger question."""

    send: Callable[..., Coroutine[Any, Any, int]]
    """Sends the person's next message; returns how many replies were pushed."""
    worker: DeliveryWorker
    channel: MemoryChannel


async def pushed_at_the_danger_question(store: Store, address: str) -> Pushed:
    clock = ManualClock(NOW)
    channel = MemoryChannel()
    service = ConversationService(store, FlowCatalog("mini"), response_time={}, clock=clock)
    worker = DeliveryWorker(store, {channel.name: channel}, clock=clock)
    service.pusher = worker

    async def send(**fields: Any) -> int:
        msg = InboundMessage(channel.name, address, f"m{next(_ids)}", **fields)
        handled = await service.handle(msg)
        assert handled.status == "processed"
        return handled.pushed

    await send(command="start", language="de")
    await send(choice="accept")
    await worker.flush_pushed()  # the sent reply's row deleted (batched, in a unit of its own)
    return Pushed(send, worker, channel)


async def at_a_question(store: Store, address: str) -> Send:
    """A person who started the mini intake and consented: their next answer is an ordinary
    bot-phase answer. Returns how they send one."""
    clock = ManualClock(NOW)
    service = ConversationService(store, FlowCatalog("mini"), response_time={}, clock=clock)

    async def send(**fields: Any) -> None:
        msg = InboundMessage("memory", address, f"m{next(_ids)}", **fields)
        assert (await service.handle(msg)).status == "processed"

    await send(command="start", language="de")
    await send(choice="accept")
    clock.advance(seconds=40)  # a person takes a moment to answer
    return send


async def test_an_ordinary_bot_phase_answer_costs_few_statements(office: Office) -> None:
    send = await at_a_question(office.store, "person-1")
    async with statements(office.store) as seen:
        await send(choice="no")
    assert len(seen) <= MOST[office.store.db.backend], shapes(seen)
    # Sequence numbers and state in one UPDATE of the row (on PostgreSQL inside the one
    # statement of the turn's writes).
    assert sum(sql.count("UPDATE conversations") for sql in seen) == 1


async def test_a_pushed_reply_costs_fewer_statements_than_a_delivery_round(
    office: Office,
) -> None:
    """The whole way of an answer to its reply: the unit of work and the reply's delivery.
    Pushed at once (the app's way), the claim and the delete of a delivery round give way to
    one indexed look at the person's waiting replies and a share of a batched delete."""
    from bot.channels.memory import MemoryChannel
    from bot.delivery.worker import DeliveryWorker

    clock = ManualClock(NOW)
    channel = MemoryChannel()

    async def round_trip(pushed: bool, address: str) -> list[str]:
        service = ConversationService(
            office.store, FlowCatalog("mini"), response_time={}, clock=clock
        )
        worker = DeliveryWorker(office.store, {channel.name: channel}, clock=clock)
        service.pusher = worker if pushed else None

        async def send(**fields: Any) -> None:
            msg = InboundMessage(channel.name, address, f"m{next(_ids)}", **fields)
            assert (await service.handle(msg)).status == "processed"
            while await worker.run_once():
                pass
            await worker.flush_pushed()

        await send(command="start", language="de")
        await send(choice="accept")
        async with statements(office.store) as seen:
            await send(choice="no")
        assert channel.to(address)[-1].text == "Wann ist es passiert?"
        return seen

    by_round = await round_trip(False, "person-round")
    by_push = await round_trip(True, "person-push")
    # Gone: the lease's UPDATE and the address's SELECT of the round (and one transaction).
    assert len(by_push) <= len(by_round) - 2, (shapes(by_push), shapes(by_round))
    if office.store.db.backend == "postgresql":
        # Other replicas' workers are woken for a reply left to them, not for one pushed
        # at once (leased to this process, no other worker could take it).
        assert [sql for sql in by_round if "pg_notify" in sql]
        assert not [sql for sql in by_push if "pg_notify" in sql]
    assert sum(sql.count("UPDATE conversations") for sql in by_push) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_answer_makes_two_trips_to_the_database_thread(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiosqlite runs SQLite on a thread of its own; every call there is a round trip
    through the busy event loop while the write lock is held. An answer makes two: the
    BEGIN IMMEDIATE that begins the write transaction (it may wait for another process) and
    the COMMIT (the disk's flush). The turn's reads and writes (the contact with its
    conversation and the receipt, then the conversation's UPDATE, its lines, its reply) run
    on the event loop's thread in place (storage/sqlite_driver.py `in_place`)."""

    send = await at_a_question(office.store, "person-hops")
    trips = trips_to_the_database_thread(monkeypatch)
    await send(choice="no")
    assert trips == ["_run", "_commit"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_message_that_needs_a_session_makes_no_more_trips_than_an_answer(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new person's first message needs an ORM session (storage/light.py gives up on a
    contact it does not know, and the unit runs again in a session: a contact, a
    conversation, its lines and the greeting). A message's statements touch a handful of
    rows, so the session's run in place too, as does the light unit's rollback: the
    transaction's BEGIN IMMEDIATE and COMMIT, as for an answer."""
    clock = ManualClock(NOW)
    service = ConversationService(office.store, FlowCatalog("mini"), response_time={}, clock=clock)
    trips = trips_to_the_database_thread(monkeypatch)
    msg = InboundMessage("memory", "person-new", f"m{next(_ids)}", command="start", language="de")
    assert (await service.handle(msg)).status == "processed"
    assert trips == ["_run", "_commit"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_answer_that_joins_another_s_commit_makes_no_trip_of_its_own(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit of work that joins a transaction another person's unit opened (group commit,
    storage/group_commit.py) finds the write lock held: its savepoint, reads and writes
    run on the event loop's thread, and only the group's COMMIT (with the unit's RELEASE)
    goes to SQLite's thread."""
    import threading

    from storage import contacts

    store = office.store
    send = await at_a_question(store, "person-joins")
    loop_thread = threading.current_thread()
    ran: list[tuple[str, bool]] = []  # statement's first words, whether on the loop's thread

    def traced(sql: str) -> None:
        shape = " ".join(sql.split()[:3])  # shapes only: no values in a message
        ran.append((shape, threading.current_thread() is loop_thread))

    def trace(dbapi_conn: Any, *_: Any) -> None:
        await_(dbapi_conn.driver_connection.set_trace_callback(traced))

    opened, go_on = asyncio.Event(), asyncio.Event()

    async def someone_else() -> None:
        async with store.tx() as tx:
            await contacts.find(tx, "memory", "someone-else")
            opened.set()
            await go_on.wait()  # the answer queues for the writer meanwhile

    event.listen(store.db.engine.sync_engine, "checkout", trace)
    try:
        other = asyncio.create_task(someone_else())
        await opened.wait()
        answer = asyncio.create_task(send(choice="no"))
        await asyncio.sleep(0.05)
        go_on.set()
        await asyncio.gather(other, answer)
    finally:
        event.remove(store.db.engine.sync_engine, "checkout", trace)
    start = next(i for i, (sql, _) in enumerate(ran) if sql.startswith("SAVEPOINT"))
    joined = ran[start:]
    commit = next(i for i, (sql, _) in enumerate(joined) if sql == "COMMIT")
    assert joined[commit - 1][0].startswith("RELEASE"), joined  # kept for the commit's trip
    assert joined[commit - 1][1] is False and joined[commit][1] is False, joined
    own = joined[: commit - 1]
    assert any(sql.startswith("SELECT") for sql, _ in own), joined
    assert any(sql.startswith("INSERT INTO messages") for sql, _ in own), joined
    assert all(on_loop for _, on_loop in own), joined  # no trip of its own


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_pushed_answer_asks_for_waiting_replies_with_its_receipt(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reply pushed at once must not overtake an earlier one still waiting in the outbox,
    so the unit asks; it asks in the same trip that reads the contact and takes the
    message's receipt (storage/arrival.py): the same two trips as an answer whose reply
    waits for the worker."""

    pushed = await pushed_at_the_danger_question(office.store, "person-pushed")
    send, worker, channel = pushed.send, pushed.worker, pushed.channel
    trips = trips_to_the_database_thread(monkeypatch)
    assert await send(choice="no") == 1
    monkeypatch.undo()
    assert trips == ["_run", "_commit"]
    assert channel.to("person-pushed")[-1].text == "Wann ist es passiert?"
    await worker.flush_pushed()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_pushed_answer_on_postgresql_is_two_statements(office: Office) -> None:
    """On PostgreSQL a pushed answer must not overtake an earlier reply either, but asking
    costs no statement of its own: the unit is the locking read with the receipt and the
    write, whose reply is leased for the push only if no earlier one waits
    (storage/pending.py), between BEGIN and COMMIT."""
    pushed = await pushed_at_the_danger_question(office.store, "person-pushed")
    send, worker, channel = pushed.send, pushed.worker, pushed.channel
    # On a new connection, where asyncpg prepares everything anew: no type of the unit's
    # statements needs a look-up of its own (asyncpg's introspection, several statements).
    await office.store.db.engine.dispose()
    async with statements(office.store) as seen:
        assert await send(choice="no") == 1
    # The sent replies' rows are deleted in batches of their own, whenever they run.
    unit = [sql for sql in seen if not sql.startswith("DELETE FROM outbox")]
    assert len(unit) == 2, shapes(unit)
    assert "inbound_receipts" in unit[0] and "FOR UPDATE" in unit[0]
    assert "UPDATE conversations" in unit[1] and "INSERT INTO outbox" in unit[1]
    assert channel.to("person-pushed")[-1].text == "Wann ist es passiert?"
    await worker.flush_pushed()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_write_transaction_holds_the_file_s_writer_until_its_commit(
    store: Store,
) -> None:
    """A write transaction begins with BEGIN IMMEDIATE and so holds SQLite's write lock from
    its start, which is what lets its statements run on the event loop's thread without
    waiting: another process (the command line, a second service on the same file) cannot
    start writing until the commit. A read takes no lock (its BEGIN goes with its first
    statement)."""
    import sqlite3

    from storage import contacts

    path = store.db.url.database
    assert path is not None

    def other_process_can_write() -> bool:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            return False
        finally:
            other.close()

    async with store.read() as tx:
        await contacts.find(tx, "memory", "someone")
        assert other_process_can_write()
    async with store.tx() as tx:
        await contacts.find(tx, "memory", "someone")
        assert not other_process_can_write()
    assert other_process_can_write()


@pytest.mark.parametrize("typed", [False, True], ids=["start", "typed"])
async def test_a_new_person_is_looked_for_no_more_than_it_takes(
    office: Office, typed: bool
) -> None:
    """A new person's first message (hundreds of them at once after a campaign) runs as a
    light try, which finds no contact, then in a session that creates one. The session
    does not look for the contact again after its own read found none, and a contact made
    by this message has no earlier case to ask for, nor a closed one for a typed text to
    reopen."""
    service = ConversationService(
        office.store, FlowCatalog("mini"), response_time={}, clock=ManualClock(NOW)
    )
    fields: dict[str, Any] = {"text": "Hallo"} if typed else {"command": "start"}
    first = InboundMessage("memory", "newcomer", "m-first", language="de", **fields)
    async with statements(office.store) as seen:
        assert (await service.handle(first)).status == "processed"
    reads_of_contact = len(
        [
            sql
            for sql in seen
            if sql.lstrip().upper().startswith("SELECT") and "FROM contacts" in sql
        ]
    )
    assert reads_of_contact == 2, shapes(seen)  # the light try's and the session's
    assert not any("case_id IS NOT NULL" in sql for sql in seen), shapes(seen)
    conversations_asked = [
        sql
        for sql in seen
        if sql.lstrip().upper().startswith("SELECT")
        and "FROM conversations" in sql
        and "FROM contacts" not in sql
    ]
    assert conversations_asked == [], shapes(seen)


async def test_rasa_s_handover_for_a_new_sender_asks_for_no_earlier_conversation(
    office: Office,
) -> None:
    """A sender Rasa hands over on its first contact with us: the contact is made in the
    handover's first transaction, so there is no open conversation or earlier case of it to
    ask for; only the handover itself looks for the conversation just started."""
    await publish_files(office.store, [SHIPPED_INTAKE])
    service = ConversationService(
        office.store, FlowCatalog("intake"), response_time={}, clock=ManualClock(NOW)
    )
    intake = ExternalIntake({}, False, "de", via="rasa")
    async with statements(office.store) as seen:
        done = await service.external_handover("rasa", "rasa-newcomer", intake)
    assert done.case is not None
    assert not any("case_id IS NOT NULL" in sql for sql in seen), shapes(seen)
    open_asked = [sql for sql in seen if "conversations.owner !=" in sql]
    assert len(open_asked) == 1, shapes(seen)
