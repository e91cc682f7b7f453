"""The one clock of the service.

Every part that needs the time (the conversation service, the delivery worker, the sweeper,
office hours, alerts, retention, rate limits, console sessions, TOTP windows, statistics
periods) is handed the same `Clock`, built by the app factory and shared with the store. This
module is the only place that reads the machine's clocks (a test greps for it), so a test can
run the whole service at any date by handing in a `ManualClock`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Calling it gives the current time (aware, UTC); `monotonic()` measures intervals."""

    def __call__(self) -> datetime: ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (rate limits, typing hints)."""
        ...


class SystemClock:
    """The machine's clocks: wall time in UTC and the monotonic clock."""

    def __call__(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that stands still until moved: for tests, simulations and replays.

    Its monotonic time follows its wall time, so moving it ahead refills rate limits and
    expires typing hints as the same span of real time would.
    """

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware one")
        self.now = now.astimezone(UTC)
        self._start = self.now

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return (self.now - self._start).total_seconds()

    def set(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware one")
        self.now = now.astimezone(UTC)

    def advance(self, **kwargs: float) -> None:
        """Move ahead by a timedelta's worth (`advance(hours=2)`)."""
        self.now += timedelta(**kwargs)
