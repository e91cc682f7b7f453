"""Cross-replica signals over PostgreSQL LISTEN/NOTIFY.

Among them: "there are replies in the outbox" (the delivery workers of every replica wake
at once instead of at their next poll), "there is news for this web chat address" (the
replica that holds the person's socket pushes it), and "a flow version was published" (every
replica forgets the published version it cached). Payloads carry a keyed pseudonym at most,
never content or an address. On SQLite (one process) everything here is a no-op. A missed
signal costs a poll interval or a page's next reconnect, never a message: the database is
the truth, and a listener that lost its connection reconnects and asks everyone to catch up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.statement_batch import Statement
from storage.store import Tx

log = logging.getLogger(__name__)

OUTBOX_CHANNEL: Final = "anlaufstelle_outbox"
WEBCHAT_CHANNEL: Final = "anlaufstelle_webchat"
CONSOLE_CHANNEL: Final = "anlaufstelle_console"
UI_TEXTS_CHANNEL: Final = "anlaufstelle_ui_texts"
"""An admin imported translations of the service's texts: every replica reloads them."""
FLOWS_CHANNEL: Final = "anlaufstelle_flows"
"""A flow version was published: every replica forgets the published version it cached."""
RECONNECT_SECONDS: Final = 1.0


_WAKE_WORKERS: Final = Statement(
    text("SELECT pg_notify(:channel, '')").bindparams(channel=OUTBOX_CHANNEL)
)


async def announce_outbox(tx: Tx) -> None:
    """Wake listening workers when this transaction commits (PostgreSQL sends it then).

    Sent with the commit (`Tx.wake_signal`), and only if a reply of the transaction is left to the
    workers: replies pushed at once are leased to this process, no other worker could take
    them, so waking every replica for them would cost a statement per message for nothing."""
    if tx.backend == "postgresql":
        tx.workers.signal = _WAKE_WORKERS


async def announce_flow(tx: Tx) -> None:
    """Tell every replica, when this transaction commits, that a flow version was published."""
    if tx.backend == "postgresql":
        await tx.session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": FLOWS_CHANNEL})


async def publish(db: Database, channel: str, payload: str) -> None:
    """Send a signal now, outside any transaction (for news already committed)."""
    if db.is_sqlite:
        return
    async with db.engine.connect() as conn:
        await conn.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
        )
        await conn.commit()


class Listener:
    """LISTEN on some channels, each with a handler of the payload; reconnects by itself."""

    def __init__(
        self,
        db: Database,
        handlers: Mapping[str, Callable[[str], None]],
        on_reconnect: Callable[[], None] | None = None,
        *,
        reconnect_seconds: float = RECONNECT_SECONDS,
    ) -> None:
        self.db = db
        self.reconnect_seconds = reconnect_seconds
        self.handlers = dict(handlers)
        self.on_reconnect = on_reconnect
        self._conn: AsyncConnection | None = None
        self._driver: Any = None
        self._watch: asyncio.Task[None] | None = None

    def _callback(self, _conn: object, _pid: object, channel: str, payload: str) -> None:
        handler = self.handlers.get(channel)
        if handler is not None:
            handler(payload)

    async def _connect(self) -> None:
        self._conn = await self.db.engine.connect()
        raw = await self._conn.get_raw_connection()
        self._driver = raw.driver_connection
        for channel in self.handlers:
            await self._driver.add_listener(channel, self._callback)

    async def start(self) -> None:
        if self.db.is_sqlite:
            return
        await self._connect()
        self._watch = asyncio.create_task(self._watchdog(), name="listener-watchdog")
        log.info("listening for signals from other replicas")

    def alive(self) -> bool:
        """Listening (or nothing to listen for, on SQLite); False while the connection is lost."""
        if self.db.is_sqlite:
            return True
        return self._driver is not None and not self._driver.is_closed()

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(self.reconnect_seconds)
            if self.alive():
                continue
            log.warning("lost the connection for signals from other replicas; reconnecting")
            await self._drop()
            try:
                await self._connect()
            except Exception as exc:  # the database may be down for a while: try again
                log.warning("reconnecting for signals failed (%s)", exc.__class__.__name__)
                continue
            log.info("listening for signals from other replicas again")
            if self.on_reconnect is not None:
                self.on_reconnect()  # what was signalled meanwhile is read from the database

    async def _drop(self) -> None:
        if self._conn is None:
            return
        with contextlib.suppress(Exception):  # the connection may already be gone
            for channel in self.handlers:
                await self._driver.remove_listener(channel, self._callback)
        with contextlib.suppress(Exception):
            await self._conn.invalidate()
        with contextlib.suppress(Exception):
            await self._conn.close()
        self._conn = None
        self._driver = None

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        await self._drop()


class OutboxListener(Listener):
    """Only the outbox signal: wakes a delivery worker."""

    def __init__(self, db: Database, on_notify: Callable[[], None]) -> None:
        super().__init__(db, {OUTBOX_CHANNEL: lambda _payload: on_notify()})
