"""Web chat round trips over real WebSockets, against a bare aiohttp WebSocket echo server.

    .venv/bin/python -m bench.webchat [--conversations 50 500] [--seconds N] [--idle N]
                                      [--database sqlite postgresql]

Throughput and latency. The app from `bot.app.create_app` runs in this process on an SQLite
file in a temporary directory, then on a throwaway PostgreSQL cluster (tests/pg.py), opened as
`anlaufstelle serve` opens it (server key file, migrations, the pragmas of
`storage.db.Database`, the shipped intake published), so every
answer goes through the whole pipeline: frame parsing, `ConversationService.handle` (engine
step, encryption, commit), the outbox, the delivery worker and the WebSocket push. The
clients run in a second process (so client and server do not share one event loop): each
one says `hello`, then answers the intake's prompts in a loop — eleven answers from the
language choice to the contact question, then `command: restart`, so nobody is ever handed
over and the dialog never ends. A round trip is the time from sending an answer (or the
restart) to receiving the next bot `message` frame of kind `prompt`; round trips per second and
the percentiles count the round trips that ended inside the measured window. The warm-up lasts
until every client has had one round trip (at least 1 s), and the window is at least
`--seconds` and at least five times the slowest warm-up round trip, so a window never ends
before the latency it measures (and if nothing completes it says so, never 0/s or nan). The
server's CPU per round trip is this process's CPU time (all threads: the event loop,
aiosqlite's and asyncpg's) inside the measured window divided by the round trips that ended
in it (bench/cpu_window.py: the clients' connections, each a new conversation, and the
warm-up are not in it); the PostgreSQL server's own processes are not in it either. The
soft open-file limit is raised (resource.setrlimit) when it is too low for the sockets of
the run.

A rush of new people. Before the round trips of each level, its clients open their sockets
(50 at a time, the set-up's limit) and each waits for its first question: printed as first
questions per second and the p50/p99 from opening the socket to that question, against the
echo's welcome. Every one of them is a new conversation (a unit of work with an ORM session,
the contact's pseudonym, the opening step), the moment a campaign or a TV report brings.

The baseline is a bare aiohttp WebSocket server that answers every frame with one `message`
frame of kind `prompt` (and `hello` with a `welcome` first), set up in the same process in the
same way and driven by the same client code at the same concurrency.

The product's flood limit (2 frames a second per connection, bursts of 10) is lifted for the
throughput runs — a person never answers that fast, and with it in place 50 clients could not
offer more than 100 round trips a second. Idle connections are measured against the real
limits, in a real `anlaufstelle serve` process.

Memory per idle connection. `anlaufstelle serve` runs as a subprocess (fast Argon2id
parameters for its start-up only); N WebSockets connect, say `hello`, get their first
prompt and wait. The growth of the server's VmRSS (from /proc/PID/status) over those N
connections, divided by N, is compared with the same measurement on the echo server run as a
subprocess (`python -m bench.webchat --echo-server PORT`).

Loopback only; every phase is bounded in time. Nothing here asserts a speed: a benchmark
reports, it never fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import aiohttp
from aiohttp import WSMsgType, web

from bench.cpu_window import CpuSampler
from bot import collector
from tests.serve import free_port  # a port held back until the server binds it

if TYPE_CHECKING:
    from storage.store import Store

HOST = "127.0.0.1"
TIMES = "\N{MULTIPLICATION SIGN}"
DB_FILE = "anlaufstelle.sqlite3"
RECEIVE_TIMEOUT = 30.0
"""Seconds a client waits for one frame before it gives up (bounds every phase)."""
CONNECT_AT_ONCE = 50
"""Connections opened concurrently while setting up (the listen backlog is 128)."""
IDLE_WARMUP = 20
"""Connections opened (and kept) before the idle measurement starts, to warm the server up."""
SETTLE_SECONDS = 1.0
WARMUP_LIMIT = 120.0
"""Seconds the warm-up may take for every client's first round trip (bounds the phase)."""
WINDOW_ROUND_TRIPS = 5
"""The measured window is at least this many of the slowest warm-up round trips long."""
WINDOW_LIMIT = 120.0
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
DRAIN_SECONDS = 10.0
START_SECONDS = 60.0
STOP_SECONDS = 20.0
ROOT = Path(__file__).resolve().parent.parent
FRAME_LIMIT = 1024 * 1024
HEARTBEAT = 30.0
"""As bot.channels.webchat sets them, so the echo server keeps the same per-socket state."""

