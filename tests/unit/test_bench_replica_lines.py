"""bench.replicas never prints a latency of "nan ms" (issue 16: a benchmark says when it
measured nothing)."""

from __future__ import annotations

import pytest

from bench.replicas import load_line, parse_args, reply_line
from bench.webchat import LoadResult


def test_a_window_without_a_round_trip_says_so() -> None:
    line = load_line("2 replicas", LoadResult(concurrency=4, seconds=0.5, sent=4))
    assert line == (
        "2 replicas: no round trip completed in the 0.5 s window (measure longer: --seconds)"
    )
    assert "nan" not in line


def test_a_window_with_round_trips_gives_rate_and_latencies() -> None:
    result = LoadResult(concurrency=4, seconds=2.0, latencies=[0.010, 0.020, 0.030, 0.040])
    result.start, result.end, result.cpu_seconds = 0.0, 2.0, 0.004
    assert load_line("1 replica ", result) == (
        "1 replica : 2 round trips/s; p50 20 ms, p99 40 ms; replica CPU 1.0 ms per round trip"
    )


def test_replies_not_asked_for_are_not_measured_rather_than_nan() -> None:
    assert reply_line([], 0).endswith(": not measured (--replies 0)")
    assert reply_line([0.015, 0.025], 2).endswith("(2 replies): p50 15 ms, p99 25 ms")


def test_counts_that_cannot_be_measured_are_refused_with_a_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv, said in (
        (["--conversations", "1"], "--conversations: at least 2"),
        (["--seconds", "0"], "--seconds: more than 0"),
        (["--replies", "-1"], "--replies: 0 or more"),
    ):
        with pytest.raises(SystemExit) as stopped:
            parse_args(argv)
        assert stopped.value.code == 2
        assert said in capsys.readouterr().err
