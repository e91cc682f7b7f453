"""Rasa action requests per second through our mounted route, against rasa-sdk's own server.

    .venv/bin/python -m bench.rasa_actions [--requests N] [--concurrency C]

Both servers run as their own processes on loopback, started by this run:

- baseline: rasa-sdk's own server (`python -m rasa_sdk --actions bench.rasa_trivial`)
  answering `action_trivial`, which returns no events: the wire, JSON and rasa-sdk's
  executor and nothing else;
- mounted route: `anlaufstelle serve` with `[rasa] actions_enabled`, answering
  `action_anlaufstelle_crisis` (token check, body checks, the published flow read from the
  database, the crisis text) and `validate_intake_form` for `grounds` (the same plus a step
  of our dialog engine).

Every request is a full Rasa 3.x action call with tracker events and the example project's
domain (tests/rasa_wire.py), sent by C concurrent clients over keep-alive connections. A
warm-up comes first; each figure is the median of three rounds, printed as a ratio to the
baseline. Nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import aiohttp

from bot.cli.bootstrap import open_store
from bot.conversation.flows import SHIPPED_INTAKE, publish_files
from bot.settings import Settings
from tests.rasa_wire import action_call
from tests.serve import free_port

ROUNDS = 3
TOKEN = "bench-rasa-action-token-0123456789"  # noqa: S105  # a throwaway server's token
TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass(frozen=True)
class Options:
    requests: int
    concurrency: int


@dataclass
class Process:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANLAUFSTELLE_")}
    env.update(
        ANLAUFSTELLE_DATA_DIR=str(data_dir),
        ANLAUFSTELLE_KDF_MEMORY_KIB="1024",
        ANLAUFSTELLE_KDF_TIME_COST="1",
        ANLAUFSTELLE_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def _start(cmd: list[str], env: dict[str, str], url: str, health: str, log: Path) -> Process:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    running = Process(proc, url, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + health, timeout=2) as resp:  # noqa: S310
                if resp.status == 200:
                    return running
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    running.stop()
    raise RuntimeError(f"{cmd[0]} did not start:\n{log.read_text(errors='replace')}")


def start_baseline(directory: Path) -> Process:
    port = free_port()
    # SANIC_HOST: rasa-sdk would listen on every interface otherwise.
    env = {**os.environ, "SANIC_HOST": "127.0.0.1"}
    cmd = [sys.executable, "-m", "rasa_sdk", "--actions", "bench.rasa_trivial", "--port", str(port)]
    return _start(cmd, env, f"http://127.0.0.1:{port}", "/health", directory / "rasa_sdk.log")


def start_service(directory: Path) -> Process:
    port = free_port()
    env = _env(
        directory,
        ANLAUFSTELLE_PORT=str(port),
        ANLAUFSTELLE_RASA__ACTIONS_ENABLED="true",
        ANLAUFSTELLE_RASA__ACTION_TOKEN=TOKEN,
    )
    exe = str(Path(sys.executable).with_name("anlaufstelle"))
    return _start(
        [exe, "serve"], env, f"http://127.0.0.1:{port}", "/healthz", directory / "serve.log"
    )


async def prepare(directory: Path) -> None:
    settings = Settings(data_dir=directory, kdf_memory_kib=1024, kdf_time_cost=1)
    store, _ = await open_store(settings, create=True)
    try:
        await publish_files(store, [SHIPPED_INTAKE])
    finally:
        await store.db.dispose()


@dataclass(frozen=True)
class Target:
    label: str
    url: str
    body: bytes
    expect: int = 200


def targets(baseline: Process, service: Process) -> list[Target]:
    def body(action: str, **kwargs: object) -> bytes:
        return json.dumps(action_call(action, **kwargs)).encode()  # type: ignore[arg-type]

    mounted = f"{service.url}/rasa/webhook?token={TOKEN}"
    return [
        Target(
            "rasa-sdk server, trivial action", f"{baseline.url}/webhook", body("action_trivial")
        ),
        Target("mounted route, crisis action", mounted, body("action_anlaufstelle_crisis")),
        Target(
            "mounted route, form validation",
            mounted,
            body(
                "validate_intake_form",
                candidates={"grounds": ["racism", "age"]},
                requested_slot="grounds",
                active_loop="intake_form",
            ),
        ),
    ]


async def measure(
    http: aiohttp.ClientSession, target: Target, requests: int, concurrency: int
) -> float:
    """Requests per second for `requests` calls from `concurrency` clients at once."""
    pending = iter(range(requests))
    headers = {"Content-Type": "application/json"}

    async def client() -> None:
        for _ in pending:  # shared iterator: each request is sent once
            async with http.post(target.url, data=target.body, headers=headers) as resp:
                await resp.read()
                if resp.status != target.expect:
                    raise RuntimeError(f"{target.label}: HTTP {resp.status}")

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return requests / (time.perf_counter() - start)


async def run(opts: Options, directory: Path, out: TextIO) -> dict[str, list[float]]:
    await prepare(directory)
    baseline = start_baseline(directory)
    try:
        service = start_service(directory)
        try:
            chosen = targets(baseline, service)
            sizes = [len(t.body) for t in chosen]
            out.write(
                f"workload: {opts.requests} action calls per round and target, "
                f"{opts.concurrency} clients at once, bodies of {min(sizes)}-{max(sizes)} bytes "
                f"(Rasa 3.x format with domain); warm-up, then the median of {ROUNDS} rounds\n"
            )
            out.flush()
            rates: dict[str, list[float]] = {t.label: [] for t in chosen}
            async with aiohttp.ClientSession() as http:
                for t in chosen:  # warm-up
                    await measure(http, t, max(10, opts.requests // 5), opts.concurrency)
                for _ in range(ROUNDS):
                    for t in chosen:  # interleaved, so drift hits every target alike
                        rates[t.label].append(
                            await measure(http, t, opts.requests, opts.concurrency)
                        )
        finally:
            service.stop()
    finally:
        baseline.stop()
    report(rates, out)
    return rates


def report(rates: dict[str, list[float]], out: TextIO) -> None:
    labels = list(rates)
    base = statistics.median(rates[labels[0]])
    for label in labels:
        rate = statistics.median(rates[label])
        each = " / ".join(f"{r:.0f}" for r in rates[label])
        out.write(
            f"{label}: {rate:.0f} req/s = {rate / base:.2f} {TIMES} rasa-sdk trivial"
            f"   [rounds: {each}]\n"
        )


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.rasa_actions",
        description="Rasa action calls per second through our mounted route, as ratios to "
        "rasa-sdk's own server answering a trivial action in the same run.",
    )
    parser.add_argument("--requests", type=int, default=400, help="per round and target")
    parser.add_argument("--concurrency", type=int, default=8, help="clients at once")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1:
        parser.error("--requests and --concurrency must be at least 1")
    return Options(args.requests, args.concurrency)


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="anlaufstelle-bench-rasa-") as tmp:
        asyncio.run(run(opts, Path(tmp), sys.stdout))
    sys.stdout.write(f"run took {time.perf_counter() - started:.1f} s\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