# One cycle through the shipped intake (dialogs/flows/intake.yaml) without a handover: every
# answer is valid, so each one moves the dialog on by exactly one prompt; the last step
# restarts at the language question.
CYCLE: tuple[dict[str, Any], ...] = (
    {"type": "answer", "choice": "LANGUAGE"},
    {"type": "answer", "choice": "accept"},
    {"type": "answer", "choice": "no"},  # not in danger
    {"type": "answer", "choice": "this_week"},
    {"type": "answer", "choices": ["housing", "public_space"]},
    {"type": "answer", "choice": "garbsen"},
    {"type": "answer", "choices": ["racism", "language"]},
    {"type": "text", "text": "ACCOUNT"},
    {"type": "answer", "choice": "affected"},
    {"type": "answer", "choices": ["information", "counselling"]},
    {"type": "answer", "choice": "anonymous_chat"},
    {"type": "command", "command": "restart"},
)
LANGUAGES = ("de", "ls", "en")
ACCOUNTS = (
    "Bei der Wohnungsbesichtigung hieß es, an Ausländer vermieten wir nicht.",
    "Der Busfahrer hat mich vor allen anderen Fahrgästen beleidigt und nicht mitgenommen.",
    "The landlord said the flat was taken, but my friend got a viewing the next day.",
)


class ProtocolBroken(RuntimeError):
    """A client got an error frame, an unexpected prompt or no answer in time."""


# ---------------------------------------------------------------- the echo baseline


async def echo_socket(request: web.Request) -> web.StreamResponse:
    """The baseline: one `prompt` message frame back per frame (a `welcome` first for hello)."""
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT, max_msg_size=FRAME_LIMIT)
    await ws.prepare(request)
    seq = 0
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            continue
        frame = json.loads(msg.data)
        if frame.get("type") == "hello":
            await ws.send_json(
                {
                    "type": "welcome",
                    "session": "e" * 43,
                    "resumed": False,
                    "owner": None,
                    "readable": True,
                    "history": [],
                }
            )
        seq += 1
        await ws.send_json(
            {"type": "message", "seq": seq, "sender": "bot", "kind": "prompt", "text": msg.data}
        )
    return ws


def echo_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/chat/ws", echo_socket)
    return app


def serve_echo(port: int) -> None:
    """`--echo-server PORT`: the echo app on its own, for the idle-memory baseline (with the
    collector set as `anlaufstelle serve` sets it)."""
    app = echo_app()

    async def settle(_app: web.Application) -> None:
        collector.settle_after_start()

    app.on_startup.append(settle)
    web.run_app(app, host=HOST, port=port, access_log=None, print=None)


# ---------------------------------------------------------------- the clients


