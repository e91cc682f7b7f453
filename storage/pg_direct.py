"""PostgreSQL: a light unit of work (storage/light.py) on asyncpg itself.

Through SQLAlchemy's AsyncConnection every statement of an ordinary message went through
its statement handling, a greenlet switch into the sync engine and back out to asyncpg,
and its transaction bookkeeping: measured, that was more CPU than the statements' own
protocol work, and the main reason a message cost a PostgreSQL replica more CPU than
SQLite's service (bench/README.md). A light unit's few statements are prepared once per dialect
(storage/statement_batch.py `Statement`: SQLAlchemy compiles them and gives their type
processing) and run here on the pooled connection's asyncpg connection, in a transaction
asyncpg begins and ends; asyncpg keeps their server-side prepared statements.

The connection still comes from SQLAlchemy's pool (its size, its idle check, its
replacement of dead connections). SQLAlchemy never learns of the transaction, and it needs
not: the connection goes back with the transaction ended, and one that may not have ended
(a cancelled or broken statement) is invalidated, as SQLAlchemy itself does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Coroutine, Sequence
from typing import Any, TypeVar

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util.concurrency import greenlet_spawn

from storage.statement_batch import Statement, Values


class DirectConnection:
    """The asyncpg connection of a light unit, in its transaction."""

    def __init__(self, driver: Any, dialect: Dialect) -> None:
        self._driver = driver
        self.dialect = dialect

    async def row(self, statement: Statement, values: Values) -> dict[str, Any] | None:
        """A query's first row by column label, its values processed as SQLAlchemy would."""
        prepared = statement.prepared(self.dialect)
        found = await _as_sqlalchemy(
            self._driver.fetchrow(prepared.sql, *prepared.parameters(values))
        )
        return prepared.row(found)

    async def scalar(self, statement: Statement, values: Values) -> Any:
        """The first column of the first row (None without a row), for a value that needs no
        result processing (an id, a count, a sequence number)."""
        prepared = statement.prepared(self.dialect)
        return await _as_sqlalchemy(
            self._driver.fetchval(prepared.sql, *prepared.parameters(values))
        )

    async def fetch(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        """SQL already prepared by `Statement`, with its processed positional parameters."""
        return list(await _as_sqlalchemy(self._driver.fetch(sql, *parameters)))


T = TypeVar("T")


async def _as_sqlalchemy(call: Awaitable[T]) -> T:
    """asyncpg's errors as SQLAlchemy's `DBAPIError`, as every other statement of the
    service raises them (callers and the log know those); the parameters are never shown,
    as the engine's `hide_parameters` says."""
    try:
        return await call
    except Exception as error:
        raise DBAPIError(None, None, error, hide_parameters=True) from error


async def _begin(driver: Any) -> Any:
    began = driver.transaction()  # raises at once on a connection known to be closed
    await began.start()
    return began


@contextlib.asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[DirectConnection]:
    """A pooled connection in an asyncpg transaction: committed when the block ends,
    rolled back on an error; a connection whose state is unknown is not pooled again.

    The connection is taken from the pool itself (`Engine.raw_connection`, the pool's
    events and its disconnect handling included), not through an AsyncConnection: a unit
    uses none of its statement handling, and making and closing one (two objects, two
    greenlet hops) cost about a tenth of a message's CPU on PostgreSQL."""
    pooled = await _checkout(engine)
    ended = False
    try:
        driver: Any = pooled.driver_connection
        began = await _as_sqlalchemy(_begin(driver))
        try:
            yield DirectConnection(driver, engine.dialect)
        except Exception:
            # The unit's own error is the one to report; a rollback that fails too
            # leaves the connection to be invalidated below.
            with contextlib.suppress(Exception):
                await began.rollback()
                ended = True
            raise
        await _as_sqlalchemy(began.commit())
        ended = True
    finally:
        if ended:
            # Back to the pool. Its reset waits for nothing: SQLAlchemy's adapter began no
            # transaction of its own here (asyncpg's has ended), so there is nothing to roll
            # back and no moment for a cancellation to come between.
            await greenlet_spawn(pooled.close)
        else:
            # Closing the connection waits for asyncpg: run to its end even if the unit is
            # cancelled meanwhile, so nobody returns (or disposes of the pool) before it.
            await _to_the_end(greenlet_spawn(_drop, engine, pooled))


async def _checkout(engine: AsyncEngine) -> Any:
    """A connection from the pool (its events, recycling and retries as for any other);
    the driver's refusal to connect raised as SQLAlchemy's `DBAPIError`, as
    `engine.connect()` raises it."""
    refused = engine.dialect.loaded_dbapi.Error
    try:
        return await engine.raw_connection()
    except refused as error:
        raise DBAPIError.instance(
            None, None, error, refused, hide_parameters=True, dialect=engine.dialect
        ) from error


async def _to_the_end(cleanup: Coroutine[Any, Any, None]) -> None:
    """`cleanup` run to its end; a cancellation that came meanwhile is raised after it."""
    task = asyncio.ensure_future(cleanup)
    cancelled: asyncio.CancelledError | None = None
    while True:
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError as error:
            if task.done():
                raise
            cancelled = error
        else:
            break
    if cancelled is not None:
        raise cancelled


def _drop(engine: AsyncEngine, pooled: Any) -> None:
    """Cancelled, or the connection failed beneath a statement, BEGIN, COMMIT or ROLLBACK:
    whether a transaction is still open is not known, so it is not pooled again."""
    if pooled.driver_connection.is_closed():
        # The server ended it (a restart, a proxy): the pool's other connections of its
        # age are replaced before their next use, as SQLAlchemy does on a disconnect
        # (`Connection._handle_dbapi_exception`).
        engine.sync_engine.pool._invalidate(pooled)  # this one too, given back
    if pooled.is_valid:
        pooled.invalidate()  # closed, and its place given back to the pool
