"""The collector as `anlaufstelle serve` sets it after the start (bot/collector.py): the
objects of the start-up are left out of its passes, and cyclic garbage still goes, on a
quiet server within seconds.

Run in a fresh interpreter: freezing the test process's objects would keep every test's
garbage after it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CYCLE = """
import asyncio, gc, weakref
from bot import collector

class Node:
    pass

def cycle():
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)
"""


def _python(script: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CYCLE) + textwrap.dedent(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.slow
def test_after_the_start_the_collector_skips_what_lives_on_and_still_frees_cycles() -> None:
    assert (
        _python(
            """
            gc.collect()  # what follows stays below the default threshold: no pass comes round
            living = [Node() for _ in range(500)]
            garbage_of_the_start = cycle()
            collector.settle_after_start()

            assert garbage_of_the_start() is None, "the start-up's garbage was frozen"
            assert gc.get_freeze_count() >= 500, gc.get_freeze_count()
            assert gc.get_threshold()[0] == collector.YOUNG_THRESHOLD

            made_later = cycle()
            # No explicit collection: enough new objects start one on their own.
            filler = [[] for _ in range(collector.YOUNG_THRESHOLD + 1000)]
            assert made_later() is None, "a cycle made after the start was never collected"
            print("settled")
            """
        )
        == "settled"
    )


@pytest.mark.slow
def test_on_a_quiet_server_cyclic_garbage_goes_within_the_interval() -> None:
    assert (
        _python(
            """
            collector.settle_after_start()
            made = cycle()

            async def quiet_for_a_while():
                try:
                    await asyncio.wait_for(collector.collect_now_and_then(0.05), 0.5)
                except TimeoutError:
                    pass

            asyncio.run(quiet_for_a_while())
            assert made() is None, "a quiet server kept the cycle"
            print("collected")
            """
        )
        == "collected"
    )


@pytest.mark.slow
def test_a_benchmark_s_settling_is_undone_after_it() -> None:
    assert (
        _python(
            """
            before = gc.get_threshold()
            with collector.settled():
                assert gc.get_freeze_count() > 0
                assert gc.get_threshold()[0] == collector.YOUNG_THRESHOLD
            assert (gc.get_freeze_count(), gc.get_threshold()) == (0, before)
            print("undone")
            """
        )
        == "undone"
    )
