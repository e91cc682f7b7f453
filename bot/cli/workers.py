"""`serve --workers N`: the first process serves and keeps N-1 more `serve` processes running
beside it on the same port (SO_REUSEPORT: the kernel spreads new connections over them).

They are replicas on one host: they coordinate only through PostgreSQL, as replicas on
several hosts do (docs/architecture.md, "Several replicas on PostgreSQL"). One event loop
uses one core; workers let one office use the host's other cores.

A worker that stops on its own is started again; one that keeps failing within seconds of
its start stops the service with an error instead of restarting for ever. A worker whose
first process is gone (killed, say) stops by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

QUICK_EXIT_SECONDS = 10.0
"""A worker that stops within this time of its start counts as failing to start."""
QUICK_EXITS_ALLOWED = 5
"""After this many quick stops in a row the service gives up (a setting or the database
that is wrong for every worker, not a passing fault)."""
STOP_SECONDS = 15.0
"""How long a stopping worker may finish its open requests before it is killed."""
PARENT_CHECK_SECONDS = 1.0


class WorkersFailed(Exception):
    """A worker kept stopping right after its start."""


def worker_command(argv: Sequence[str], index: int) -> list[str]:
    """The command line of worker `index`: this `serve` (its settings and listen address)
    with the worker's number and the first process's id."""
    return [sys.executable, "-m", "bot.cli", *argv, "--worker", f"{index}:{os.getpid()}"]


@dataclass
class Workers:
    """Worker processes 1..count-1 of a `serve`, kept running until `stop`."""

    argv: Sequence[str]
    count: int
    monotonic: Callable[[], float]
    failed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a worker kept failing; `error` says which."""
    error: str = ""
    _procs: dict[int, asyncio.subprocess.Process] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> None:
        for index in range(1, self.count):
            self._tasks.append(asyncio.create_task(self._keep(index), name=f"worker-{index}"))

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs.values() if p.returncode is None]

    async def _keep(self, index: int) -> None:
        quick = 0
        while not self._stopping.is_set():
            started = self.monotonic()
            proc = await asyncio.create_subprocess_exec(*worker_command(self.argv, index))
            self._procs[index] = proc
            if self._stopping.is_set():  # `stop` came while it started: it did not see it
                await _end(proc)
                return
            code = await proc.wait()
            if self._stopping.is_set():
                return
            quick = quick + 1 if self.monotonic() - started < QUICK_EXIT_SECONDS else 0
            if quick >= QUICK_EXITS_ALLOWED:
                self.error = (
                    f"worker {index} stopped {quick} times within {QUICK_EXIT_SECONDS:g} s of "
                    f"its start (exit code {code}); see its messages above"
                )
                log.error("%s", self.error)
                self.failed.set()
                return
            log.warning("worker %s stopped (exit code %s); starting it again", index, code)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), min(0.5 * 2**quick, 8.0))

    async def stop(self) -> None:
        """SIGTERM to every worker, SIGKILL to those still running after STOP_SECONDS."""
        self._stopping.set()
        await asyncio.gather(*(_end(p) for p in self._procs.values()))
        await asyncio.gather(*self._tasks)


async def _end(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), STOP_SECONDS)
    except TimeoutError:
        log.warning("worker process %s did not stop in time; killing it", proc.pid)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


async def watch_first_process(first: int, stop: asyncio.Event) -> None:
    """In a worker: stop when the process that started it (`first`) is gone."""
    while not stop.is_set():
        if os.getppid() != first:
            log.warning("the service's first process is gone; this worker stops")
            stop.set()
            return
        await asyncio.sleep(PARENT_CHECK_SECONDS)