class Client:
    """One person's browser: hello, then the intake cycle, one round trip at a time."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, index: int) -> None:
        self.ws = ws
        self.index = index
        self.language = LANGUAGES[index % len(LANGUAGES)]
        self.account = ACCOUNTS[index % len(ACCOUNTS)]
        self.position = 0
        self.sent = 0
        self.acks = 0
        self.prompt: dict[str, Any] = {}
        self.arrival = 0.0
        """Seconds from opening the socket to the first question (see `_connect`)."""

    async def _receive(self) -> dict[str, Any]:
        msg = await self.ws.receive(timeout=RECEIVE_TIMEOUT)
        if msg.type != WSMsgType.TEXT:
            raise ProtocolBroken(f"client {self.index}: connection ended ({msg.type.name})")
        frame: dict[str, Any] = json.loads(msg.data)
        return frame

    async def _until_prompt(self) -> dict[str, Any]:
        while True:
            frame = await self._receive()
            kind = frame.get("type")
            if kind == "message" and frame.get("kind") == "prompt":
                return frame
            if kind == "ack":
                if frame.get("status") != "processed":
                    raise ProtocolBroken(f"client {self.index}: ack {frame.get('status')}")
                self.acks += 1
            elif kind == "error":
                raise ProtocolBroken(f"client {self.index}: error frame {frame.get('code')}")

    async def hello(self) -> None:
        await self.ws.send_str(json.dumps({"type": "hello", "session": None, "language": "de"}))
        self.prompt = await self._until_prompt()

    def _next_frame(self) -> dict[str, Any]:
        step = dict(CYCLE[self.position])
        self.position = (self.position + 1) % len(CYCLE)
        offered = {c["id"] for c in self.prompt.get("choices") or ()}
        if step.get("choice") == "LANGUAGE":
            if offered and self.language not in offered:
                # After a restart the language chosen once is not asked again.
                return self._next_frame()
            step["choice"] = self.language
        if step.get("text") == "ACCOUNT":
            step["text"] = self.account
        # The real prompt must offer what the script picks (the echo server offers nothing).
        picks = [step["choice"]] if "choice" in step else step.get("choices", [])
        if offered and not offered.issuperset(picks):
            raise ProtocolBroken(
                f"client {self.index}: script out of step, {picks} not in {sorted(offered)}"
            )
        self.sent += 1
        step["id"] = f"m{self.sent}"
        return step

    async def round_trip(self) -> float:
        """Send the next answer; seconds until the next prompt arrived."""
        data = json.dumps(self._next_frame())
        start = time.perf_counter()
        await self.ws.send_str(data)
        self.prompt = await self._until_prompt()
        return time.perf_counter() - start


@dataclass
class LoadResult:
    """What the clients saw (pickled back from the client process)."""

    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    """Round trips that completed inside the measured window (whenever they began), seconds."""
    sent: int = 0
    """Every answer/command frame sent, warm-up included."""
    acks: int = 0
    start: float = 0.0
    end: float = 0.0
    """The measured window (time.perf_counter, the same clock in every process)."""
    arrivals: list[float] = field(default_factory=list)
    """Each client's seconds from opening its socket to its first question."""
    arrival_start: float = 0.0
    arrival_seconds: float = 0.0
    """From the first socket opened to the last first question."""
    arrival_cpu: float = 0.0
    """CPU time of the server meanwhile: the new conversations' (filled in by the server
    side)."""
    cpu_seconds: float = 0.0
    """CPU time of the server (all its threads) inside the window, not while the clients
    connected or warmed up (bench/cpu_window.py); filled in by the server side."""

    @property
    def cpu_per_round_trip(self) -> float:
        """The window's CPU over the round trips that ended in it."""
        done = len(self.latencies)
        return self.cpu_seconds / done if done else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


async def _connect(
    session: aiohttp.ClientSession, url: str, origin: str, index: int, gate: asyncio.Semaphore
) -> Client:
    async with gate:
        began = time.perf_counter()
        ws = await session.ws_connect(
            url, headers={"Origin": origin}, timeout=aiohttp.ClientWSTimeout(ws_close=5)
        )
        client = Client(ws, index)
        await client.hello()
        client.arrival = time.perf_counter() - began
        return client


@contextlib.asynccontextmanager
async def connected(port: int, count: int) -> AsyncIterator[list[Client]]:
    """`count` clients that said hello and hold their first prompt; closed on exit."""
    url = f"http://{HOST}:{port}/chat/ws"
    origin = f"http://{HOST}:{port}"
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        gate = asyncio.Semaphore(CONNECT_AT_ONCE)
        clients: list[Client] = []
        try:
            tasks = [_connect(session, url, origin, i, gate) for i in range(count)]
            for done in asyncio.as_completed(tasks):
                clients.append(await done)
            yield clients
        finally:
            await asyncio.gather(*(c.ws.close() for c in clients), return_exceptions=True)


