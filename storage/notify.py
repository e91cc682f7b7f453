"""Cross-replica wake-ups for the delivery worker: PostgreSQL LISTEN/NOTIFY.

A replica that commits replies announces it; the workers of every replica listening wake at
once instead of at their next poll. On SQLite (one process) both sides are no-ops, and the
worker's own in-process wake-up is enough. A missed notification only costs a poll interval,
so this is an accelerator, never the only path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.store import Tx

log = logging.getLogger(__name__)

OUTBOX_CHANNEL = "anlaufstelle_outbox"


async def announce_outbox(tx: Tx) -> None:
    """Wake listening workers when this transaction commits (PostgreSQL sends it then)."""
    if tx.backend == "postgresql":
        await tx.session.execute(
            text("SELECT pg_notify(:channel, '')"), {"channel": OUTBOX_CHANNEL}
        )


class OutboxListener:
    def __init__(self, db: Database, on_notify: Callable[[], None]) -> None:
        self.db = db
        self.on_notify = on_notify
        self._conn: AsyncConnection | None = None
        self._driver: Any = None

    def _callback(self, *_args: object) -> None:
        self.on_notify()

    async def start(self) -> None:
        if self.db.is_sqlite:
            return
        self._conn = await self.db.engine.connect()
        raw = await self._conn.get_raw_connection()
        self._driver = raw.driver_connection
        await self._driver.add_listener(OUTBOX_CHANNEL, self._callback)
        log.info("listening for outbox notifications from other replicas")

    def alive(self) -> bool:
        """Listening (or nothing to listen for, on SQLite); False once the connection died."""
        if self.db.is_sqlite:
            return True
        return self._driver is not None and not self._driver.is_closed()

    async def stop(self) -> None:
        if self._conn is None:
            return
        try:
            await self._driver.remove_listener(OUTBOX_CHANNEL, self._callback)
        except Exception:  # the connection may already be gone; closing it is what matters
            log.debug("outbox listener: removing the listener failed")
        await self._conn.close()
        self._conn = None
