"""The storage entry point: one `Store` per process, one `Tx` per unit of work.

Code outside `storage` never sees a session, a SQL statement or a key: it calls the
functions of storage's modules with a `Tx`, and gets plain records back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage import pending, statement_batch
from storage.case_material import CaseMaterial, CodePool
from storage.crypto import KdfParams, ServerKey
from storage.db import Database
from storage.held import Held, KnownContacts, NeedsFullUnit
from storage.pg_direct import DirectConnection
from storage.records import DirectPush
from storage.statement_batch import Statement

log = logging.getLogger(__name__)


@dataclass
class Generation:
    """A counter that moves whenever something a process may cache has changed; a cache
    keeps the value it read with and reads again when the value moved."""

    value: int = 0

    def bump(self) -> None:
        self.value += 1


@dataclass
class WakeWorkers:
    """Whether and how the commit wakes the replicas' delivery workers."""

    signal: Statement | None = None
    """Set by storage/notify.py `announce_outbox` (PostgreSQL's NOTIFY)."""
    replies_waiting: bool = False
    """A reply of the transaction waits for a worker's round (it is not pushed at once)."""


@dataclass(frozen=True)
class Tx:
    """A transaction with what storage needs to encrypt inside it.

    Either with an ORM session (`Store.tx`, `Store.read`), or light (`Store.light_tx`): the
    connection only, for the few things an ordinary message needs (storage/light.py);
    asking a light one for its session raises `NeedsFullUnit`."""

    orm_session: AsyncSession | None
    keys: ServerKey
    kdf: KdfParams
    now: datetime
    backend: str
    removals: list[str] = field(default_factory=list, compare=False, repr=False)
    """What this transaction removed or resealed whose older copies must also leave the
    database files: the store clears SQLite's write-ahead log after the commit."""
    flow_publications: Generation = field(default_factory=Generation, compare=False, repr=False)
    """The store's count of flow publications seen (bot/conversation/flows.py caches the
    published version by it); moved after the commit of a transaction that published."""
    published: list[str] = field(default_factory=list, compare=False, repr=False)
    deleted_contacts: list[bool] = field(default_factory=list, compare=False, repr=False)
    """Set when contact rows were deleted: the store forgets the contact ids it knows
    (storage/held.py `KnownContacts`) after the commit."""
    push: DirectPush | None = field(default=None, compare=False, repr=False)
    """Replies to send at once after the commit (storage/outbox.py `enqueue`); None: the
    delivery worker's rounds send them."""
    workers: WakeWorkers = field(default_factory=WakeWorkers, compare=False, repr=False)
    pending: pending.PendingRows = field(
        default_factory=pending.PendingRows, compare=False, repr=False
    )
    """Rows and changes written in one trip before any query or at the commit."""
    light: Held | None = field(default=None, compare=False, repr=False)
    """A light unit's connection and the rows it holds; None: a unit with a session."""

    @property
    def session(self) -> AsyncSession:
        if self.orm_session is None:
            raise NeedsFullUnit
        return self.orm_session

    async def connection(self) -> AsyncConnection:
        """The transaction's connection, for Core statements (a light unit on PostgreSQL
        has none: its statements go to asyncpg, see `direct`)."""
        if self.light is not None:
            if isinstance(self.light.conn, DirectConnection):
                raise NeedsFullUnit
            return self.light.conn
        return await self.session.connection()

    @property
    def direct(self) -> DirectConnection | None:
        """A light unit's asyncpg connection (storage/pg_direct.py); None otherwise."""
        if self.light is None or not isinstance(self.light.conn, DirectConnection):
            return None
        return self.light.conn

    def wake_signal(self) -> Statement | None:
        """The signal to send with the commit, if the replicas' delivery workers must wake:
        not for replies that are all pushed at once (leased to this process)."""
        needed = self.workers.replies_waiting or self.push is None or not self.push.rows
        return self.workers.signal if needed else None

    def removed_secrets(self, what: str) -> None:
        self.removals.append(what)

    def contacts_deleted(self) -> None:
        self.deleted_contacts.append(True)

    def published_flow(self, flow_id: str) -> None:
        self.published.append(flow_id)

    @property
    def locks_rows(self) -> bool:
        """PostgreSQL needs SELECT … FOR UPDATE; SQLite's single writer already serialises."""
        return self.backend == "postgresql"


def _held_back(tx: Tx) -> None:
    """The unit's write found an earlier reply waiting (storage/pending.py
    `lease_unless_waiting`): its replies were written for the delivery worker's rounds, to
    be sent after that one, not pushed now."""
    push = tx.push
    if push is not None:
        push.rows.clear()
        push.ruled_out = True
    tx.workers.replies_waiting = True


Now = Callable[[], datetime]
"""Gives the current aware time: the service's one clock (`bot.clock`), never read here."""


