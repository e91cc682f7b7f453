"""CPU time spent inside a measured window, not over the whole run around it.

Connecting hundreds of clients makes each of them start a conversation (a full unit of work
with an ORM session per `hello`), and the warm-up comes before the window too: CPU time
taken over the whole run and divided by the round trips of the window made the service look
dearer the more clients there were. A sampler thread records (time, CPU seconds) pairs; the
window's share is read off them afterwards. `time.perf_counter` is CLOCK_MONOTONIC on Linux,
the same clock in every process, so the client process's window bounds apply here.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

INTERVAL = 0.02
"""Seconds between samples. With /proc's 10 ms ticks (another process's CPU) the window's
CPU is off by a few tens of milliseconds at most: 1 to 2 % of a window of a few seconds. A
sampler that wakes 50 times a second costs the measured process next to nothing."""


def process_cpu(pids: Sequence[int]) -> Callable[[], float]:
    """User + system CPU seconds of other processes so far (/proc/PID/stat)."""
    tick = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        total = 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / tick

    return read


class CpuSampler:
    """`with CpuSampler(read) as cpu: …; cpu.between(start, end)` (perf_counter bounds;
    Linux's perf_counter is CLOCK_MONOTONIC, one clock for every process)."""

    def __init__(self, read: Callable[[], float] = time.process_time) -> None:
        self._read = read
        self._times: list[float] = []
        self._cpu: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self.failed: str | None = None
        """Why sampling stopped early (a measured process ended, say); the figures are then
        NaN, never a silent undercount."""

    def _sample(self) -> None:
        try:
            cpu = self._read()
        except Exception as exc:
            self.failed = self.failed or f"{exc.__class__.__name__}: {exc}"
            self._stop.set()
            return
        self._times.append(time.perf_counter())
        self._cpu.append(cpu)

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL):
            self._sample()

    def __enter__(self) -> CpuSampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def between(self, start: float, end: float) -> float:
        """CPU seconds used from `start` to `end`; NaN unless the samples span that window
        (a sampler that failed, or bounds from a clock that is not this one)."""
        times = self._times
        if self.failed or not times or not times[0] <= start <= end <= times[-1]:
            return float("nan")
        return cpu_between(list(zip(times, self._cpu, strict=True)), start, end)


def cpu_at(samples: Sequence[tuple[float, float]], moment: float) -> float:
    """CPU seconds at `moment`, interpolated between the (time, CPU) samples around it."""
    i = bisect.bisect_left([t for t, _ in samples], moment)
    if i == 0:
        return samples[0][1]
    if i == len(samples):
        return samples[-1][1]
    (t0, c0), (t1, c1) = samples[i - 1], samples[i]
    share = (moment - t0) / (t1 - t0) if t1 > t0 else 1.0
    return c0 + share * (c1 - c0)


def cpu_between(samples: Sequence[tuple[float, float]], start: float, end: float) -> float:
    return max(0.0, cpu_at(samples, end) - cpu_at(samples, start))
