"""Messages per second through the conversation service on SQLite, against plain inserts.

    .venv/bin/python -m bench.conversation [--messages N] [--conversations C]

Everything runs in one process on one SQLite file (WAL, synchronous=FULL and the other
pragmas exactly as `storage.db.Database` sets them):

- baseline: single-row inserts of a ~300-byte blob into a small (id, blob) table, one commit
  each, through the same async engine — what this disk and driver allow at most;
- conversation service: C people at once walk the shipped intake flow through
  `ConversationService.handle` (engine step, encryption, commit, outbox enqueue);
- handover messages: the last answer of an intake, which creates the case (key pair, seals,
  an Argon2id wrap of the case code, resealing the transcript), sent on their own;
- delivery worker: `DeliveryWorker` drains the outbox to a `MemoryChannel`.

With `--mixed` it measures one thing instead, always with the production Argon2id
parameters: how much handovers slow everyone else down. C people at once answer the intake's
questions short of its end (messages that never hand over), once on their own and once with
a handover (another person's last answer) mixed in after every 19 of their messages, i.e.
1 handover per 20 messages; printed are the other people's p50 and p99 with and without the
handovers, and their ratio within each round.

A warm-up round comes first; each figure is the median of three rounds, printed as a ratio to
the baseline. Nothing here asserts a speed: a benchmark reports, it never fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO, TypeVar

from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, insert

from bot import collector
from bot.channels.base import InboundMessage
from bot.channels.memory import MemoryChannel
from bot.clock import SystemClock
from bot.conversation.flows import SHIPPED_INTAKE, FlowCatalog, publish_files
from bot.conversation.service import ConversationService
from bot.delivery.worker import DeliveryWorker
from storage import meta, outbox, teams
from storage.crypto import KdfParams, ServerKey
from storage.db import Database
from storage.migrate import upgrade
from storage.store import Store

_T = TypeVar("_T")

CHANNEL = "memory"
DB_FILE = "bench.sqlite3"
ROUNDS = 3
BLOB_SIZE = 300
TIMES = "\N{MULTIPLICATION SIGN}"
INTAKE_LENGTH = 13
"""Messages a person sends to walk the shipped intake from /start to the handover."""

RESPONSE_TIME = {
    "de": "in der Regel innerhalb von zwei Werktagen",
    "ls": "meistens in 2 Tagen. Nicht am Wochenende.",
    "en": "usually within two working days",
}
LANGUAGES = ("de", "ls", "en")
LIFE_AREAS = (("work",), ("housing", "public_space"), ("education",), ("police", "other"))
MUNICIPALITIES = ("garbsen", "hannover", "laatzen", "wunstorf", "outside_region")
GROUNDS = (("racism", "language"), ("disability",), ("age", "gender"), ("religion_belief",))
ACCOUNTS = (
    "Bei der Wohnungsbesichtigung hieß es, an Ausländer vermieten wir nicht.",
    "Der Busfahrer hat mich vor allen anderen Fahrgästen beleidigt und nicht mitgenommen.",
    "In der Bewerbung wurde ich nach meinem Kopftuch gefragt und danach abgelehnt.",
    "The landlord said the flat was taken, but my friend got a viewing the next day.",
)
WISHES = (("information", "counselling"), ("complaint_support",), ("report_only",))
CONTACTS = ("anonymous_chat", "contact_later")
HEARD_OF = ("social_media", "internet", "friends_family", "no_answer")


def intake_messages(address: str, person: int) -> list[InboundMessage]:
    """One person's answers to the shipped intake, in dialog order, ending in the handover.

    Answers vary from person to person (language, branches taken, text length) so that the
    work is not one path repeated; every answer is valid, so each message moves the dialog on.
    """

    def pick(options: Sequence[_T]) -> _T:
        return options[person % len(options)]

    language = pick(LANGUAGES)
    ids = (f"{address}-{i}" for i in itertools.count())

    def msg(
        *,
        text: str | None = None,
        choice: str | None = None,
        choices: tuple[str, ...] | None = None,
    ) -> InboundMessage:
        return InboundMessage(
            CHANNEL, address, next(ids), text=text, choice=choice, choices=choices
        )

    return [
        InboundMessage(CHANNEL, address, next(ids), command="start", language=language),
        msg(choice=language),
        msg(choice="accept"),
        msg(choice="no"),  # not in danger
        msg(choice="this_week"),
        msg(choices=pick(LIFE_AREAS)),
        msg(choice=pick(MUNICIPALITIES)),
        msg(choices=pick(GROUNDS)),
        msg(text=pick(ACCOUNTS)),
        msg(choice="affected"),
        msg(choices=pick(WISHES)),
        msg(choice=pick(CONTACTS)),
        msg(choice=pick(HEARD_OF)),  # the handover
    ]


class ScriptOutOfStep(RuntimeError):
    """The answers above no longer lead through the shipped intake to a handover."""


# ---------------------------------------------------------------- measurements


@dataclass
class Round:
    """One timed round of one measurement."""

    count: int
    seconds: float
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("inf")


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100), at least 1
    return ordered[int(rank) - 1]


@dataclass
class Totals:
    """What the run put into the database, to check against it afterwards."""

    messages: int = 0
    cases: int = 0
    delivered: int = 0


class Bench:
    def __init__(self, store: Store, baseline: Table) -> None:
        self.store = store
        self.baseline = baseline
        self.channel = MemoryChannel(CHANNEL)
        self.service = ConversationService(
            store, FlowCatalog("intake"), response_time=RESPONSE_TIME, clock=SystemClock()
        )
        self.worker = DeliveryWorker(store, {CHANNEL: self.channel}, clock=SystemClock())
        self.people = itertools.count(1)
        self.totals = Totals()

    # -- baseline

    async def baseline_inserts(self, count: int) -> Round:
        blobs = [os.urandom(BLOB_SIZE) for _ in range(count)]
        engine = self.store.db.engine
        start = time.perf_counter()
        for blob in blobs:
            async with engine.begin() as conn:
                await conn.execute(insert(self.baseline).values(blob=blob))
        return Round(count, time.perf_counter() - start)

    # -- conversation service

    async def _send(self, msg: InboundMessage, latencies: list[float]) -> bool:
        """Handle one message; True when it handed the conversation over."""
        start = time.perf_counter()
        handled = await self.service.handle(msg)
        latencies.append(time.perf_counter() - start)
        if handled.status != "processed":
            raise ScriptOutOfStep(f"message {msg.client_message_id} was {handled.status}")
        self.totals.messages += 1
        if handled.case is not None:
            self.totals.cases += 1
        return handled.case is not None

    async def _walk(self, budget: int, latencies: list[float]) -> None:
        """One simulated person after another until `budget` messages were handled."""
        while budget > 0:
            person = next(self.people)
            script = intake_messages(f"person-{person}", person)[:budget]
            handed_over = False
            for msg in script:
                handed_over = await self._send(msg, latencies)
            budget -= len(script)
            if len(script) == INTAKE_LENGTH and not handed_over:
                raise ScriptOutOfStep(f"person {person} finished the intake without a handover")

    async def conversations(self, messages: int, people: int) -> Round:
        """`messages` handled by `people` concurrent walkers through the intake."""
        shares = [messages // people + (i < messages % people) for i in range(people)]
        latencies: list[list[float]] = [[] for _ in shares]
        start = time.perf_counter()
        await asyncio.gather(
            *(self._walk(share, lat) for share, lat in zip(shares, latencies, strict=True))
        )
        seconds = time.perf_counter() - start
        handled = [x for lat in latencies for x in lat]
        return Round(len(handled), seconds, handled)

    # -- handover messages on their own

    async def handovers(self, count: int, concurrency: int) -> Round:
        """`count` people brought to the last question (not timed), then their last answers."""
        finals = iter(await self.ready_for_handover(count, concurrency))
        latencies: list[float] = []

        async def finish() -> None:
            for msg in finals:
                if not await self._send(msg, latencies):
                    raise ScriptOutOfStep(f"{msg.client_message_id} did not hand over")

        start = time.perf_counter()
        await asyncio.gather(*(finish() for _ in range(concurrency)))
        return Round(count, time.perf_counter() - start, latencies)

    # -- handovers mixed into other people's messages

    async def _bot_phase(
        self, budget: int, latencies: list[float], progress: asyncio.Event
    ) -> None:
        """People answering the intake short of its last question (no message hands over)."""
        while budget > 0:
            person = next(self.people)
            for msg in intake_messages(f"person-{person}", person)[: INTAKE_LENGTH - 1][:budget]:
                if await self._send(msg, latencies):
                    raise ScriptOutOfStep(f"{msg.client_message_id} handed over")
                budget -= 1
                progress.set()

    async def ready_for_handover(self, count: int, concurrency: int) -> list[InboundMessage]:
        """`count` people brought to the last question (not timed): their last answers."""
        scripts = []
        for _ in range(count):
            person = next(self.people)
            scripts.append(intake_messages(f"person-{person}", person))
        pending = iter(scripts)
        untimed: list[float] = []

        async def prepare() -> None:
            for script in pending:  # shared iterator: each script is taken by one task
                for msg in script[:-1]:
                    await self._send(msg, untimed)

        await asyncio.gather(*(prepare() for _ in range(concurrency)))
        return [script[-1] for script in scripts]

    async def mixed(
        self, messages: int, people: int, finals: Sequence[InboundMessage], every: int
    ) -> tuple[Round, Round]:
        """`messages` from `people` walkers in the bot phase, and one of `finals` sent after
        every `every - 1` of them (not waited for by the walkers). Returns the walkers' round
        and the handovers' round."""
        shares = [messages // people + (i < messages % people) for i in range(people)]
        latencies: list[list[float]] = [[] for _ in shares]
        handover_latencies: list[float] = []
        progress = asyncio.Event()

        def done() -> int:
            return sum(len(lat) for lat in latencies)

        async def hand_over(msg: InboundMessage) -> None:
            if not await self._send(msg, handover_latencies):
                raise ScriptOutOfStep(f"{msg.client_message_id} did not hand over")

        async def inject() -> None:
            sent: list[asyncio.Task[None]] = []
            for k, msg in enumerate(finals, start=1):
                while done() < k * (every - 1):
                    progress.clear()
                    await progress.wait()
                sent.append(asyncio.create_task(hand_over(msg)))
            await asyncio.gather(*sent)

        start = time.perf_counter()
        walkers = asyncio.gather(
            *(
                self._bot_phase(share, lat, progress)
                for share, lat in zip(shares, latencies, strict=True)
            )
        )
        await asyncio.gather(walkers, inject())
        seconds = time.perf_counter() - start
        others = [x for lat in latencies for x in lat]
        return (
            Round(len(others), seconds, others),
            Round(len(finals), seconds, handover_latencies),
        )

    # -- delivery

    async def delivery(self) -> Round:
        """Drain the whole outbox to the memory channel."""
        async with self.store.tx() as tx:
            waiting = await outbox.pending(tx)
        delivered = 0
        start = time.perf_counter()
        while sent := await self.worker.run_once():
            delivered += sent
        seconds = time.perf_counter() - start
        if delivered != waiting or len(self.channel.sent) != waiting:
            raise RuntimeError(f"delivered {delivered} of {waiting} waiting replies")
        self.channel.sent.clear()
        self.totals.delivered += delivered
        return Round(delivered, seconds)


@dataclass
class Results:
    baseline: list[Round] = field(default_factory=list)
    conversations: list[Round] = field(default_factory=list)
    handovers: list[Round] = field(default_factory=list)
    delivery: list[Round] = field(default_factory=list)


@dataclass
class MixedResults:
    alone: list[Round] = field(default_factory=list)
    """Other people's messages without handovers."""
    mixed: list[Round] = field(default_factory=list)
    """The same people's messages with 1 handover per `HANDOVER_EVERY` messages."""
    handovers: list[Round] = field(default_factory=list)


HANDOVER_EVERY = 20
"""One handover per this many messages in the mixed run."""


async def mixed_round(bench: Bench, messages: int, people: int) -> MixedResults:
    r = MixedResults()
    finals = await bench.ready_for_handover(messages // (HANDOVER_EVERY - 1), people)
    alone, _ = await bench.mixed(messages, people, (), HANDOVER_EVERY)
    mixed, handovers = await bench.mixed(messages, people, finals, HANDOVER_EVERY)
    r.alone.append(alone)
    r.mixed.append(mixed)
    r.handovers.append(handovers)
    await bench.delivery()  # the outbox back to empty, as a running worker keeps it
    return r


async def one_round(bench: Bench, messages: int, people: int, handovers: int) -> Results:
    r = Results()
    r.baseline.append(await bench.baseline_inserts(messages))
    r.conversations.append(await bench.conversations(messages, people))
    r.handovers.append(await bench.handovers(handovers, people))
    r.delivery.append(await bench.delivery())
    return r


# ---------------------------------------------------------------- setup and report


@dataclass(frozen=True)
class Options:
    messages: int
    conversations: int
    handovers: int
    production_kdf: bool
    directory: Path | None
    mixed: bool = False


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.conversation",
        description="Messages per second through the conversation service on SQLite, "
        "as ratios to plain single-row inserts measured in the same run.",
    )
    parser.add_argument(
        "--messages",
        type=int,
        default=390,
        help="messages handled per round, and baseline inserts per round (default 390 = 30 "
        "intakes)",
    )
    parser.add_argument(
        "--conversations",
        type=int,
        default=6,
        help="people talking to the service at once (default 6)",
    )
    parser.add_argument(
        "--handovers",
        type=int,
        default=12,
        help="handover messages timed on their own per round (default 12)",
    )
    parser.add_argument(
        "--production-kdf",
        action="store_true",
        help="Argon2id with the production parameters (t=3, 64 MiB) instead of the fast "
        "test parameters; makes handovers far slower",
    )
    parser.add_argument(
        "--mixed",
        action="store_true",
        help="instead: other people's latency with and without a handover per "
        f"{HANDOVER_EVERY} messages, always with the production Argon2id parameters",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="put the SQLite file here and keep it (default: a temporary directory, removed)",
    )
    args = parser.parse_args(argv)
    for name in ("messages", "conversations", "handovers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return Options(
        args.messages,
        args.conversations,
        args.handovers,
        args.production_kdf or args.mixed,
        args.dir,
        args.mixed,
    )


def filesystem_of(path: Path) -> str:
    """The file system type the database lives on (fsync on tmpfs costs nothing)."""
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return "unknown file system"
    best, kind = "", "unknown file system"
    target = str(path.resolve())
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1]
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, parts[2]
    return kind


