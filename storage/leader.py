"""One process of several does a job that must run once (reading a sidecar's event stream):
it holds a PostgreSQL advisory lock on a connection of its own while it does. When the
process dies, PostgreSQL drops its session and the lock with it, and another replica takes
the job over. SQLite is one process: the lock is always held.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

log = logging.getLogger(__name__)

SIGNAL_EVENTS = 0x616E6C6175660002
"""Advisory lock key of the Signal event stream ("anlauf" + 2)."""


class Lease:
    def __init__(self, db: Database, key: int) -> None:
        self.db = db
        self.key = key
        self._conn: AsyncConnection | None = None

    async def acquire(self) -> bool:
        """Take the job if no other process has it; True while this process holds it."""
        if self.db.is_sqlite:
            return True
        if self._conn is not None:
            return await self.still_held()
        conn = await self.db.engine.connect()
        try:
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
            await conn.commit()  # the lock is the session's; no transaction stays open
        except Exception:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        return True

    async def still_held(self) -> bool:
        """False once the lock's connection is gone (then another process may have it)."""
        if self.db.is_sqlite:
            return True
        if self._conn is None:
            return False
        try:
            await self._conn.execute(text("SELECT 1"))
            await self._conn.commit()
        except Exception:
            log.warning("the connection holding a job's lock was lost; the job is given up")
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        if self._conn is None:
            return
        with contextlib.suppress(Exception):
            await self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            await self._conn.commit()
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
