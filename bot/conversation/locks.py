"""One lock per person, so their messages are handled one at a time within a process.

Ordering warning: across replicas PostgreSQL's row lock on the conversation (SELECT … FOR
UPDATE) serialises them, and on SQLite the single writer does; this lock only keeps one
process from starting two units of work of the same person at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bot.conversation.units import ContactKey


class ContactLocks:
    """One asyncio.Lock per contact, dropped again when nobody waits for it."""

    def __init__(self) -> None:
        self._locks: dict[ContactKey, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: ContactKey) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