async def _drive(port: int, count: int, warmup: float, seconds: float) -> LoadResult:
    """Warm up until every client has had a round trip (or `warmup` passed, whichever is
    later, at most WARMUP_LIMIT), then measure a window of at least `seconds` and at least
    WINDOW_ROUND_TRIPS times the slowest warm-up round trip: a window shorter than the
    latency would count nothing, or only the lucky ones."""
    opened = time.perf_counter()
    async with connected(port, count) as clients:
        arrived = time.perf_counter() - opened
        warm: list[float] = []
        began = time.perf_counter()

        async def warm_up(client: Client) -> None:
            warm.append(await client.round_trip())
            while time.perf_counter() - began < warmup:
                warm.append(await client.round_trip())

        await asyncio.wait_for(
            asyncio.gather(*(warm_up(c) for c in clients)), WARMUP_LIMIT + warmup
        )
        window = min(max(seconds, WINDOW_ROUND_TRIPS * max(warm)), WINDOW_LIMIT)
        start = time.perf_counter()
        end = start + window
        result = LoadResult(count, window, start=start, end=end)
        result.arrivals = [c.arrival for c in clients]
        result.arrival_start, result.arrival_seconds = opened, arrived

        async def loop(client: Client) -> None:
            while time.perf_counter() < end:
                latency = await client.round_trip()
                done = time.perf_counter()
                if start <= done <= end:
                    result.latencies.append(latency)

        await asyncio.gather(*(loop(c) for c in clients))
        result.sent = sum(c.sent for c in clients)
        result.acks = sum(c.acks for c in clients)
    return result


def drive(port: int, count: int, warmup: float, seconds: float) -> LoadResult:
    """Run `count` clients for warmup + seconds (in the client process)."""
    return asyncio.run(_drive(port, count, warmup, seconds))


# ---------------------------------------------------------------- servers


@contextlib.asynccontextmanager
async def listening(app: web.Application) -> AsyncIterator[int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, HOST, 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        yield int(server.sockets[0].getsockname()[1])
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def service_app(
    directory: Path, database_url: str | None = None
) -> AsyncIterator[tuple[web.Application, Store]]:
    """The real app on a fresh SQLite file (or the PostgreSQL database at `database_url`),
    opened the way `anlaufstelle serve` opens it."""
    from bot.app import create_app
    from bot.cli.bootstrap import open_store, shipped_flows
    from bot.conversation.flows import publish_files
    from bot.settings import Settings, WebChatSettings

    # Argon2id only runs at start-up here (the demo counsellor); nobody is handed over.
    # The per-connection flood limit is lifted: these clients answer back to back.
    settings = Settings(
        data_dir=directory,
        database_url=database_url,
        kdf_memory_kib=1024,
        kdf_time_cost=1,
        webchat=WebChatSettings(
            frames_burst=1e9,
            frames_per_second=1e9,
            new_chats_per_10_minutes=1_000_000,
            max_sockets_per_client=1_000_000,
            max_sockets=1_000_000,
        ),
    )
    store, _ = await open_store(settings, create=True)
    try:
        await publish_files(store, shipped_flows(settings))
        app = create_app(settings, store)
        yield app, store
    finally:
        await store.db.dispose()


@dataclass
class DbCounts:
    conversations: int
    received: int
    lines: int
    waiting: int
    cases: int


def db_counts(path: Path) -> DbCounts:
    with contextlib.closing(sqlite3.connect(path)) as conn:

        def count(table: str, where: str = "") -> int:
            (n,) = conn.execute(f"SELECT count(*) FROM {table} {where}").fetchone()  # noqa: S608
            return int(n)

        return DbCounts(
            conversations=count("conversations"),
            received=count("inbound_receipts"),
            lines=count("messages"),
            waiting=count("outbox"),
            cases=count("cases"),
        )


async def store_counts(store: Store) -> DbCounts:
    from sqlalchemy import text

    async with store.read() as tx:

        async def count(table: str) -> int:
            return int(await tx.session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608

        return DbCounts(
            conversations=await count("conversations"),
            received=await count("inbound_receipts"),
            lines=await count("messages"),
            waiting=await count("outbox"),
            cases=await count("cases"),
        )


async def _outbox_drained(store: Store) -> None:
    from storage import outbox

    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        async with store.tx() as tx:
            if await outbox.pending(tx) == 0:
                return
        await asyncio.sleep(0.05)


# ---------------------------------------------------------------- idle memory


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


async def _wait_until_up(proc: asyncio.subprocess.Process, port: int) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} while starting")
        try:
            _, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError(f"server did not listen on {HOST}:{port} within {START_SECONDS:.0f} s")


@dataclass
class IdleResult:
    count: int
    before_kib: int
    after_kib: int

    @property
    def per_connection(self) -> float:
        return (self.after_kib - self.before_kib) / self.count


async def idle_memory(command: list[str], env: dict[str, str], port: int, n: int) -> IdleResult:
    """Start a server subprocess, open IDLE_WARMUP then `n` idle connections, RSS growth."""
    log = tempfile.TemporaryFile()  # noqa: SIM115  # closed below, after the process ended
    proc = await asyncio.create_subprocess_exec(
        *command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        await _wait_until_up(proc, port)
        async with connected(port, IDLE_WARMUP):
            await asyncio.sleep(SETTLE_SECONDS)
            before = rss_kib(proc.pid)
            async with connected(port, n):
                await asyncio.sleep(SETTLE_SECONDS)
                after = rss_kib(proc.pid)
        return IdleResult(n, before, after)
    except BaseException:
        log.seek(0)
        sys.stderr.write(log.read()[-4000:].decode(errors="replace"))
        raise
    finally:
        if proc.returncode is None:
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), STOP_SECONDS)
        except TimeoutError:
            proc.kill()
            await proc.wait()
        log.close()


