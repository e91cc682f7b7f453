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
import hashlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from bot.settings import Settings

log = logging.getLogger(__name__)

QUICK_EXIT_SECONDS = 30.0
"""A worker that stops within this time of its start counts as failing to start."""
QUICK_EXITS_ALLOWED = 5
"""After this many quick stops in a row the service gives up (a setting or the database
that is wrong for every worker, not a passing fault)."""
STOP_SECONDS = 15.0
"""How long a stopping worker may finish its open requests before it is killed."""
PARENT_CHECK_SECONDS = 1.0


class SettingsChanged(Exception):
    """A worker read other settings than the first process started with."""


def worker_command(argv: Sequence[str], index: int) -> list[str]:
    """The command line of worker `index`: this `serve` (its settings and listen address)
    with the worker's number and the first process's id. `-P`: nothing from the working
    directory is imported."""
    return [sys.executable, "-P", "-m", "bot.cli", *argv, "--worker", f"{index}:{os.getpid()}"]


def settings_digest(settings: Settings) -> str:
    """What a worker must share with the first process: every setting, the database URL
    with its password file's content, and the server key."""

    def plain(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        return str(value)

    key = settings.resolved_server_key_file
    material = {
        "settings": settings.model_dump(),
        "database": settings.resolved_database_url,
        "server_key": hashlib.sha256(key.read_bytes()).hexdigest() if key.is_file() else "",
    }
    encoded = json.dumps(material, default=plain, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()


def check_settings_unchanged(settings: Settings) -> None:
    """In a worker: the first process's digest comes on standard input. A settings file, a
    secret file or the server key changed since the service started would make this
    worker another service than the others (a worker restarted later reads them anew)."""
    if sys.stdin.readline().strip() != settings_digest(settings):
        raise SettingsChanged(
            "this worker's settings, secret files or server key differ from the service's "
            "first process (changed since it started?): restart the whole service"
        )


@dataclass
class Workers:
    """Worker processes 1..count-1 of a `serve`, kept running until `stop`."""

    argv: Sequence[str]
    count: int
    monotonic: Callable[[], float]
    digest: str
    """`settings_digest` of the first process, handed to each worker on its input."""
    failed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a worker kept failing; `error` says which."""
    error: str = ""
    _procs: dict[int, asyncio.subprocess.Process] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> None:
        for index in range(1, self.count):
            self._tasks.append(asyncio.create_task(self._keep(index), name=f"worker-{index}"))

    async def _keep(self, index: int) -> None:
        quick = 0
        while not self._stopping.is_set():
            started = self.monotonic()
            try:
                proc = await self._spawn(index)
            except OSError as exc:  # no memory, no processes left: counts as a failed start
                log.error("worker %s could not be started (%s)", index, exc)
                code: int | str = exc.__class__.__name__
            else:
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
                self.failed.set()  # the service stops and says so
                return
            log.warning("worker %s stopped (exit code %s); starting it again", index, code)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), min(0.5 * 2**quick, 8.0))

    async def _spawn(self, index: int) -> asyncio.subprocess.Process:
        proc = await asyncio.create_subprocess_exec(
            *worker_command(self.argv, index),
            stdin=asyncio.subprocess.PIPE,
            # A process group of its own: a terminal's Ctrl+C reaches the first process only,
            # which stops the workers (a worker still importing would print a traceback).
            process_group=0,
        )
        assert proc.stdin is not None
        proc.stdin.write(f"{self.digest}\n".encode())
        with contextlib.suppress(ConnectionError):  # it died at once: its exit code says why
            await proc.stdin.drain()
        proc.stdin.close()
        return proc

    async def stop(self) -> None:
        """SIGTERM to every worker, SIGKILL to those still running after STOP_SECONDS."""
        self._stopping.set()
        await asyncio.gather(*(_end(p) for p in self._procs.values()))
        for result in await asyncio.gather(*self._tasks, return_exceptions=True):
            if isinstance(result, BaseException):
                log.error("supervising a worker failed: %r", result)


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
    """In a worker: until `stop`, or until the process that started it (`first`) is gone."""
    while os.getppid() == first:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PARENT_CHECK_SECONDS)
            return
    log.warning("the service's first process is gone; this worker stops")
