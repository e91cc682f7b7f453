"""People who write at the same moment share SQLite's commits (storage/group_commit.py); each
still hears back only once their own message is on disk, and one whose turn fails takes
nothing of the others' with it."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, insert
from sqlalchemy.util.concurrency import await_

from bot.channels.base import InboundMessage
from bot.clock import ManualClock
from bot.conversation.flows import FlowCatalog
from bot.conversation.service import ConversationService
from storage import contacts, conversations, meta
from storage.db import Database
from storage.models import ServerMeta
from storage.store import Store
from tests.conftest import Office

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PEOPLE = 30
_ids = itertools.count(1)


def service_of(store: Store) -> ConversationService:
    return ConversationService(store, FlowCatalog("mini"), response_time={}, clock=ManualClock(NOW))


@contextlib.asynccontextmanager
async def another_process(store: Store) -> AsyncIterator[Store]:
    """The same database through connections of its own: it sees only what was committed."""
    url = store.db.url.render_as_string(hide_password=False)
    other = Store(Database(url, create=False), store.keys, clock=lambda: NOW)
    try:
        yield other
    finally:
        await other.close()


def commits_of(store: Store) -> list[int]:
    seen: list[int] = []
    event.listen(store.db.engine.sync_engine, "commit", lambda _conn: seen.append(1))
    return seen


async def test_people_writing_at_once_share_commits_and_each_hears_back_after_its_own(
    office: Office,
) -> None:
    store = office.store
    service = service_of(store)
    commits = commits_of(store)

    async with another_process(store) as other:

        async def person(n: int) -> None:
            address = f"person-{n}"
            msg = InboundMessage("memory", address, f"m{next(_ids)}", command="start")
            assert (await service.handle(msg)).status == "processed"
            # The moment the person's channel acknowledges: their lines are on disk.
            async with other.read() as tx:
                contact = await contacts.find(tx, "memory", address)
                assert contact is not None, address
                conversation = await conversations.active_for(tx, contact.id)
                assert conversation is not None, address
                lines = await conversations.bot_phase_lines(tx, conversation.id)
                assert lines, address

        await asyncio.gather(*(person(n) for n in range(PEOPLE)))
    assert 0 < len(commits) < PEOPLE, f"{len(commits)} commits for {PEOPLE} people at once"


async def test_a_failing_turn_takes_nothing_of_the_others_with_it(office: Office) -> None:
    store = office.store

    class Refused(Exception):
        pass

    async def unit(n: int) -> int:
        async with store.tx() as tx:
            await contacts.contact_for(tx, "memory", f"someone-{n}")
            await asyncio.sleep(0)  # the others queue meanwhile
            if n % 3 == 0:  # 0 began the transaction; 3, 6 and 9 joined one
                raise Refused(n)
        return n

    results = await asyncio.gather(*(unit(n) for n in range(12)), return_exceptions=True)
    refused = {n for n, r in enumerate(results) if isinstance(r, Refused)}
    assert refused == {0, 3, 6, 9}
    assert all(isinstance(r, (int, Refused)) for r in results), results
    async with another_process(store) as other, other.read() as tx:
        for n in range(12):
            found = await contacts.find(tx, "memory", f"someone-{n}")
            assert (found is None) == (n in refused), n


async def test_a_light_unit_that_gives_up_keeps_nothing_and_takes_nothing_of_the_others(
    office: Office,
) -> None:
    """Light units (storage/light.py) share a group too, each in a savepoint of its own: one
    that gives up after writing, or before writing anything, leaves nothing behind, and the
    units before and after it in the group are committed with their rows."""
    store = office.store

    class GivesUp(Exception):
        pass

    async def unit(n: int) -> int:
        async with store.light_tx() as tx:
            if n % 4 == 1:
                raise GivesUp(n)  # before any statement of its own
            conn = await tx.connection()
            await conn.execute(insert(ServerMeta).values(key=f"light-{n}", value=str(n)))
            await asyncio.sleep(0)  # the others queue meanwhile
            if n % 4 == 2:
                raise GivesUp(n)  # after its write
        return n

    commits = commits_of(store)
    results = await asyncio.gather(*(unit(n) for n in range(12)), return_exceptions=True)
    gave_up = {n for n, r in enumerate(results) if isinstance(r, GivesUp)}
    assert gave_up == {1, 2, 5, 6, 9, 10}
    assert all(isinstance(r, (int, GivesUp)) for r in results), results
    assert 0 < len(commits) < 12
    async with another_process(store) as other, other.read() as tx:
        for n in range(12):
            value = await meta.get(tx, f"light-{n}")
            assert value == (None if n in gave_up else str(n)), n


async def test_when_sqlite_ends_a_group_s_transaction_itself_nobody_in_it_hears_stored(
    office: Office,
) -> None:
    """After some errors (a full disk, an I/O error) SQLite rolls the whole transaction back
    on its own. The units that wrote in it before are gone with it: nobody in the group may
    return as if stored (their channels would acknowledge messages that are lost), nor may
    a later unit write into a new transaction of its own. Every unit of that group fails,
    and the next group works. Here a trigger's RAISE(ROLLBACK) ends the transaction as
    such an error would."""
    store = office.store
    async with store.tx() as tx:
        conn = await tx.session.connection()
        await conn.exec_driver_sql(
            "CREATE TRIGGER ends_the_transaction BEFORE INSERT ON server_meta"
            " WHEN NEW.key = 'fails' BEGIN SELECT RAISE(ROLLBACK, 'as a full disk would'); END"
        )

    async def unit(key: str) -> str:
        async with store.light_tx() as tx:
            conn = await tx.connection()
            await conn.execute(insert(ServerMeta).values(key=key, value="stored"))
            await asyncio.sleep(0)  # the others queue meanwhile, into the same group
        return key

    keys = ["before", "fails", "after"]
    results = await asyncio.gather(*(unit(key) for key in keys), return_exceptions=True)
    stored = [key for key, result in zip(keys, results, strict=True) if result == key]
    async with another_process(store) as other, other.read() as tx:
        present = [key for key in keys if await meta.get(tx, key) is not None]
    assert stored == present == [], results
    assert await unit("next") == "next"
    async with another_process(store) as other, other.read() as tx:
        assert await meta.get(tx, "next") == "stored"


async def test_clearing_the_log_does_not_wait_for_an_open_group(office: Office) -> None:
    """The write-ahead log is cleared (after a deletion) while others write: the checkpoint
    commits their group first instead of waiting ten seconds for its lock."""
    store = office.store

    async def unit(n: int) -> None:
        async with store.tx() as tx:
            await contacts.contact_for(tx, "memory", f"writer-{n}")

    writers = [asyncio.create_task(unit(n)) for n in range(5)]
    await asyncio.sleep(0)
    cleared = asyncio.create_task(store.db.clear_wal())
    await asyncio.wait_for(asyncio.gather(*writers, cleared), 5)
    assert cleared.result() is True


async def test_messages_while_another_process_holds_the_writer_fail_clearly_then_go_on(
    office: Office,
) -> None:
    """Another process (the command line, say) holds the file's writer longer than the
    service waits for it. The message that began the group fails with SQLite's "database is
    locked", not a broken transaction; the people whose messages queued behind it, and the
    retry, are processed once the writer is free."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    store = office.store
    path = store.db.url.database
    assert path is not None

    def short_wait(dbapi_conn: object, _record: object) -> None:
        await_(dbapi_conn.driver_connection.execute("PRAGMA busy_timeout=300"))  # type: ignore[attr-defined]

    await store.db.engine.dispose()  # new connections, with the short wait
    event.listen(store.db.engine.sync_engine, "connect", short_wait)
    service = service_of(store)
    for n in range(3):  # each at a question: their next answers are light units
        address = f"queued-{n}"
        for msg in (
            InboundMessage("memory", address, f"m{next(_ids)}", command="start", language="de"),
            InboundMessage("memory", address, f"m{next(_ids)}", choice="accept"),
        ):
            assert (await service.handle(msg)).status == "processed"

    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    first = InboundMessage("memory", "queued-0", f"m{next(_ids)}", choice="no")
    answers = [
        asyncio.create_task(service.handle(first)),
        *(
            asyncio.create_task(
                service.handle(
                    InboundMessage("memory", f"queued-{n}", f"m{next(_ids)}", choice="no")
                )
            )
            for n in (1, 2)
        ),
    ]
    await asyncio.sleep(0.1)  # they queue behind the first, which waits for the writer
    await asyncio.wait(answers[:1])
    other.execute("ROLLBACK")
    with pytest.raises(OperationalError, match="database is locked"):
        answers[0].result()
    assert [(await a).status for a in answers[1:]] == ["processed", "processed"]
    assert (await service.handle(first)).status == "processed"  # the channel's retry
    other.close()
