"""Case codes with their Argon2id keys, made ahead of the handovers that use them.

Deriving the key that wraps a case under its code costs ~0.2 s of CPU with production
parameters. Done inside the handover's transaction, it held SQLite's single writer (and the
process's writer lock) for that long, so every other conversation's message waited behind
it. The pool makes a few codes and keys in a worker thread while nothing waits for them; a
handover takes one (or, with the pool empty, derives one then, as before) and the pool
refills in the background.

What this keeps in memory: for each ready entry a random case code and its derived key,
for cases that do not exist yet; never stored, gone with the process, and no more than the
code hold (bot/conversation/code_hold.py) keeps for delivered codes anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Final

from storage.crypto import KdfParams, new_case_code, new_salt
from storage.kdf import slow_kdf

log = logging.getLogger(__name__)

SIZE: Final = 2
"""Ready entries kept: handovers come seconds apart at most; two cover a burst."""


@dataclass(frozen=True)
class CodeMaterial:
    code: str
    salt: bytes
    key: bytes = field(repr=False)
    params: KdfParams

    def __repr__(self) -> str:
        return "CodeMaterial(…)"


async def derive(kdf: KdfParams) -> CodeMaterial:
    code = new_case_code()
    salt = new_salt()
    return CodeMaterial(code, salt, await slow_kdf(code, salt, kdf), kdf)


class CodePool:
    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._ready: list[CodeMaterial] = []
        self._filling: asyncio.Task[None] | None = None

    @property
    def ready(self) -> int:
        return len(self._ready)

    async def take(self, kdf: KdfParams) -> CodeMaterial:
        """A fresh code and its key for these parameters; never the same one twice."""
        for i, material in enumerate(self._ready):
            if material.params == kdf:
                del self._ready[i]
                self.refill(kdf)
                return material
        self.refill(kdf)
        return await derive(kdf)  # none ready: derived now, as a handover always did

    def refill(self, kdf: KdfParams) -> None:
        """Make entries up to the pool's size in the background (one task at a time)."""
        if self._filling is not None and not self._filling.done():
            return
        try:
            self._filling = asyncio.get_running_loop().create_task(self._fill(kdf))
        except RuntimeError:  # no running loop: nothing to fill from
            self._filling = None

    async def _fill(self, kdf: KdfParams) -> None:
        self._ready = [m for m in self._ready if m.params == kdf]
        while len(self._ready) < self.size:
            try:
                self._ready.append(await derive(kdf))
            except Exception:  # the next handover derives inline; nothing is lost
                log.exception("making case codes ahead failed")
                return

    async def close(self) -> None:
        if self._filling is not None:
            self._filling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._filling
        self._ready.clear()