def describe_kdf(kdf: KdfParams, production: bool) -> str:
    cost = f"Argon2id t={kdf.time_cost}, m={kdf.memory_cost_kib} KiB, p={kdf.parallelism}"
    if production:
        return f"production parameters, KdfParams() ({cost})"
    return f"FAST TEST parameters, KdfParams.fast() ({cost}); --production-kdf for the real ones"


async def open_store(path: Path, kdf: KdfParams) -> tuple[Store, Table]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db)
    store = Store(db, ServerKey.generate(), kdf, clock=SystemClock())
    async with store.tx() as tx:
        await meta.check_server_key(tx)
        await teams.create_team(tx, "region", "Region Hannover")  # the intake's only team
    await publish_files(store, [SHIPPED_INTAKE])
    store.codes.refill(kdf)  # as the app does at start (bot/app.py `_code_pool`)
    # The baseline table sits in the same file, written through the same engine.
    metadata = MetaData()
    baseline = Table(
        "bench_baseline",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("blob", LargeBinary, nullable=False),
    )
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return store, baseline


SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


async def pragmas(db: Database) -> str:
    """The settings in force on the engine's connections, as storage.db configured them."""
    async with db.engine.connect() as conn:
        journal = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
        sync = (await conn.exec_driver_sql("PRAGMA synchronous")).scalar()
        secure = (await conn.exec_driver_sql("PRAGMA secure_delete")).scalar()
    return (
        f"journal_mode={journal}, synchronous={SYNCHRONOUS.get(int(sync or 0), sync)}, "
        f"secure_delete={'ON' if secure else 'OFF'}"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def report(results: Results, opts: Options, out: TextIO) -> None:
    base = statistics.median(r.rate for r in results.baseline)

    def ratio_line(label: str, rounds: list[Round], unit: str = "msg/s") -> str:
        rate = statistics.median(r.rate for r in rounds)
        each = " / ".join(f"{r.rate:.0f}" for r in rounds)
        return (
            f"{label}: {rate:.0f} {unit} = {rate / base:.2f} {TIMES} baseline inserts "
            f"({base:.0f} commits/s)   [rounds: {each}]"
        )

    def latency_line(rounds: list[Round], what: str) -> str:
        p50 = statistics.median(percentile(r.latencies, 50) for r in rounds)
        p99 = statistics.median(percentile(r.latencies, 99) for r in rounds)
        n = len(rounds[0].latencies)
        return f"  handle() latency: p50 {_ms(p50)}, p99 {_ms(p99)} ({what}, {n} per round)"

    each = " / ".join(f"{r.rate:.0f}" for r in results.baseline)
    out.write(
        f"baseline inserts: {base:.0f} commits/s (one {BLOB_SIZE}-byte row per commit)"
        f"   [rounds: {each}]\n"
    )
    out.write(ratio_line("conversation service", results.conversations) + "\n")
    out.write(
        latency_line(results.conversations, f"all messages, {opts.conversations} people at once")
        + "\n"
    )
    out.write(ratio_line("handover messages", results.handovers) + "\n")
    out.write(
        latency_line(results.handovers, f"handover messages only, {opts.conversations} at once")
        + "\n"
    )
    out.write(ratio_line("delivery worker", results.delivery) + "\n")
    delivered = statistics.median(r.count for r in results.delivery)
    out.write(f"  (outbox drained to a MemoryChannel: {delivered:.0f} replies per round)\n")


def report_mixed(results: MixedResults, opts: Options, out: TextIO) -> None:
    def p(rounds: list[Round], q: float) -> float:
        return statistics.median(percentile(r.latencies, q) for r in rounds)

    def each(q: float) -> str:
        return " / ".join(
            f"{percentile(m.latencies, q) / percentile(a.latencies, q):.2f}"
            for a, m in zip(results.alone, results.mixed, strict=True)
        )

    def ratio(q: float) -> float:
        return statistics.median(
            percentile(m.latencies, q) / percentile(a.latencies, q)
            for a, m in zip(results.alone, results.mixed, strict=True)
        )

    n = len(results.alone[0].latencies)
    h = len(results.handovers[0].latencies)
    out.write(
        f"other people's messages, {opts.conversations} at once, {n} per round\n"
        f"  without handovers: p50 {_ms(p(results.alone, 50))}, "
        f"p99 {_ms(p(results.alone, 99))}\n"
        f"  with 1 handover per {HANDOVER_EVERY} messages ({h} per round): "
        f"p50 {_ms(p(results.mixed, 50))}, p99 {_ms(p(results.mixed, 99))}\n"
        f"  with/without: p50 {ratio(50):.2f} {TIMES}   [rounds: {each(50)}], "
        f"p99 {ratio(99):.2f} {TIMES}   [rounds: {each(99)}]\n"
        f"  the handover messages themselves: p50 {_ms(p(results.handovers, 50))}, "
        f"p99 {_ms(p(results.handovers, 99))}\n"
    )


async def run_mixed(opts: Options, bench: Bench, out: TextIO) -> None:
    out.write(
        f"workload: {opts.conversations} people at once answering the shipped intake short of "
        f"its end, {opts.messages} messages per round, alone and then with one handover "
        f"per {HANDOVER_EVERY} messages; warm-up, then the median of {ROUNDS} rounds\n"
    )
    out.flush()
    warm = HANDOVER_EVERY * opts.conversations
    await mixed_round(bench, warm, opts.conversations)
    results = MixedResults()
    for _ in range(ROUNDS):
        r = await mixed_round(bench, opts.messages, opts.conversations)
        results.alone += r.alone
        results.mixed += r.mixed
        results.handovers += r.handovers
    report_mixed(results, opts, out)


async def run(opts: Options, directory: Path, out: TextIO) -> Totals:
    kdf = KdfParams() if opts.production_kdf else KdfParams.fast()
    path = directory / DB_FILE
    store, baseline = await open_store(path, kdf)
    try:
        out.write(
            f"database: {path} ({filesystem_of(directory)}), SQLite {sqlite3.sqlite_version}, "
            f"as storage.db sets it up: {await pragmas(store.db)}\n"
            f"KDF: {describe_kdf(kdf, opts.production_kdf)}\n"
        )
        bench = Bench(store, baseline)
        # As `anlaufstelle serve` sets it once started, and undone after: a test may run this.
        with collector.settled():
            return await _measured(opts, bench, out)
    finally:
        await store.codes.close()
        await store.db.dispose()


async def _measured(opts: Options, bench: Bench, out: TextIO) -> Totals:
    if opts.mixed:
        await run_mixed(opts, bench, out)
        out.write(
            f"in total: {bench.totals.messages} messages handled, {bench.totals.cases} "
            "cases created (warm-up included)\n"
        )
        return bench.totals
    out.write(
        f"workload: {opts.conversations} people at once walking the shipped intake "
        f"({INTAKE_LENGTH} messages each), {opts.messages} messages per round, "
        f"{opts.handovers} separate handovers; warm-up, then the median of {ROUNDS} rounds\n"
    )
    out.flush()
    # Warm-up, not reported: each person walks the intake once, and one handover.
    await one_round(bench, INTAKE_LENGTH * opts.conversations, opts.conversations, 1)
    results = Results()
    for _ in range(ROUNDS):
        r = await one_round(bench, opts.messages, opts.conversations, opts.handovers)
        results.baseline += r.baseline
        results.conversations += r.conversations
        results.handovers += r.handovers
        results.delivery += r.delivery
    report(results, opts, out)
    out.write(
        f"in total: {bench.totals.messages} messages handled, {bench.totals.cases} cases "
        f"created, {bench.totals.delivered} replies delivered (warm-up included)\n"
    )
    return bench.totals


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    out = sys.stdout
    started = time.perf_counter()
    if opts.directory is not None:
        opts.directory.mkdir(parents=True, exist_ok=True)
        asyncio.run(run(opts, opts.directory, out))
    else:
        with tempfile.TemporaryDirectory(prefix="anlaufstelle-bench-") as tmp:
            asyncio.run(run(opts, Path(tmp), out))
    out.write(f"run took {time.perf_counter() - started:.1f} s\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
