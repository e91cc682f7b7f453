"""SQLAlchemy's aiosqlite dialect with one thread hop per statement.

aiosqlite runs each call on its connection's thread, and SQLAlchemy's adapter makes four
calls per statement: create a cursor, execute, fetch the rows, close the cursor. Each is a
round trip between the event loop and that thread, and under load each waits for the busy
loop to come round again, all while the process's one writer is held
(storage/group_commit.py). This cursor does the four in one call on the connection's thread
and keeps the rows, so a statement costs one hop; `run_batch` runs several prepared
statements in one hop (storage/statement_batch.py). Everything else (pooling,
transactions, types, errors) is the stock dialect's.

Savepoints ride along: a unit of work that joins another's transaction (storage/
group_commit.py) is wrapped in a savepoint, and SQLAlchemy sends SAVEPOINT and RELEASE as
statements of their own, each a full execution and a hop. Neither answers anything the
caller waits for, so they are kept and sent in the same hop as the connection's next
statement, batch or commit, in their order; a rollback to a savepoint goes at once, after
whatever was kept. A full rollback drops what was kept (it undoes every savepoint anyway).

A read transaction's deferred BEGIN rides along the same way (it cannot fail). A write
transaction's BEGIN IMMEDIATE goes at once, on the thread: it may wait for another process.

No hop at all: inside a unit of work marked small (`small_writes`: a message's unit, the
clearing of pushed replies), once its transaction holds the file's writer, statements run
on the event loop's thread (`_OneHopConnection.in_place`). They touch a handful of rows in
the page cache and wait for nobody, and a hop cost the loop more than they do. The COMMIT
(the disk's flush) and a large step inside such a unit (`large_step`) still hop.

Server-side cursors (streamed results) keep the stock implementation.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Final

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util.concurrency import await_

DRIVER = "aiosqlite_onehop"
"""The driver name under which `Database` creates SQLite engines (`sqlite+aiosqlite_onehop`)."""

_Run = tuple[Any, int, Any, list[Any]]


class _Ran:
    """What the stock adapter wants of an aiosqlite cursor, after the statement ran: its
    description, row count, last row id and rows, all taken on the connection's thread."""

    __slots__ = ("_adapted", "_connection", "_rows", "description", "lastrowid", "rowcount")

    def __init__(self, adapted: _OneHopConnection) -> None:
        self._adapted = adapted
        self._connection = adapted._connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: Any = None
        self._rows: list[Any] = []

    @staticmethod
    def _run(
        db: sqlite3.Connection, kept: list[str], operation: str, parameters: Any, many: bool
    ) -> _Run:
        _run_kept(db, kept)
        cursor = db.cursor()
        try:
            if many:
                cursor.executemany(operation, parameters)
            elif parameters is None:
                cursor.execute(operation)
            else:
                cursor.execute(operation, parameters)
            rows = cursor.fetchall() if cursor.description else []
            return cursor.description, cursor.rowcount, cursor.lastrowid, rows
        finally:
            cursor.close()

    async def _call(self, operation: str, parameters: Any, many: bool) -> None:
        connection = self._connection
        adapted = self._adapted
        if adapted.lost():
            raise sqlite3.OperationalError(LOST)
        ran: _Run
        if adapted.in_place():
            ran = self._run(connection._conn, adapted.take_kept(), operation, parameters, many)
        else:
            # aiosqlite's `_execute` queues a function for its thread: the one hop.
            ran = await connection._execute(
                self._run, connection._conn, adapted.take_kept(), operation, parameters, many
            )
        self.description, self.rowcount, self.lastrowid, self._rows = ran

    async def execute(self, operation: str, parameters: Any = None) -> None:
        await self._call(operation, parameters, False)

    async def executemany(self, operation: str, parameters: Sequence[Any]) -> None:
        await self._call(operation, parameters, True)

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    def close(self) -> None:
        self._rows = []


class _OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()
    # Nothing left open on the thread: closing is local, no hop.
    _awaitable_cursor_close = False

    def _make_new_cursor(self, connection: Any) -> Any:
        adapted = self._adapt_connection
        assert isinstance(adapted, _OneHopConnection)  # made only by _OneHopConnection
        return _Ran(adapted)

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor


Work = Sequence[tuple[str, Any]]
"""Statements for `BatchConnection.run_batch`: (SQL, its parameters)."""


def _run_kept(db: sqlite3.Connection, kept: list[str]) -> None:
    """The savepoint statements kept for this hop, before its own work."""
    for sql in kept:
        db.execute(sql)


def _commit(db: sqlite3.Connection, kept: list[str]) -> None:
    _run_kept(db, kept)
    db.commit()


