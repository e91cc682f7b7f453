"""Engine and transactions for SQLite (WAL, embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InvalidatePoolError,
    InvalidRequestError,
    OperationalError,
)
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import pg_direct, sqlite_driver
from storage.group_commit import GroupCommit
from storage.pg_direct import DirectConnection

log = logging.getLogger(__name__)
# aiosqlite narrates every call at DEBUG, SQL parameters included. Ours are ciphertext and
# keyed pseudonyms, but a debugging operator should not have to trust that for every query.
logging.getLogger("aiosqlite").setLevel(logging.INFO)


WAL_SIZE_LIMIT = 1 << 20
"""Bytes of SQLite write-ahead log kept after a checkpoint."""


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened; the message says which and why."""


class DatabaseDamaged(DatabaseUnavailable):
    """SQLite found the database file damaged: a malformed page, or not a database at all."""


_DAMAGE = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


def is_damage(exc: BaseException) -> bool:
    """Whether `exc` (a driver error, or SQLAlchemy's wrapping of one) is SQLite reporting
    a damaged file, which no retry or setting mends: only a restore does."""
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "sqlite_errorcode", None)
    # Extended result codes carry the primary one in their low byte.
    return isinstance(code, int) and code & 0xFF in _DAMAGE


def _private_sqlite_files(path: Path) -> None:
    """Make the SQLite file (and a folder we create for it) readable by the service's user
    only, before SQLite opens it: SQLite gives the -wal and -shm files the main file's mode,
    and under a usual umask (022) all three would be world-readable. Files from an earlier
    start are restricted too. Their content is encrypted, but the metadata in the clear
    (docs/threat-model.md) is nobody else's business."""
    folder = path.parent
    try:
        if not folder.exists():
            folder.mkdir(mode=0o700, parents=True)
    except OSError as exc:
        raise DatabaseUnavailable(
            f"cannot create the directory {folder} for the SQLite database ({exc.strerror})"
        ) from None
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
            os.close(fd)
        except FileExistsError:
            pass  # another process made it meanwhile
        except OSError as exc:
            raise DatabaseUnavailable(
                f"cannot create the SQLite database {path} ({exc.strerror})"
            ) from None
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if file.exists() and file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except OSError as exc:
            log.warning("cannot restrict %s to its owner (%s)", file.name, exc.strerror)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

PING_AFTER_IDLE_SECONDS = 5.0
"""A pooled PostgreSQL connection idle this long is checked before use (`Database`)."""


