"""The conversation benchmark runs end to end with tiny parameters and really goes through the
service: the cases it reports exist in its database. No speed is asserted anywhere."""

from __future__ import annotations

import gc
import re
import sqlite3
from pathlib import Path

import pytest

from bench import conversation

RATIO = rf"\d+ msg/s = \d+\.\d\d {conversation.TIMES} baseline inserts \(\d+ commits/s\)"


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        (n,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
    return int(n)


def test_the_benchmark_goes_through_the_service_and_prints_ratios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    threshold = gc.get_threshold()
    code = conversation.main(
        ["--messages", "52", "--conversations", "2", "--handovers", "1", "--dir", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert code == 0
    # It measures with the collector set as `serve` sets it, and leaves this process's as it was.
    assert (gc.get_freeze_count(), gc.get_threshold()) == (0, threshold)

    assert re.search(r"^baseline inserts: \d+ commits/s", out, re.MULTILINE)
    for label in ("conversation service", "handover messages", "delivery worker"):
        assert re.search(rf"^{label}: {RATIO}", out, re.MULTILINE), label
    assert len(re.findall(r"handle\(\) latency: p50 [\d.]+ ms, p99 [\d.]+ ms", out)) == 2
    assert "KdfParams.fast()" in out

    # Warm-up: 2 people x 1 intake (13 messages each), then 1 handover (13 messages).
    # Each of 3 rounds: 52 messages = 2 people x 2 intakes, then 1 handover (13 messages).
    cases = (2 + 1) + 3 * (4 + 1)
    messages = (2 * 13 + 13) + 3 * (52 + 13)
    db = tmp_path / conversation.DB_FILE
    assert _count(db, "cases") == cases
    assert _count(db, "inbound_receipts") == messages
    assert _count(db, "bench_baseline") == 2 * 13 + 3 * 52
    assert _count(db, "outbox") == 0  # the delivery worker drained every reply
    assert f"{messages} messages handled, {cases} cases created" in out


def test_the_mixed_benchmark_reports_other_peoples_latency_with_and_without_handovers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = conversation.main(
        ["--mixed", "--messages", "38", "--conversations", "2", "--dir", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert code == 0

    assert "production parameters, KdfParams()" in out
    assert re.search(r"without handovers: p50 [\d.]+ ms, p99 [\d.]+ ms", out)
    assert re.search(r"with 1 handover per 20 messages \(2 per round\): p50 [\d.]+ ms", out)
    assert re.search(rf"with/without: p50 \d+\.\d\d {conversation.TIMES} .* p99 \d+\.\d\d", out)

    # Warm-up: 40 messages each way and 40 // 19 = 2 handovers; each of 3 rounds: 38 messages
    # each way and 2 handovers. Every handover person answered 12 questions before.
    cases = 2 + 3 * 2
    messages = 2 * 40 + 3 * 2 * 38 + cases * 13
    db = tmp_path / conversation.DB_FILE
    assert _count(db, "cases") == cases
    assert _count(db, "inbound_receipts") == messages
    assert f"{messages} messages handled, {cases} cases created" in out
