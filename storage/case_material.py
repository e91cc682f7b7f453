"""What a new case needs that is slow to make, made before the transaction that writes it.

A case gets an X25519 key pair and a case code whose Argon2id key wraps the private key;
the derivation costs ~0.2 s of CPU with production parameters. Done inside a handover's
transaction, it held SQLite's single writer (and the process's writer lock) for that long,
so every other conversation's message waited behind it. So storage never makes either inside
a transaction: the caller brings a `CaseMaterial`, made in a worker thread beforehand, and
the transaction only writes what follows from it (`cases.hand_over`, `cases.replace_code`).

The pool keeps a few made ahead, refilled in the background, so a handover seldom waits
for its own. Material taken but not used (the conversation was not at a handover after all,
another handover won) is dropped, never handed out again.

What this keeps in memory: for each ready entry a random case code, its derived key and a
case private key, for cases that do not exist yet; never stored, gone with the process, and
no more than the code hold (bot/conversation/code_hold.py) keeps for delivered codes anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Final

from storage.crypto import KdfParams, KeyPair, derive_key, generate_keypair, new_case_code, new_salt

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


@dataclass(frozen=True)
class CaseMaterial:
    """A new case's key pair and case code with its Argon2id key."""

    pair: KeyPair = field(repr=False)
    code: CodeMaterial = field(repr=False)

    def __repr__(self) -> str:
        return "CaseMaterial(…)"


def _make(kdf: KdfParams) -> CaseMaterial:
    code = new_case_code()
    salt = new_salt()
    return CaseMaterial(
        generate_keypair(), CodeMaterial(code, salt, derive_key(code, salt, kdf), kdf)
    )


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


NICE: Final = 10
"""The material threads' nice value: the scheduler serves the event loop and SQLite's writer
first (a nice-10 thread gets about a tenth of a core that a busy nice-0 thread wants), yet a
machine busy with other work does not starve the handovers."""


def _yield_to_others() -> None:
    """Lower this thread's priority (Linux gives each thread its own nice value)."""
    with contextlib.suppress(AttributeError, OSError):  # not on Linux, or not allowed
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)


def material_threads() -> Executor:
    """Where case material is made (argon2 releases the GIL while it works): at a lower
    priority, on all cores but one, so the event loop and SQLite's writer keep theirs. A
    burst of handovers that asks for more waits for itself, not everyone else's messages for
    it. (Derivations inside a transaction, at a login or for a code a person typed, still
    run on the loop's default threads as before: they must not queue behind these.)"""
    return ThreadPoolExecutor(
        max_workers=max(1, _cores() - 1),
        thread_name_prefix="case-material",
        initializer=_yield_to_others,
    )


class CodePool:
    """Case material made ahead, and made on demand, on threads of the pool's own."""

    def __init__(self, size: int = SIZE, threads: Executor | None = None) -> None:
        self.size = size
        self.threads = threads or material_threads()
        self._ready: list[CaseMaterial] = []
        self._filling: asyncio.Task[None] | None = None

    async def make(self, kdf: KdfParams) -> CaseMaterial:
        """Fresh material: outside any transaction, it takes as long as one Argon2id
        derivation (and any asked for before it that still wait for a thread)."""
        return await asyncio.get_running_loop().run_in_executor(self.threads, _make, kdf)

    @property
    def ready(self) -> int:
        return len(self._ready)

    def take_ready(self, kdf: KdfParams) -> CaseMaterial | None:
        """Material made ahead for these parameters, never the same twice; None when none is
        ready (then the caller makes its own with `take`, outside its transaction)."""
        for i, material in enumerate(self._ready):
            if material.code.params == kdf:
                del self._ready[i]
                self.refill(kdf)
                return material
        self.refill(kdf)
        return None

    async def take(self, kdf: KdfParams) -> CaseMaterial:
        """Material made ahead, or made now in a worker thread; outside any transaction."""
        return self.take_ready(kdf) or await self.make(kdf)

    def refill(self, kdf: KdfParams) -> None:
        """Make entries up to the pool's size in the background (one task at a time)."""
        if self._filling is not None and not self._filling.done():
            return
        try:
            self._filling = asyncio.get_running_loop().create_task(self._fill(kdf))
        except RuntimeError:  # no running loop: nothing to fill from
            self._filling = None

    async def _fill(self, kdf: KdfParams) -> None:
        self._ready = [m for m in self._ready if m.code.params == kdf]
        while len(self._ready) < self.size:
            try:
                self._ready.append(await self.make(kdf))
            except Exception:  # the next handover makes its own; nothing is lost
                log.exception("making case material ahead failed")
                return

    async def close(self) -> None:
        """Drop what is ready and what waits for a thread; the pool may be used again."""
        if self._filling is not None:
            self._filling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._filling
        self._ready.clear()
        self.threads.shutdown(wait=False, cancel_futures=True)
        self.threads = material_threads()
