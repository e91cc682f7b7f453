"""PostgreSQL connections in the pool: checked before use only after lying idle
(storage/db.py `_ping_idle_connections`), and a dead one never stops the service for long.

The server's side of a dead connection is made real: the test ends the pool's server
processes with pg_terminate_backend, as a server restart or a dropping proxy would."""

from __future__ import annotations

import pytest
from sqlalchemy import exc, text

from bot.clock import SystemClock
from storage.db import Database
from tests import pg


async def _end_other_connections(url: str) -> int:
    admin = await pg._connect(url)
    try:
        ended = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    return int(ended)


async def _answer(db: Database) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(text("SELECT 41 + 1")))


@pytest.mark.parametrize("timed", [True, False], ids=["idle-by-the-clock", "without-a-clock"])
async def test_an_idle_connection_that_died_is_replaced_before_use(
    fresh_postgres_url: str, timed: bool
) -> None:
    """Idle for the threshold (here none), or always when no clock was given."""
    clock = SystemClock().monotonic if timed else None
    db = Database(fresh_postgres_url, idle_clock=clock, ping_after_idle=0.0)
    try:
        assert await _answer(db) == 42
        assert await _end_other_connections(fresh_postgres_url) == 1
        assert await _answer(db) == 42  # the pool found it dead and connected anew
    finally:
        await db.dispose()


async def test_a_connection_that_died_just_after_use_fails_one_unit_only(
    fresh_postgres_url: str,
) -> None:
    db = Database(fresh_postgres_url, idle_clock=SystemClock().monotonic, ping_after_idle=3600.0)
    try:
        assert await _answer(db) == 42
        assert await _end_other_connections(fresh_postgres_url) == 1
        # Not checked (it was in use moments ago): the unit fails and rolls back; the
        # caller does not acknowledge what it carried...
        with pytest.raises(exc.DBAPIError):
            await _answer(db)
        # ...and the pool replaced its connections for the next one.
        assert await _answer(db) == 42
    finally:
        await db.dispose()