def _run_batch(db: sqlite3.Connection, kept: list[str], work: Work) -> list[Any]:
    _run_kept(db, kept)
    returned = []
    cursor = db.cursor()
    try:
        for sql, parameters in work:
            try:
                cursor.execute(sql, parameters)
                if cursor.description:
                    rows = cursor.fetchall()  # to the end: SQLite finishes the statement then
                    returned.append(rows[0] if rows else None)
            except sqlite3.Error as error:
                # What SQLAlchemy would have raised for it, without the parameters (so out of
                # any log line). SQLAlchemy's own error handling (handle_error events,
                # invalidating a connection it deems disconnected) is not involved: none is
                # used here, and an SQLite file does not disconnect.
                raise DBAPIError.instance(
                    sql, None, error, sqlite3.Error, hide_parameters=True
                ) from error
    finally:
        cursor.close()
    return returned


LOST: Final = (
    "SQLite ended the write transaction on its own after an error (a full disk, an I/O "
    "error); nothing of it was committed"
)


class _OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_kept", "_lost", "_writer", "small_writes")
    _cursor_cls = _OneHopCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._kept: list[str] = []
        self._writer = False
        """The connection's transaction began with BEGIN IMMEDIATE (`began_writing`) and
        has not ended since: it holds the file's writer."""
        self._lost = False
        """That transaction was rolled back by SQLite itself (see `lost`)."""
        self.small_writes = False
        """Set while a unit of work whose statements are all small runs on the connection
        (see `in_place`), cleared for a large step inside one."""

    def began_writing(self) -> None:
        """The BEGIN IMMEDIATE just sent succeeded: the connection holds the file's writer
        until its transaction ends."""
        self._writer = True
        self._lost = False

    def lost(self) -> bool:
        """Whether the write transaction is gone though nobody ended it: after a full disk,
        an I/O error or a trigger's RAISE(ROLLBACK), SQLite rolls the whole transaction
        back on its own. The units of work that wrote in it before are gone with it, and
        they must not be told otherwise: a kept SAVEPOINT would begin a new transaction and
        the group's COMMIT would report them durable. So every later statement of the
        group and its commit fail (`LOST`) until the connection is rolled back."""
        db = self._connection._connection
        if self._writer and (db is None or not db.in_transaction):
            self._lost = True
        return self._lost

    def in_place(self) -> bool:
        """Whether the next statement runs on the event loop's thread, without a hop.

        A hop costs the busy event loop more than a small statement costs SQLite: it is a
        wake-up of aiosqlite's thread and one of the loop when the answer comes back, each
        waiting for the other. What may wait stays on the thread: a BEGIN IMMEDIATE (another
        process may hold the file's writer for up to busy_timeout), a COMMIT (the disk's
        flush), and any statement outside a unit marked `small_writes`. Inside such a unit,
        with the write transaction begun, SQLite waits for nobody: a handful of indexed rows
        read and written in the page cache, microseconds. Only one caller uses the
        connection at a time (the group's writer), so the thread is idle meanwhile.

        Holding the writer is checked, not assumed: a transaction SQLite ended on its own (an
        I/O error rolls it back) is lost (`lost`), and one begun by a savepoint is deferred,
        whose first write could wait for another process."""
        if self.lost():
            return False
        db = self._connection._connection
        if db is None or not db.in_transaction:
            return False
        return self.small_writes and self._writer

    def keep(self, sql: str) -> None:
        """A statement to send with the next hop: a savepoint's, or a read's BEGIN (see the
        module's docstring)."""
        self._kept.append(sql)

    def take_kept(self) -> list[str]:
        kept, self._kept = self._kept, []
        return kept

    async def rollback_to(self, name: str) -> None:
        """Undo the savepoint `name` (opened with `keep`) and what ran since, at once: after
        whatever else was kept, in place or with a hop as `in_place` decides."""
        kept = self.take_kept()
        db = self._connection._connection
        if self.lost() or db is None or not db.in_transaction:
            return  # the whole transaction is gone, and the savepoint with it
        if kept and kept[-1] == f"SAVEPOINT {name}":
            self._kept = kept[:-1]  # nothing ran since it was opened: it was never sent
            return
        work = [(f"ROLLBACK TO SAVEPOINT {name}", ()), (f"RELEASE SAVEPOINT {name}", ())]
        connection = self._connection
        if self.in_place():
            _run_batch(connection._conn, kept, work)
        else:
            await connection._execute(_run_batch, connection._conn, kept, work)

    def commit(self) -> None:
        connection = self._connection
        lost = self.lost()
        self._writer = False
        if not connection._connection:
            return
        try:
            if lost:
                raise sqlite3.OperationalError(LOST)
            await_(connection._execute(_commit, connection._conn, self.take_kept()))
        except Exception as error:
            self._handle_exception(error)

    def run_batch(self, work: Work) -> list[Any]:
        """Run the statements one after the other in a single call on the connection's
        thread, in its open transaction (storage/statement_batch.py); from inside
        SQLAlchemy's greenlet. The first row of each statement that returns rows (None
        without one)."""
        connection = self._connection
        if self.lost():
            error = sqlite3.OperationalError(LOST)
            raise DBAPIError.instance(None, None, error, sqlite3.Error) from error
        if self.in_place():
            return _run_batch(connection._conn, self.take_kept(), work)
        ran: list[Any] = await_(
            connection._execute(_run_batch, connection._conn, self.take_kept(), work)
        )
        return ran

    def rollback(self) -> None:
        # The pool rolls back every connection it gets back, committed or not; after a
        # commit there is nothing to roll back, and asking costs a trip. (`in_transaction`
        # only reads SQLite's autocommit flag; no statement runs on a connection being
        # returned.) Kept savepoint statements go with the rollback's undoing.
        self._kept = []
        self._writer = self._lost = False
        db = self._connection._connection
        if db is not None and not db.in_transaction:
            return
        super().rollback()


