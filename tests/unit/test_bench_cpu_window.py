"""The benchmarks' CPU per round trip counts only the measured window: what the server spent
while hundreds of clients connected (each a new conversation) must not be charged to the
round trips that came after."""

from __future__ import annotations

import math
import time

import pytest

from bench.cpu_window import CpuSampler, cpu_between

# (time, CPU seconds so far): a costly start (5 s of CPU in the first second), then 1 s of
# CPU per 2 s.
SAMPLES = [(0.0, 0.0), (1.0, 5.0), (3.0, 6.0), (5.0, 7.0)]


def test_the_cpu_before_the_window_is_left_out() -> None:
    assert cpu_between(SAMPLES, 1.0, 5.0) == pytest.approx(2.0)
    assert cpu_between(SAMPLES, 0.0, 5.0) == pytest.approx(7.0)


def test_bounds_between_samples_are_interpolated_and_clamped_to_the_sampled_span() -> None:
    assert cpu_between(SAMPLES, 2.0, 4.0) == pytest.approx(1.0)
    assert cpu_between(SAMPLES, 0.5, 1.0) == pytest.approx(2.5)
    assert cpu_between(SAMPLES, -3.0, 9.0) == pytest.approx(7.0)


def test_the_sampler_spans_its_block_and_nothing_before_it() -> None:
    readings = iter(range(1000))
    with CpuSampler(lambda: float(next(readings))) as cpu:
        inside = time.perf_counter()
    assert cpu.failed is None
    assert cpu.between(inside, inside) == 0.0
    assert math.isnan(cpu.between(inside - 3600, inside))  # before the first sample


def test_a_sampler_that_cannot_read_gives_no_figure_rather_than_too_small_a_one() -> None:
    readings = iter([0.0])  # the measured process ends after the first reading

    with CpuSampler(lambda: next(readings)) as cpu:
        inside = time.perf_counter()
    assert cpu.failed is not None and "StopIteration" in cpu.failed
    assert math.isnan(cpu.between(inside, inside))
