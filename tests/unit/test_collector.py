"""The collector as `anlaufstelle serve` sets it after the start (bot/collector.py): the
objects of the start-up are left out of its passes, and nothing becomes a leak by it.

Run in a fresh interpreter: freezing the test process's objects would keep every test's
garbage after it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import gc, weakref
    from bot.collector import YOUNG_THRESHOLD, settle_after_start

    class Node:
        pass

    def cycle():
        a, b = Node(), Node()
        a.other, b.other = b, a
        return weakref.ref(a)

    gc.collect()  # what follows stays below the default threshold: no pass comes round
    living = [Node() for _ in range(500)]
    one_of_them = weakref.ref(living[0])
    garbage_of_the_start = cycle()
    settle_after_start()

    assert garbage_of_the_start() is None, "the start-up's garbage was frozen"
    assert gc.get_freeze_count() >= 500, gc.get_freeze_count()
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD

    del living
    assert one_of_them() is None, "a frozen object outlived its last reference"

    made_later = cycle()
    # No explicit collection: enough new objects start one on their own.
    filler = [[] for _ in range(YOUNG_THRESHOLD + 1000)]
    assert made_later() is None, "a cycle made after the start was never collected"
    print("settled")
    """
)


@pytest.mark.slow
def test_after_the_start_the_collector_skips_what_lives_on_and_still_frees_cycles() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "settled"