class _OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _OneHopConnection:
        # Used from the event loop's thread too, never at the same time as from aiosqlite's
        # (`_OneHopConnection.in_place`); SQLite itself is built thread-safe.
        kw.setdefault("check_same_thread", False)
        stock = super().connect(*arg, **kw)
        return _OneHopConnection(self, stock._connection)


class OneHopDialect(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True

    # The same statements SQLAlchemy's compiler would make of the names.
    def do_savepoint(self, connection: Any, name: str) -> None:
        sql = f"SAVEPOINT {self.identifier_preparer.quote(name)}"
        connection.connection.dbapi_connection.keep(sql)

    def do_release_savepoint(self, connection: Any, name: str) -> None:
        sql = f"RELEASE SAVEPOINT {self.identifier_preparer.quote(name)}"
        connection.connection.dbapi_connection.keep(sql)

    @classmethod
    def import_dbapi(cls) -> _OneHopDbapi:
        return _OneHopDbapi(__import__("aiosqlite"), __import__("sqlite3"))


BatchConnection = _OneHopConnection
"""The connection class whose `run_batch` runs several statements in one trip."""


def in_place_connection(conn: AsyncConnection) -> Connection | None:
    """`conn`'s synchronous connection if its statements run on the event loop's thread
    right now (`_OneHopConnection.in_place`), else None. Synchronous code that only runs
    statements (a batch: storage/statement_batch.py) can then be called on it directly:
    nothing in it waits, so it needs no SQLAlchemy greenlet to wait in."""
    sync = conn.sync_connection
    if sync is None or sync.closed or sync.invalidated:
        return None
    dbapi_conn = sync.connection.dbapi_connection
    if isinstance(dbapi_conn, _OneHopConnection) and dbapi_conn.in_place():
        return sync
    return None


_SAVEPOINT = "light_unit"


@contextlib.asynccontextmanager
async def savepoint(conn: AsyncConnection) -> AsyncIterator[None]:
    """The block in a savepoint of `conn`'s open transaction: rolled back alone when it
    raises, kept when it returns.

    SQLAlchemy's `begin_nested` does the same with a nested-transaction object and a
    greenlet each way, about 70 µs of the event loop per unit of work, more than all the
    rest of a light unit's transaction handling (storage/group_commit.py). Here SAVEPOINT
    and RELEASE are kept for the connection's next hop, as SQLAlchemy's own savepoints are
    (see the module's docstring); only a rollback runs at once. One such savepoint at a
    time per connection: the group's writer lock serialises the units that use it."""
    dbapi_conn = _one_hop(conn)
    dbapi_conn.keep(f"SAVEPOINT {_SAVEPOINT}")
    try:
        yield
    except BaseException:
        await dbapi_conn.rollback_to(_SAVEPOINT)
        raise
    dbapi_conn.keep(f"RELEASE SAVEPOINT {_SAVEPOINT}")


def _one_hop(conn: AsyncConnection) -> _OneHopConnection:
    sync = conn.sync_connection
    dbapi_conn = None if sync is None else sync.connection.dbapi_connection
    if not isinstance(dbapi_conn, _OneHopConnection):
        raise TypeError("a savepoint of its own needs the one-hop SQLite driver's connection")
    return dbapi_conn


def small_writes(conn: AsyncConnection) -> contextlib.AbstractContextManager[None]:
    """Statements on `conn` inside the block run without a hop once its write transaction
    holds the writer (`_OneHopConnection.in_place`): for units of work known to be small."""
    return _small(conn, True)


def large_step(conn: AsyncConnection) -> contextlib.AbstractContextManager[None]:
    """A step inside a `small_writes` block whose statements may be large (many rows,
    megabytes): they hop to the connection's thread as usual, so the event loop goes on."""
    return _small(conn, False)


@contextlib.contextmanager
def _small(conn: AsyncConnection, small: bool) -> Iterator[None]:
    sync = conn.sync_connection
    dbapi_conn = None if sync is None else sync.connection.dbapi_connection
    if not isinstance(dbapi_conn, _OneHopConnection):
        yield
        return
    before, dbapi_conn.small_writes = dbapi_conn.small_writes, small
    try:
        yield
    finally:
        dbapi_conn.small_writes = before


registry.register(f"sqlite.{DRIVER}", __name__, "OneHopDialect")
