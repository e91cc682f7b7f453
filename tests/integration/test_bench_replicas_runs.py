"""The replicas benchmark runs end to end with tiny parameters on the suite's PostgreSQL:
two real service processes, clients on both, a reply crossing to a socket. No speed is
asserted anywhere."""

from __future__ import annotations

import re

import pytest

from bench import replicas, webchat

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

NUMBER = r"[\d.]+"


def test_the_benchmark_runs_two_replicas_and_prints_the_ratio(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = replicas.main(
        ["--conversations", "4", "--seconds", "2", "--replies", "3", "--url", postgres_url]
    )
    out = capsys.readouterr().out
    assert code == 0
    for label in ("1 replica ", "2 replicas"):
        assert re.search(
            rf"^{label}: \d+ round trips/s; p50 \d+ ms, p99 \d+ ms; replica CPU {NUMBER} ms "
            "per round trip$",
            out,
            re.MULTILINE,
        ), out
    for replicas_ in ("1 replica", "2 replicas"):
        # Against the bare echo measured in the same run, with the same clients.
        assert re.search(
            rf"^4 conversations on PostgreSQL, {replicas_}: \d+ round trips/s = (n/a|{NUMBER}) "
            rf"{webchat.TIMES} echo \(\d+/s\) in 2 s; p50 .* server CPU {NUMBER} ms per round "
            rf"trip = {NUMBER} {webchat.TIMES} echo",
            out,
            re.MULTILINE,
        ), out
    assert re.search(rf"^two/one: {NUMBER} {webchat.TIMES} round trips/s", out, re.MULTILINE)
    assert re.search(
        r"^reply written by another process, live on replica A's socket \(3 replies\): "
        r"p50 \d+ ms, p99 \d+ ms$",
        out,
        re.MULTILINE,
    ), out