def _serve_command() -> list[str]:
    script = Path(sys.executable).with_name("anlaufstelle")
    if script.exists():
        return [str(script), "serve"]
    return [sys.executable, "-c", "from bot.cli.main import main; main()", "serve"]


async def idle_service(directory: Path, n: int) -> IdleResult:
    port = free_port()
    env = {
        **os.environ,
        "ANLAUFSTELLE_DATA_DIR": str(directory),
        "ANLAUFSTELLE_PORT": str(port),
        "ANLAUFSTELLE_HOST": HOST,
        "ANLAUFSTELLE_KDF_MEMORY_KIB": "1024",
        "ANLAUFSTELLE_KDF_TIME_COST": "1",
        "ANLAUFSTELLE_LOG_LEVEL": "WARNING",
        # All idle clients come from 127.0.0.1; lift the per-network limits on new chats and
        # open sockets (the total stays capped by the open-files limit).
        "ANLAUFSTELLE_WEBCHAT__NEW_CHATS_PER_10_MINUTES": "1000000",
        "ANLAUFSTELLE_WEBCHAT__MAX_SOCKETS_PER_CLIENT": "1000000",
        "ANLAUFSTELLE_WEBCHAT__MAX_SOCKETS": "1000000",
    }
    env.pop("ANLAUFSTELLE_CONFIG", None)
    env.pop("ANLAUFSTELLE_DATABASE_URL", None)
    return await idle_memory(_serve_command(), env, port, n)


async def idle_echo(n: int) -> IdleResult:
    port = free_port()
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    command = [sys.executable, "-m", "bench.webchat", "--echo-server", str(port)]
    return await idle_memory(command, env, port, n)


# ---------------------------------------------------------------- the run


@dataclass(frozen=True)
class Options:
    conversations: list[int]
    seconds: float
    idle: int
    directory: Path | None
    databases: list[str]