class Store:
    def __init__(
        self, db: Database, keys: ServerKey, kdf: KdfParams | None = None, *, clock: Now
    ) -> None:
        self.db = db
        self.keys = keys
        self.kdf = kdf or KdfParams()
        self.codes = CodePool()
        """New cases' key pairs, codes and Argon2id keys made ahead, outside any transaction."""
        self.clock = clock
        """Stamps transactions begun without an explicit time; the app factory sets it to the
        service's clock, so storage and service never disagree about the date."""
        self._clearing: asyncio.Task[None] | None = None
        self._clear_again = False
        self.known_contacts = KnownContacts()
        self.light_units = True
        """Whether ordinary messages try a light unit first (`light_tx`). Tests turn it off
        to compare with sessions."""
        self.flow_publications = Generation()
        """Moves when a flow version is published: by a transaction of this process once it
        committed, by another replica's through its notification (`notify.FLOWS_CHANNEL`)."""

    async def case_material(self) -> CaseMaterial:
        """What a handover or a code replacement needs that is slow to make (storage/
        case_material.py): made ahead, or now in a worker thread. Call it before opening the
        transaction that uses it; unused, it is simply dropped."""
        return await self.codes.take(self.kdf)

    def ready_case_material(self) -> CaseMaterial | None:
        """Material made ahead, if any is ready; never waits (safe inside a transaction)."""
        return self.codes.take_ready(self.kdf)

    @contextlib.asynccontextmanager
    async def tx(
        self, now: datetime | None = None, *, push: DirectPush | None = None, small: bool = False
    ) -> AsyncIterator[Tx]:
        """One transaction; committed when the block ends without error. `push`: collect
        the replies to the writer for sending at once after the commit (`Tx.push`). `small`:
        every statement of the block touches a handful of rows (`Database.transaction`)."""
        async with self.db.transaction(small=small) as session:
            tx = self._tx(session, None, now, push)
            session.info[pending.KEY] = tx.pending
            yield tx
            if tx.pending:
                await session.run_sync(lambda s: tx.pending.write(s.connection()))
            signal = tx.wake_signal()
            if signal is not None:
                # On the connection: a signal needs no flush of the session first.
                await (await tx.session.connection()).execute(signal.statement)
        self._committed(tx)

    @contextlib.asynccontextmanager
    async def light_tx(
        self, now: datetime | None = None, *, push: DirectPush | None = None
    ) -> AsyncIterator[Tx]:
        """A unit of work without an ORM session (storage/light.py), for an ordinary
        message; raises `NeedsFullUnit` (having kept nothing) when it meets anything else."""
        async with self.db.light_transaction() as conn:
            tx = self._tx(None, Held(conn, self.known_contacts), now, push)
            yield tx
            if isinstance(conn, DirectConnection):
                if tx.pending and await tx.pending.write_direct(conn):
                    _held_back(tx)
                signal = tx.wake_signal()
                if signal is not None:
                    await conn.scalar(signal, {})
            else:
                if tx.pending:
                    await statement_batch.run_sync(conn, tx.pending.write)
                signal = tx.wake_signal()
                if signal is not None:
                    await conn.execute(signal.statement)
        self._committed(tx)

    def _tx(
        self,
        session: AsyncSession | None,
        held: Held | None,
        now: datetime | None,
        push: DirectPush | None,
    ) -> Tx:
        return Tx(
            session,
            self.keys,
            self.kdf,
            now or self.clock(),
            self.db.backend,
            flow_publications=self.flow_publications,
            push=push,
            light=held,
        )

    def _committed(self, tx: Tx) -> None:
        if tx.published:
            self.flow_publications.bump()
        if tx.removals:
            self._clear_wal_soon()
        if tx.deleted_contacts:
            # Not left in memory for a person who asked for deletion (and a stale id would
            # only cost a fallback).
            self.known_contacts.clear()

    def _clear_wal_soon(self) -> None:
        """Clear the write-ahead log beside the work, not in its way: the caller's reply
        must not wait for a checkpoint. Requests while one runs fold into one more run."""
        if self._clearing is not None and not self._clearing.done():
            self._clear_again = True
            return
        self._clearing = asyncio.get_running_loop().create_task(self._clear_wal())

    async def _clear_wal(self) -> None:
        while True:
            self._clear_again = False
            try:
                await self.db.clear_wal()
            except Exception:
                log.exception("clearing the write-ahead log failed; next time again")
            if not self._clear_again:
                return

    async def wal_cleared(self) -> None:
        """Wait for a pending clearing of the write-ahead log (tests, shutdown)."""
        while self._clearing is not None and not self._clearing.done():
            await asyncio.shield(self._clearing)

    async def close(self) -> None:
        """Let a clearing of the write-ahead log finish, then close every connection. (A
        clearing cut off by the loop's end left its connection to the garbage collector,
        whose driver thread then wrote a traceback after the command's own last word.)"""
        await self.wal_cleared()
        await self.db.dispose()

    @contextlib.asynccontextmanager
    async def read(self, now: datetime | None = None) -> AsyncIterator[Tx]:
        """A transaction for reading only; must not write (SQLite would refuse mid-way)."""
        async with self.db.read_transaction() as session:
            yield self._tx(session, None, now, None)

    def contact_pseudonym(self, channel: str, address: str) -> str:
        """Keyed hash of a channel address: the conversation lock key, never the address."""
        return self.keys.pseudonym(f"contact:{channel}", address)


_JSON_OPTIONS: Final = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)
"""Close to `json.dumps(..., sort_keys=True)`: keys in order, an int key as its text, and a
time or a dataclass refused (not written in a form nobody chose). orjson, because this runs
several times per message (the line, the reply, the dialog state) and the standard
library's encoder took a tenth of a message's CPU there. Unlike it, orjson writes NaN as
null and refuses integers beyond 64 bits; neither occurs in what the service stores."""


def to_json(value: Any) -> bytes:
    """Compact UTF-8 JSON; a value JSON cannot hold raises TypeError (orjson's error)."""
    return orjson.dumps(value, option=_JSON_OPTIONS)


def from_json(raw: bytes) -> Any:
    return orjson.loads(raw)
