"""Group commit on SQLite: units of work of people writing at the same moment share a commit.

SQLite has one writer, and with synchronous=FULL every commit waits for the disk. A unit of
work that finds the writer free begins the transaction; units that queue for the writer
meanwhile join it, each in a savepoint of its own, so a unit that fails rolls back alone. A
commit, queued for the writer behind everyone waiting when the first unit finished, then
makes all of them durable at once. Every caller returns only after that commit: a message
is still acknowledged only when it is on disk, and a failed commit fails every unit in it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from storage.sqlite_driver import savepoint, small_writes


@dataclass(eq=False)
class _Group:
    """One open write transaction and the units in it."""

    conn: AsyncConnection
    durable: asyncio.Future[None]
    commit_queued: bool = False


class GroupCommit:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._lock = asyncio.Lock()
        """The process's one writer; held by one unit (or the commit) at a time."""
        self._open: _Group | None = None
        self._commits: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def unit(self, *, small: bool = False) -> AsyncIterator[AsyncSession]:
        """A session for one unit of work; the block's writes are durable when it returns.
        `small`: its statements are all small, and run without a hop once the transaction
        has begun (`sqlite_driver.small_writes`)."""
        async with self._lock:
            group = self._open
            first = group is None
            if group is None:
                group = await self._begin()
            # The first unit's session works in the transaction itself (no savepoint
            # statements when nobody else writes); a failure there takes the transaction,
            # which holds nothing but that unit.
            mode = "rollback_only" if first else "create_savepoint"
            session = AsyncSession(
                bind=group.conn, join_transaction_mode=mode, expire_on_commit=False
            )
            # The session's own rollback to its savepoint is as small as its statements.
            in_place = small_writes(group.conn) if small else contextlib.nullcontext()
            try:
                with in_place:
                    async with session.begin():
                        yield session
            except BaseException:
                if first:
                    await self._drop(group)
                raise
            finally:
                await session.close()
            self._queue_commit(group)
        # Shielded: a caller that gives up waiting does not take the others' commit with it.
        await asyncio.shield(group.durable)

    def _queue_commit(self, group: _Group) -> None:
        if not group.commit_queued:
            group.commit_queued = True
            task = asyncio.get_running_loop().create_task(self._commit_later(group))
            self._commits.add(task)
            task.add_done_callback(self._commits.discard)

    @contextlib.asynccontextmanager
    async def light_unit(self) -> AsyncIterator[AsyncConnection]:
        """The group's connection for a unit of work without an ORM session (storage/
        light.py), in a savepoint of its own, whether it began the group or joined it: a
        light unit that gives up (`NeedsFullUnit`) leaves nothing behind, and the unit is
        run again in a session. Durable when the block returns, as `unit`."""
        async with self._lock:
            group = self._open
            if group is None:
                group = await self._begin()
            # A light unit's statements are a handful of indexed rows, and so is undoing
            # them: no hop each.
            try:
                with small_writes(group.conn):
                    async with savepoint(group.conn):
                        yield group.conn
            finally:
                # Whatever else is in the group (perhaps nothing) is still committed.
                self._queue_commit(group)
        await asyncio.shield(group.durable)

    @contextlib.asynccontextmanager
    async def alone(self) -> AsyncIterator[None]:
        """The writer, with no transaction of this process open (a checkpoint needs that)."""
        async with self._lock:
            if self._open is not None:
                await self._commit(self._open)
            yield

    async def drain(self) -> None:
        """Wait for the commits that are queued (before the connections close)."""
        while self._commits:
            await asyncio.gather(*self._commits, return_exceptions=True)

    async def _begin(self) -> _Group:
        conn = await self._engine.connect()
        try:
            await conn.begin()  # BEGIN IMMEDIATE (storage/db.py)
        except BaseException:
            await conn.close()
            raise
        durable: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # A group whose every caller was cancelled still reports its failure nowhere else.
        durable.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._open = _Group(conn, durable)
        return self._open

    async def _commit_later(self, group: _Group) -> None:
        async with self._lock:
            if not group.durable.done():
                await self._commit(group)

    async def _commit(self, group: _Group) -> None:
        """Commit the group (the lock is held) and tell its units how it went."""
        self._open = None
        try:
            await group.conn.commit()
        except BaseException as exc:
            group.durable.set_exception(exc)
            with contextlib.suppress(Exception):
                await group.conn.rollback()
            if not isinstance(exc, Exception):
                raise
        else:
            group.durable.set_result(None)
        finally:
            await group.conn.close()

    async def _drop(self, group: _Group) -> None:
        self._open = None
        group.durable.cancel()
        await group.conn.close()
