"""Web chat round trips through one and through two replicas on the same PostgreSQL.

    .venv/bin/python -m bench.replicas [--conversations 50] [--seconds 10] [--replies 40]
                                       [--url postgresql+asyncpg://…]

Two real `anlaufstelle serve` processes share one database (a throwaway PostgreSQL cluster
started for the run unless `--url` names a server to make a database on) and one server
key. The clients run in a second process and walk the shipped intake in a loop exactly as
`bench.webchat` does (the per-connection flood limit lifted): first all of them on replica A
alone, then half on A and half on B. Printed: round trips per second and latency for each,
the ratio two/one, and the CPU time of the replica processes per round trip (user + system,
from /proc, inside the measured window only), the figure that carries to a machine with
more cores; on a 2-core machine the ratio is bounded by the cores that client, replicas
and PostgreSQL share. Both phases are also printed as bench.webchat prints them, as ratios
to a bare aiohttp WebSocket echo measured first in the same run with the same clients
(issue 16's targets are stated so).

Then the cross-replica reply latency: one person on replica A finishes the intake, a
counsellor claims the case, and this process writes counsellor replies into the database
(as the console on any replica would, with the outbox signal); whichever replica's worker
delivers, the reply must reach the socket on A. p50 and p99 over `--replies` replies.

Nothing here asserts a speed: a benchmark reports, it never fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import aiohttp

from bench.cpu_window import CpuSampler, process_cpu
from bench.webchat import (
    CONNECT_AT_ONCE,
    HOST,
    TIMES,
    Client,
    LoadResult,
    echo_app,
    listening,
    percentile,
    raise_open_file_limit,
    throughput_line,
)
from tests.serve import Server

INTAKE_TO_HANDOVER: tuple[dict[str, Any], ...] = (
    {"type": "answer", "choice": "de"},
    {"type": "answer", "choice": "accept"},
    {"type": "answer", "choice": "no"},
    {"type": "answer", "choice": "this_week"},
    {"type": "answer", "choices": ["housing"]},
    {"type": "answer", "choice": "garbsen"},
    {"type": "answer", "choices": ["racism"]},
    {"type": "text", "text": "Die Wohnung war plötzlich vergeben."},
    {"type": "answer", "choice": "affected"},
    {"type": "answer", "choices": ["counselling"]},
    {"type": "answer", "choice": "anonymous_chat"},
    {"type": "answer", "choice": "internet"},
)
"""The shipped intake from the language question to the handover (bench.webchat's cycle
stops one answer short of it)."""


@dataclass(frozen=True)
class Options:
    conversations: int
    seconds: float
    replies: int
    url: str | None


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas")
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--replies", type=int, default=40)
    parser.add_argument("--url", help="a PostgreSQL server to create the database on")
    args = parser.parse_args(argv)
    if args.conversations < 2:  # half of them on each replica
        parser.error("--conversations: at least 2")
    if not args.seconds > 0:
        parser.error("--seconds: more than 0")
    if args.replies < 0:
        parser.error("--replies: 0 or more")
    return Options(args.conversations, args.seconds, args.replies, args.url)


# ---------------------------------------------------------------- clients (second process)


async def _drive(ports: list[int], count: int, warmup: float, seconds: float) -> LoadResult:
    result = LoadResult(count, seconds)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        gate = asyncio.Semaphore(CONNECT_AT_ONCE)

        async def connect(i: int) -> Client:
            port = ports[i % len(ports)]  # no sticky sessions: any replica will do
            async with gate:
                ws = await session.ws_connect(
                    f"http://{HOST}:{port}/chat/ws", headers={"Origin": f"http://{HOST}:{port}"}
                )
                client = Client(ws, i)
                await client.hello()
                return client

        clients = list(await asyncio.gather(*(connect(i) for i in range(count))))
        start = time.perf_counter() + warmup
        end = start + seconds
        result.start, result.end = start, end

        async def loop(client: Client) -> None:
            while time.perf_counter() < end:
                latency = await client.round_trip()
                if start <= time.perf_counter() <= end:
                    result.latencies.append(latency)

        try:
            await asyncio.gather(*(loop(c) for c in clients))
        finally:
            await asyncio.gather(*(c.ws.close() for c in clients), return_exceptions=True)
        result.sent = sum(c.sent for c in clients)
        result.acks = sum(c.acks for c in clients)
    return result


def drive(ports: list[int], count: int, warmup: float, seconds: float) -> LoadResult:
    return asyncio.run(_drive(ports, count, warmup, seconds))


# ---------------------------------------------------------------- measuring


def _pids(servers: Sequence[Server]) -> list[int]:
    return [s.proc.pid for s in servers if s.proc is not None]


async def measure(
    pool: ProcessPoolExecutor, servers: Sequence[Server], count: int, seconds: float
) -> LoadResult:
    """Round trips through `servers`, with the replicas' CPU seconds in the window (all of
    them, /proc)."""
    loop = asyncio.get_running_loop()
    ports = [s.port for s in servers]
    with CpuSampler(process_cpu(_pids(servers))) as cpu:
        result = await loop.run_in_executor(pool, drive, ports, count, 1.0, seconds)
    result.cpu_seconds = cpu.between(result.start, result.end)
    return result


async def measure_echo(pool: ProcessPoolExecutor, count: int, seconds: float) -> LoadResult:
    """The same clients against bench.webchat's bare aiohttp echo, served by this process
    (its CPU time is the echo's: the clients run in the pool's process)."""
    loop = asyncio.get_running_loop()
    async with listening(echo_app()) as port:
        with CpuSampler() as cpu:
            result = await loop.run_in_executor(pool, drive, [port], count, 1.0, seconds)
        result.cpu_seconds = cpu.between(result.start, result.end)
    return result


async def reply_latencies(a: Server, url: str, key: Path, replies: int) -> list[float]:
    """A person on replica A, replies written into the database by a third party."""
    from bot.clock import SystemClock
    from bot.conversation.flows import FlowCatalog
    from bot.conversation.service import ConversationService
    from storage import cases, teams
    from storage.crypto import KdfParams, ServerKey
    from storage.db import Database
    from storage.store import Store

    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{a.url}/chat/ws", headers={"Origin": a.url}) as ws,
    ):

        async def until(check: Any) -> dict[str, Any]:
            while True:
                frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.receive_str(), 30))
                if check(frame):
                    return frame

        def prompt(f: dict[str, Any]) -> bool:
            return f.get("type") == "message" and f.get("kind") == "prompt"

        await ws.send_json({"type": "hello", "session": None, "language": "de"})
        await until(prompt)
        for i, frame in enumerate(INTAKE_TO_HANDOVER):
            await ws.send_json({"id": f"i{i}", **frame})
            if i < len(INTAKE_TO_HANDOVER) - 1:
                await until(prompt)
        await until(lambda f: bool(f.get("case_code")) or "{case_code}" in str(f.get("text")))

        store = Store(Database(url), ServerKey.load(key), KdfParams.fast(), clock=SystemClock())
        try:
            password = secrets.token_urlsafe(16)
            made = await teams.new_password(password, store.kdf)
            async with store.tx() as tx:
                keys = await teams.unlock_with_recovery_key(tx, "region", a.recovery_key())
                await teams.add_counsellor(
                    tx, "bench", made, role="counsellor", teams={"region": keys}
                )
            async with store.tx() as tx:
                (entry,) = await cases.queue(tx)
                me = await teams.unlock(tx, "bench", password)
                assert me is not None
                assert await cases.claim(tx, entry.case_id, me.counsellor_id)
            service = ConversationService(
                store, FlowCatalog("intake"), response_time={}, clock=SystemClock()
            )
            latencies = []
            for n in range(replies):
                words = f"Antwort {n}"
                start = time.perf_counter()
                await service.counsellor_reply(entry.case_id, me.counsellor_id, words)
                await until(lambda f, w=words: f.get("text") == w)
                latencies.append(time.perf_counter() - start)
                await asyncio.sleep(0.05)
            return latencies
        finally:
            await store.db.dispose()


# ---------------------------------------------------------------- the run


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _cpu_ms(seconds: float) -> str:
    return "n/a ms" if seconds != seconds else f"{seconds * 1000:.1f} ms"  # NaN: not measured


def load_line(label: str, result: LoadResult) -> str:
    if not result.latencies:
        # Never "0 round trips/s" or "nan ms": the window was shorter than one round trip.
        return (
            f"{label}: no round trip completed in the {result.seconds:g} s window "
            "(measure longer: --seconds)"
        )
    return (
        f"{label}: {result.rate:.0f} round trips/s; p50 {_ms(percentile(result.latencies, 50))}, "
        f"p99 {_ms(percentile(result.latencies, 99))}; replica CPU "
        f"{_cpu_ms(result.cpu_per_round_trip)} per round trip"
    )


def reply_line(latencies: Sequence[float], asked: int) -> str:
    where = "reply written by another process, live on replica A's socket"
    if not latencies:
        return f"{where}: not measured (--replies {asked})"
    return (
        f"{where} ({len(latencies)} replies): p50 {_ms(percentile(latencies, 50))}, "
        f"p99 {_ms(percentile(latencies, 99))}"
    )


async def run(opts: Options, directory: Path, url: str, out: TextIO) -> None:
    def say(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    from storage.crypto import ServerKey

    key = directory / "server.key"
    ServerKey.generate().save(key)
    env = {
        "ANLAUFSTELLE_DATABASE_URL": url,
        "ANLAUFSTELLE_SERVER_KEY_FILE": str(key),
        "ANLAUFSTELLE_WEBCHAT__FRAMES_BURST": "1000000000",
        "ANLAUFSTELLE_WEBCHAT__FRAMES_PER_SECOND": "1000000000",
        "ANLAUFSTELLE_WEBCHAT__MAX_SOCKETS_PER_CLIENT": "1000000",
        "ANLAUFSTELLE_WEBCHAT__MAX_SOCKETS": "1000000",
        "ANLAUFSTELLE_LOG_LEVEL": "WARNING",
    }
    servers = []
    for name in ("a", "b"):
        (directory / name).mkdir(mode=0o700)
        servers.append(Server(directory / name, **env))
    a, b = servers
    try:
        await a.astart()
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            echo = await measure_echo(pool, opts.conversations, opts.seconds)
            one = await measure(pool, [a], opts.conversations, opts.seconds)
            say(load_line("1 replica ", one))
            await b.astart()  # B starts only now: the first figure is A's alone
            two = await measure(pool, [a, b], opts.conversations, opts.seconds)
            say(load_line("2 replicas", two))
            # Against the bare echo at the same concurrency, as bench.webchat prints it: the
            # replicas' CPU is that of both processes.
            say(throughput_line(one, echo, "PostgreSQL, 1 replica"))
            say(throughput_line(two, echo, "PostgreSQL, 2 replicas"))
        say(
            f"two/one: {two.rate / max(one.rate, 1e-9):.2f} {TIMES} round trips/s "
            f"({os.cpu_count()} CPUs shared by clients, both replicas and PostgreSQL)"
        )
        latencies = await reply_latencies(a, url, key, opts.replies)
        say(reply_line(latencies, opts.replies))
    finally:
        a.stop()
        b.stop()


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    opts = parse_args(argv)
    limit = raise_open_file_limit(2 * opts.conversations + 256)
    out.write(
        f"web chat through one and two replicas on PostgreSQL: {opts.conversations} concurrent "
        f"conversations, {opts.seconds:g} s each after a warm-up; {limit}\n"
    )
    out.flush()
    from tests import pg

    cluster = None
    server_url = opts.url
    if server_url is None:
        cluster = pg.start_cluster()
        server_url = cluster.url
    try:
        name = f"bench_replicas_{secrets.token_hex(4)}"
        url = pg.run_sync(pg.create_database(server_url, name))
        try:
            with tempfile.TemporaryDirectory(prefix="bench-replicas-") as tmp:
                asyncio.run(run(opts, Path(tmp), url, out))
        finally:
            pg.run_sync(pg.drop_database(url))
    finally:
        if cluster is not None:
            cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
