"""A real `anlaufstelle serve` process for tests that need the whole service: started,
killed with SIGKILL, started again on the same port and data directory."""

from __future__ import annotations

import asyncio
import os
import re
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bot.clock import SystemClock


def free_port() -> int:
    """A loopback port that nothing listens on, held back for the caller for about a minute.

    Binding port 0 and closing again is not enough when tests run in parallel: between the
    close and the server's own bind, the kernel may hand the same port to another worker's
    bind(0) or to an outgoing connection. So the port is left in TIME_WAIT (one connection
    to it, closed from the listening side first): the kernel gives it to no bind(0), no
    outgoing connection, and no bind without SO_REUSEADDR, while a server that sets
    SO_REUSEADDR (aiohttp, Sanic, node, PostgreSQL all do) may bind it at once. A connection
    attempt in the meantime is refused, so it also serves as "a port where nothing listens".
    """
    return _hold(0)


def free_ports(count: int) -> int:
    """The first of `count` consecutive free loopback ports, each held back as `free_port`
    holds one."""
    for _ in range(200):
        first = free_port()
        try:
            for port in range(first + 1, first + count):
                _hold(port)  # refused if anything holds it, a port in TIME_WAIT included
        except OSError:
            continue
        return first
    raise AssertionError(f"found no {count} consecutive free ports")


def _hold(port: int) -> int:
    """Leave `port` (0: one the kernel picks) in TIME_WAIT; see `free_port`."""
    if port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))  # without SO_REUSEADDR: refused in TIME_WAIT too
    with socket.socket() as listener:
        # Set on the listener as well: Linux lets a server bind over a TIME_WAIT only if
        # the socket that left it had SO_REUSEADDR too.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(1)
        address = listener.getsockname()
        with socket.create_connection(address, timeout=10):
            accepted, _ = listener.accept()
            accepted.close()  # the side that closes first keeps the port in TIME_WAIT
    return int(address[1])


class Server:
    """One `anlaufstelle serve` process; can be killed and started again on the same port
    and data directory."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.file_limit: tuple[int, int] | None = None
        """(soft, hard) RLIMIT_NOFILE for the process, set before `start`: reproduces a small
        limit cheaply."""
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ANLAUFSTELLE_")}
        self.env.update(
            ANLAUFSTELLE_DATA_DIR=str(data_dir),
            ANLAUFSTELLE_HOST="127.0.0.1",
            ANLAUFSTELLE_PORT=str(self.port),
            ANLAUFSTELLE_KDF_MEMORY_KIB="1024",
            ANLAUFSTELLE_KDF_TIME_COST="1",
            ANLAUFSTELLE_DELIVERY__POLL_SECONDS="0.1",
            ANLAUFSTELLE_DELIVERY__BACKOFF_INITIAL_SECONDS="0.2",
            ANLAUFSTELLE_DELIVERY__BACKOFF_MAX_SECONDS="1",
            ANLAUFSTELLE_WEBCHAT__EXIT_URL=f"{self.url}/healthz",
            # Every browser test comes from 127.0.0.1; the per-network limit is tested elsewhere.
            ANLAUFSTELLE_WEBCHAT__NEW_CHATS_PER_10_MINUTES="100000",
            ANLAUFSTELLE_LOG_LEVEL="INFO",
        )
        self.env.update(env)
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def exit_url(self) -> str:
        return self.env["ANLAUFSTELLE_WEBCHAT__EXIT_URL"]

    @property
    def database(self) -> Path:
        return self.data_dir / "anlaufstelle.sqlite3"

    def start(self) -> None:
        """Start the process and wait until /healthz answers (blocking)."""
        self.runs += 1
        exe = Path(sys.executable).with_name("anlaufstelle")
        with (
            (self.data_dir / f"stdout-{self.runs}.txt").open("wb") as out,
            (self.data_dir / f"stderr-{self.runs}.txt").open("wb") as err,
        ):
            self.proc = subprocess.Popen(
                [str(exe), "serve"],
                env=self.env,
                stdout=out,
                stderr=err,
                preexec_fn=self._limit if self.file_limit else None,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as resp:  # noqa: S310
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if self.proc.poll() is not None:
                raise AssertionError(f"the service exited at start:\n{self.output()}")
            time.sleep(0.1)
        raise AssertionError(f"the service did not answer /healthz:\n{self.output()}")

    def _limit(self) -> None:
        # Runs in the child between fork and exec: only the child gets the small limit.
        assert self.file_limit is not None
        resource.setrlimit(resource.RLIMIT_NOFILE, self.file_limit)

    async def astart(self) -> None:
        await asyncio.to_thread(self.start)

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, the sockets just drop."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def output(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.data_dir.glob("std*-*.txt"))
        )

    def recovery_key(self) -> str:
        """The team recovery key the first start printed."""
        match = re.search(r"recovery key.*\n\s+([0-9A-Z-]{20,})", self.output())
        assert match, self.output()
        return match.group(1)

    def cases(self) -> list[dict[str, Any]]:
        """Every case row, with its plain columns (the content is encrypted)."""
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=10) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(
                "SELECT id, team_id, status, channel, language FROM cases ORDER BY id"
            ).fetchall()
        return [dict(r) for r in rows]

    async def queue(self) -> list[Any]:
        """The open cases through the storage API, as the counsellors' console sees them."""
        from storage import cases
        from storage.crypto import KdfParams, ServerKey
        from storage.db import Database
        from storage.store import Store

        db = Database(f"sqlite+aiosqlite:///{self.database}")
        store = Store(
            db, ServerKey.load(self.data_dir / "server.key"), KdfParams.fast(), clock=SystemClock()
        )
        try:
            async with store.tx() as tx:
                return list(await cases.queue(tx))
        finally:
            await db.dispose()

    async def counsellor_reply(self, text: str) -> None:
        """A counsellor claims the newest case and answers it, written into the database as
        the console does (the service's delivery worker sends it on)."""
        import secrets as _secrets

        from bot.conversation.flows import FlowCatalog
        from bot.conversation.service import ConversationService
        from storage import cases, teams
        from storage.crypto import KdfParams, ServerKey
        from storage.db import Database
        from storage.store import Store

        db = Database(f"sqlite+aiosqlite:///{self.database}")
        store = Store(
            db, ServerKey.load(self.data_dir / "server.key"), KdfParams.fast(), clock=SystemClock()
        )
        password = _secrets.token_urlsafe(12)
        name = f"antwort-{_secrets.token_hex(3)}"
        try:
            async with store.tx() as tx:
                keys = await teams.unlock_with_recovery_key(tx, "region", self.recovery_key())
                await teams.add_counsellor(
                    tx,
                    name,
                    await teams.new_password(password, tx.kdf),
                    role="counsellor",
                    teams={"region": keys},
                )
            async with store.tx() as tx:
                entry = max(await cases.queue(tx), key=lambda e: e.case_id)
                me = await teams.unlock(tx, name, password)
                assert me is not None
                await cases.claim(tx, entry.case_id, me.counsellor_id)
            service = ConversationService(
                store, FlowCatalog("intake"), response_time={}, clock=SystemClock()
            )
            assert await service.counsellor_reply(entry.case_id, me.counsellor_id, text)
        finally:
            await db.dispose()