def parse_args(argv: Sequence[str] | None) -> Options | int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.webchat",
        description="Web chat round trips per second and latency over real WebSockets through "
        "the whole service, and memory per idle connection, as ratios to a bare aiohttp "
        "WebSocket echo server measured in the same run.",
    )
    parser.add_argument(
        "--conversations",
        type=int,
        nargs="+",
        default=[50, 500],
        help="concurrent conversations, one measurement each; 0 leaves the round trips out "
        "and measures only idle memory (default: 50 500)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=8.0,
        help="measured seconds per measurement, after a warm-up of up to 1 s (default 8)",
    )
    parser.add_argument(
        "--idle",
        type=int,
        default=500,
        help="idle connections for the memory measurement; 0 leaves it out (default 500)",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="keep the benchmark's data here (default: a temporary directory, removed)",
    )
    parser.add_argument(
        "--database",
        nargs="+",
        choices=sorted(NAMES),
        default=["sqlite", "postgresql"],
        help="the service's databases, one run each (default: sqlite postgresql; PostgreSQL "
        "as a throwaway cluster like the tests')",
    )
    parser.add_argument("--echo-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.echo_server is not None:
        serve_echo(args.echo_server)
        return 0
    conversations = [n for n in args.conversations if n != 0]
    if min(args.conversations) < 0 or args.seconds <= 0 or args.idle < 0:
        parser.error("--conversations must be at least 0, --seconds positive, --idle >= 0")
    if not conversations and not args.idle:
        parser.error("nothing to measure: --conversations 0 and --idle 0")
    # No throughput levels: no database to run them on either.
    databases = args.database if conversations else []
    return Options(conversations, args.seconds, args.idle, args.dir, databases)


def raise_open_file_limit(needed: int) -> str:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return f"open-file limit {soft} (enough)"
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return f"open-file limit raised from {soft} to {target} (resource.setrlimit)"


def _ms(seconds: float) -> str:
    ms = seconds * 1000
    if ms != ms:  # NaN: not measured (bench/cpu_window.py)
        return "n/a ms"
    return f"{ms:.2f} ms" if ms < 1 else f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def _ratio(value: float, base: float) -> str:
    if base <= 0 or value != value or base != base:  # zero or NaN
        return "n/a"
    r = value / base
    return f"{r:.0f}" if r >= 10 else f"{r:.2f}" if r >= 0.1 else f"{r:.2g}"


def throughput_line(service: LoadResult, echo: LoadResult, database: str = "SQLite") -> str:
    where = f"{service.concurrency} conversations on {database}"
    for name, result in (("the service", service), ("the echo", echo)):
        if not result.latencies:
            # Never 0 round trips/s or "nan ms": the window was shorter than one round trip.
            return (
                f"{where}: no round trip of {name} completed in "
                f"the {result.seconds:g} s window (measure longer: --seconds)"
            )
    parts = [
        f"{where}: {service.rate:.0f} round trips/s = "
        f"{_ratio(service.rate, echo.rate)} {TIMES} echo ({echo.rate:.0f}/s) in "
        f"{service.seconds:.3g} s"
    ]
    for p in (50, 99):
        mine, theirs = percentile(service.latencies, p), percentile(echo.latencies, p)
        parts.append(f"p{p} {_ms(mine)} = {_ratio(mine, theirs)} {TIMES} echo p{p} {_ms(theirs)}")
    mine, theirs = service.cpu_per_round_trip, echo.cpu_per_round_trip
    parts.append(
        f"server CPU {_ms(mine)} per round trip = {_ratio(mine, theirs)} {TIMES} echo "
        f"({_ms(theirs)})"
    )
    return "; ".join(parts)


def arrival_line(service: LoadResult, echo: LoadResult, database: str = "SQLite") -> str:
    """A rush of new people (a campaign, a TV report): each opens the chat and waits for the
    first question; CONNECT_AT_ONCE of them at a time, as many as a burst can bring."""
    n = service.concurrency
    if not service.arrivals or not echo.arrivals:
        return f"{n} people opening the chat on {database}: not measured"
    rate, base = n / service.arrival_seconds, n / echo.arrival_seconds
    parts = [
        f"{n} people opening the chat on {database} ({CONNECT_AT_ONCE} at a time): "
        f"{rate:.0f} first questions/s = {_ratio(rate, base)} {TIMES} echo ({base:.0f}/s)"
    ]
    for p in (50, 99):
        mine, theirs = percentile(service.arrivals, p), percentile(echo.arrivals, p)
        parts.append(
            f"first question p{p} {_ms(mine)} = {_ratio(mine, theirs)} {TIMES} echo {_ms(theirs)}"
        )
    parts.append(f"server CPU {_ms(service.arrival_cpu / n)} per new chat")
    return "; ".join(parts)


def idle_line(service: IdleResult, echo: IdleResult) -> str:
    return (
        f"idle connections ({service.count}, after hello): {service.per_connection:.1f} KiB "
        f"each = {_ratio(service.per_connection, echo.per_connection)} {TIMES} echo "
        f"({echo.per_connection:.1f} KiB each); server RSS {service.before_kib / 1024:.1f} → "
        f"{service.after_kib / 1024:.1f} MiB, echo {echo.before_kib / 1024:.1f} → "
        f"{echo.after_kib / 1024:.1f} MiB"
    )


async def run(opts: Options, directory: Path, out: TextIO) -> None:
    def say(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    warmup = min(1.0, opts.seconds / 2)
    spawn = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as clients:

        async def measure(port: int, n: int) -> LoadResult:
            # The servers run in this process: its CPU time is theirs (the clients' is not).
            with CpuSampler() as cpu:
                result = await loop.run_in_executor(clients, drive, port, n, warmup, opts.seconds)
            result.cpu_seconds = cpu.between(result.start, result.end)
            result.arrival_cpu = cpu.between(
                result.arrival_start, result.arrival_start + result.arrival_seconds
            )
            return result

        for database in opts.databases:
            with contextlib.ExitStack() as stack:
                url = None
                if database == "postgresql":
                    from tests import pg

                    try:
                        url = stack.enter_context(pg.start_cluster("bench_webchat")).url
                    except pg.PostgresUnavailable as exc:
                        say(f"PostgreSQL: not measured ({exc})")
                        continue
                name = NAMES[database]
                sent = acks = 0
                # One service (app, database, delivery worker) and one echo for all levels.
                async with (
                    service_app(directory / database, url) as (app, store),
                    listening(app) as service_port,
                    listening(echo_app()) as echo_port,
                ):
                    # As `anlaufstelle serve` sets it once started (the echo shares the
                    # process, and so the collector), and undone after: a test may run this.
                    with collector.settled():
                        for n in opts.conversations:
                            echo = await measure(echo_port, n)
                            service = await measure(service_port, n)
                            sent += service.sent
                            acks += service.acks
                            say(throughput_line(service, echo, name))
                            say(arrival_line(service, echo, name))
                    # Every prompt arrived; wait until the worker removed them from the outbox.
                    await _outbox_drained(store)
                    counts = await store_counts(store)
                say(
                    f"service database ({name}): {counts.conversations} conversations, "
                    f"{counts.received} messages received ({sent} answers sent + "
                    f"{sum(opts.conversations)} starts at hello), {counts.lines} transcript "
                    f"lines, {counts.waiting} replies waiting in the outbox, {counts.cases} "
                    f"cases; {acks} acks seen"
                )
    if opts.idle:
        service_idle = await idle_service(directory / "serve", opts.idle)
        echo_idle = await idle_echo(opts.idle)
        say(idle_line(service_idle, echo_idle))


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parsed = parse_args(argv)
    if isinstance(parsed, int):
        return parsed
    opts = parsed
    most = max([*opts.conversations, opts.idle + IDLE_WARMUP])
    limit = raise_open_file_limit(2 * most + 256)
    if opts.conversations:
        measured = (
            f"{', '.join(map(str, opts.conversations))} concurrent conversations, "
            f"{opts.seconds:g} s each after a warm-up; the shipped intake, answered in a loop "
            f"of {len(CYCLE)} frames (11 answers, then restart); the per-connection flood "
            "limit lifted"
        )
    else:
        measured = f"{opts.idle} idle connections only"
    out.write(f"web chat over WebSockets on {HOST}: {measured}; {os.cpu_count()} CPUs; {limit}\n")
    out.flush()
    with contextlib.ExitStack() as stack:
        if opts.directory is None:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        else:
            directory = opts.directory
            directory.mkdir(parents=True, exist_ok=True)
        asyncio.run(run(opts, directory, out))
    return 0


if __name__ == "__main__":
    # Through the package, so the client process unpickles bench.webchat's classes by name.
    from bench import webchat

    sys.exit(webchat.main())