class Database:
    """One engine per process; one session per unit of work (`transaction()`).

    SQLite allows one writer at a time. Rather than let two transactions of this process race
    for the write lock (and fail with "database is locked"), units of work take turns at one
    transaction begun with BEGIN IMMEDIATE, and those that queued together share its commit
    (storage/group_commit.py); other processes wait on busy_timeout.
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 20,
        create: bool = True,
        idle_clock: Callable[[], float] | None = None,
        ping_after_idle: float = PING_AFTER_IDLE_SECONDS,
    ) -> None:
        """`create=False`: never make the SQLite file's folder (a caller that only opens an
        existing database checks for the file with `sqlite_file` before connecting).
        PostgreSQL: a pooled connection is checked before use if it lay idle for
        `ping_after_idle` seconds by `idle_clock` (the service's monotonic clock); without
        a clock, before every use (`_ping_idle_connections`)."""
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise DatabaseUnavailable("database_url is not a valid database URL") from None
        self.url = parsed
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {}
        engine_url = parsed
        if parsed.drivername == "sqlite+aiosqlite":
            # The same driver with one thread hop per statement (storage/sqlite_driver.py).
            engine_url = parsed.set(drivername=f"sqlite+{sqlite_driver.DRIVER}")
        if self.is_sqlite:
            if create and parsed.database and parsed.database != ":memory:":
                _private_sqlite_files(Path(parsed.database))
        else:
            kwargs.update(
                # No connections beyond the pool (before: 10 and 10 more on demand): under a
                # rush those were opened for a unit and closed after it (a new server
                # process each time) whenever the pool had enough idle ones; units queue for
                # the pool in order instead. The notification listener and the delivery
                # lease hold one each for good.
                pool_size=pool_size,
                max_overflow=0,
                pool_pre_ping=idle_clock is None,
                # A host that swallows packets should fail start-up in seconds, not a minute.
                connect_args={"timeout": 10},
            )
        try:
            # hide_parameters: errors in the log must not carry even ciphertext or pseudonyms.
            self.engine: AsyncEngine = create_async_engine(
                engine_url, hide_parameters=True, **kwargs
            )
        except (ArgumentError, InvalidRequestError, ModuleNotFoundError) as exc:
            raise DatabaseUnavailable(
                f"unsupported database URL {parsed.drivername}:// ({_first_line(exc)}); "
                "use sqlite+aiosqlite:// or postgresql+asyncpg://"
            ) from None
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        elif idle_clock is not None:
            _ping_idle_connections(self.engine, idle_clock, ping_after_idle)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._sqlite_writer = GroupCommit(self.engine)

    @property
    def backend(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"

    @contextlib.asynccontextmanager
    async def transaction(self, *, small: bool = False) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed when the block ends, rolled back on error.
        `small`: on SQLite, its statements are all small (a handful of rows each) and run on
        the event loop's thread once the transaction has begun (storage/sqlite_driver.py)."""
        if self.is_sqlite:
            async with self._sqlite_writer.unit(small=small) as session:
                yield session
            return
        async with self._sessions() as session, session.begin():
            yield session

    @contextlib.asynccontextmanager
    async def light_transaction(self) -> AsyncIterator[AsyncConnection | DirectConnection]:
        """A connection in a transaction for a unit without an ORM session (storage/
        light.py); committed when the block ends, rolled back on error. On SQLite the
        writer's, in a savepoint of the group commit; on PostgreSQL asyncpg's own
        (storage/pg_direct.py)."""
        if self.is_sqlite:
            async with self._sqlite_writer.light_unit() as conn:
                yield conn
            return
        async with pg_direct.transaction(self.engine) as direct:
            yield direct

    @contextlib.asynccontextmanager
    async def read_transaction(self) -> AsyncIterator[AsyncSession]:
        """A transaction that only reads: on SQLite it runs beside the writer (WAL gives it a
        consistent snapshot) instead of queueing for the write lock."""
        async with self._sessions() as session, session.begin():
            if self.is_sqlite:
                await session.connection(execution_options={"anlaufstelle_read_only": True})
            yield session

    async def clear_wal(self) -> bool:
        """Copy SQLite's write-ahead log into the database and cut it to nothing, so the old
        page images in it (with ciphertext that deleted or resealed rows had) are gone; a
        reader still inside an older snapshot makes it wait or give up (False: the next
        call clears it). Nothing to do on PostgreSQL, whose residue is described in
        docs/threat-model.md."""
        if not self.is_sqlite:
            return True
        async with self._sqlite_writer.alone(), self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _, _ = await cursor.fetchone()
            await cursor.close()
        if busy:
            log.info("write-ahead log not cleared yet (a reader is busy)")
        return not busy

    async def check(self) -> None:
        """Connect once, so a database that is down fails at start with one clear message."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OperationalError, DBAPIError, OSError) as exc:
            if is_damage(exc):
                raise DatabaseDamaged(self.damaged(_first_line(exc))) from None
            raise DatabaseUnavailable(
                f"cannot connect to the {self.backend} database at {self.safe_url}: "
                f"{_first_line(exc)}"
            ) from None

    async def quick_check(self) -> list[str] | None:
        """SQLite's `PRAGMA quick_check`: the problems it finds in the file as the service
        sees it (its write-ahead log applied), [] when there are none. It reads every page,
        including those no query of a start touches, so it finds what opening the database
        does not; it skips only the comparison of each index with its table
        (`integrity_check`), about half the time on a warm cache. None on PostgreSQL, which
        has no such check built in (its `amcheck` is an extension)."""
        if not self.is_sqlite:
            return None
        try:
            async with self.engine.connect() as conn:
                # A read transaction: beside a running service's writer, not in its way.
                reading = await conn.execution_options(anlaufstelle_read_only=True)
                rows = (await reading.exec_driver_sql("PRAGMA quick_check")).all()
        except DBAPIError as exc:
            if is_damage(exc):
                # Damage bad enough that the check itself stops at it.
                return [_first_line(exc)]
            raise DatabaseUnavailable(
                f"cannot check the sqlite database at {self.safe_url}: {_first_line(exc)}"
            ) from None
        # One problem can span lines, headed by the schema's name ("*** in database main
        # ***"): one line each, for a one-line error.
        problems = (str(row[0]).splitlines() for row in rows if row[0] != "ok")
        return ["; ".join(ln for ln in lines if not ln.startswith("***")) for lines in problems]

    def damaged(self, detail: str) -> str:
        """The sentence for a damaged database: which one, and SQLite's first word on it."""
        return f"the {self.backend} database at {self.safe_url} is damaged ({detail})"

    @property
    def safe_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    async def dispose(self) -> None:
        await self._sqlite_writer.drain()
        await self.engine.dispose()


def _ping_idle_connections(
    engine: AsyncEngine, monotonic: Callable[[], float], idle: float
) -> None:
    """Check a pooled PostgreSQL connection before use only if it lay idle for `idle`
    seconds or more; a dead one (the server restarted, a proxy dropped it) is replaced.

    SQLAlchemy's `pool_pre_ping` checks before every use, and its check is three round trips
    (BEGIN, an empty query, ROLLBACK): under load that was more than a message's own
    statements. A connection given back moments ago was alive then; one that died since
    fails its unit, which is not acknowledged and rolls back, and SQLAlchemy then replaces
    every connection of the pool (its disconnect handling)."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "connect")
    def _connected(_dbapi_conn: Any, record: Any) -> None:
        record.info[_LAST_USED] = monotonic()

    @event.listens_for(pool, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info[_LAST_USED] = monotonic()

    @event.listens_for(pool, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get(_LAST_USED)
        if last is not None and monotonic() - last < idle:
            return
        try:
            dbapi_conn.ping()
        except Exception as exc:
            # The pool replaces this connection and, as after `pool_pre_ping`'s failure,
            # every other one it holds (a restarted server ended them all).
            raise InvalidatePoolError("a pooled connection no longer answers") from exc


_LAST_USED = "anlaufstelle_last_used"


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see "begin" below).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: an acknowledged message survives a power cut, not only a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten, so a shredded case leaves no ciphertext in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # A write-ahead log that grew in a rush is cut back after checkpoints, instead of
        # keeping old page images (ciphertext of deleted rows) around indefinitely.
        cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get("anlaufstelle_read_only", False)
        dbapi_conn = conn.connection.dbapi_connection
        if not isinstance(dbapi_conn, sqlite_driver.BatchConnection):
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
        elif read_only:
            # Sent with the transaction's first statement (storage/sqlite_driver.py): a
            # trip of its own through the busy event loop answers nothing a reader waits
            # for, and a deferred BEGIN cannot fail.
            dbapi_conn.keep("BEGIN")
        else:
            # At once and on the thread, as any statement outside a small unit: it may wait
            # for another process that holds the file's writer (busy_timeout), and if it
            # fails or is cancelled, SQLAlchemy handles it before anyone counts on a
            # transaction.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            dbapi_conn.began_writing()


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL (None for another backend, memory or a malformed URL), so a
    caller can tell "no database here" before connecting would create an empty one."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def hide_password(url: str) -> str:
    """A database URL fit to print: its password (if any) masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a valid database URL)"


def url_with_password(url: str, password: str) -> str:
    """The database URL with the password from a secret file filled in."""
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [orig.__class__.__name__])[0]
