"""The web chat benchmark runs end to end with tiny parameters and really goes through the
service: every answer its clients sent is a receipt in its database, and every reply left the
outbox. No speed is asserted anywhere."""

from __future__ import annotations

import gc
import re
from pathlib import Path

import pytest

from bench import webchat

pytestmark = pytest.mark.slow

X = webchat.TIMES
NUMBER = r"[\d.]+"
MS = rf"{NUMBER} ms"


def test_the_benchmark_goes_through_the_service_and_prints_ratios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    threshold = gc.get_threshold()
    code = webchat.main(
        [
            *("--conversations", "3", "--seconds", "2", "--idle", "10"),
            *("--database", "sqlite", "postgresql", "--dir", str(tmp_path)),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    # It measures with the collector set as `serve` sets it, and leaves this process's as it was.
    assert (gc.get_freeze_count(), gc.get_threshold()) == (0, threshold)

    for database in ("SQLite", "PostgreSQL"):
        assert re.search(
            rf"^3 conversations on {database}: \d+ round trips/s = {NUMBER} {X} echo "
            rf"\(\d+/s\) in {NUMBER} s; p50 {MS} = {NUMBER} {X} echo p50 {MS}; "
            rf"p99 {MS} = {NUMBER} {X} echo p99 {MS}; "
            rf"server CPU {MS} per round trip = {NUMBER} {X} echo \({MS}\)$",
            out,
            re.MULTILINE,
        ), out
        # The rush of new people: each of them waited for a first question.
        assert re.search(
            rf"^3 people opening the chat on {database} \(50 at a time\): {NUMBER} first "
            rf"questions/s = {NUMBER} {X} echo \({NUMBER}/s\); first question p50 {MS} = "
            rf"{NUMBER} {X} echo {MS}; first question p99 {MS} = {NUMBER} {X} echo {MS}; "
            rf"server CPU {MS} per new chat$",
            out,
            re.MULTILINE,
        ), out
    assert re.search(
        rf"^idle connections \(10, after hello\): -?{NUMBER} KiB each = \S+ {X} echo "
        rf"\(-?{NUMBER} KiB each\); server RSS {NUMBER} → {NUMBER} MiB",
        out,
        re.MULTILINE,
    ), out

    # What the clients report against what the service stored, on each database.
    found = re.findall(
        r"^service database \((\w+)\): (\d+) conversations, (\d+) messages received "
        r"\((\d+) answers sent \+ (\d+) starts at hello\), (\d+) transcript lines, (\d+) "
        r"replies waiting in the outbox, (\d+) cases; (\d+) acks seen$",
        out,
        re.MULTILINE,
    )
    assert [f[0] for f in found] == ["SQLite", "PostgreSQL"], out
    for database, *numbers in found:
        conversations, received, sent, starts, lines, waiting, cases, acks = map(int, numbers)
        assert sent > 0, database
        assert (conversations, starts, waiting, cases) == (3, 3, 0, 0), database
        assert received == sent + starts == acks  # each answer was stored, and acknowledged
        assert lines >= 2 * received  # the person's line and at least one reply each
    received = int(found[0][2])

    counts = webchat.db_counts(tmp_path / "sqlite" / webchat.DB_FILE)
    assert (counts.conversations, counts.received, counts.waiting) == (3, received, 0)
    # The idle connections went through a real `anlaufstelle serve`: each started a chat.
    served = webchat.db_counts(tmp_path / "serve" / webchat.DB_FILE)
    assert served.conversations == webchat.IDLE_WARMUP + 10


def test_a_window_without_a_round_trip_says_so_instead_of_zero_or_nan() -> None:
    echo = webchat.LoadResult(50, 2.0, latencies=[0.001] * 100)
    slow = webchat.LoadResult(50, 2.0, latencies=[])
    line = webchat.throughput_line(slow, echo)
    assert "no round trip of the service completed in the 2 s window" in line
    assert "nan" not in line and " 0 round trips" not in line
    some = webchat.LoadResult(50, 2.0, latencies=[0.3] * 5)
    assert "round trips/s" in webchat.throughput_line(some, echo)


def test_conversations_zero_measures_only_the_idle_connections() -> None:
    opts = webchat.parse_args(["--conversations", "0", "--idle", "5"])
    assert isinstance(opts, webchat.Options)
    assert (opts.conversations, opts.databases, opts.idle) == ([], [], 5)
    with pytest.raises(SystemExit):  # nothing left to measure
        webchat.parse_args(["--conversations", "0", "--idle", "0"])
