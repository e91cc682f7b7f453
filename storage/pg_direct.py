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
from collections.abc import AsyncIterator, Awaitable, Sequence
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
    pooled = await greenlet_spawn(engine.sync_engine.raw_connection)
    driver: Any = pooled.driver_connection
    ended = False
    try:
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
            # Back to the pool; nothing in it waits (the transaction has ended), so a
            # cancellation cannot come between.
            await greenlet_spawn(pooled.close)
        else:
            # Shielded: closing the connection waits for asyncpg, and a unit cancelled
            # meanwhile must still not leave it half given back.
            await asyncio.shield(greenlet_spawn(_drop, engine, pooled, driver))


def _drop(engine: AsyncEngine, pooled: Any, driver: Any) -> None:
    """Cancelled, or the connection failed beneath a statement, BEGIN, COMMIT or ROLLBACK:
    whether a transaction is still open is not known, so it is not pooled again."""
    if driver.is_closed():
        # The server ended it (a restart, a proxy): the pool's other connections of its
        # age are replaced before their next use, as SQLAlchemy does on a disconnect
        # (`Connection._handle_dbapi_exception`).
        engine.sync_engine.pool._invalidate(pooled)  # this one too, given back
    if pooled.is_valid:
        pooled.invalidate()  # closed, and its place given back to the pool
