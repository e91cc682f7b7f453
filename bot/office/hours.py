"""When the office is open: weekly hours, public holidays and the office's own closing days.

Pure: every function is given `now` (an aware datetime); nothing here reads a clock, so the
conversation service's clock decides and tests can pin it. Opening hours are wall-clock times
in the office's time zone, so "09:00" stays nine o'clock across the change to and from summer
time; comparisons are made in UTC, where the hour that repeats in October is unambiguous.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Final

from bot.office.holidays import Region, public_holidays

WEEKDAYS: Final[tuple[str, ...]] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
MAX_CLOSED_DAYS: Final = 366
"""Longest closing range accepted: longer is almost surely a typo (2026 for 2062), and it keeps
the search for the next opening short."""
SEARCH_DAYS: Final = MAX_CLOSED_DAYS + 2 * 7
"""How far `next_opening` and `closed_since` look: past the longest closing range, plus a
week on either side for the weekly hours to come round."""

_SPAN = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, order=True)
class Span:
    """One opening period of a day in minutes after midnight, from `start` up to (not
    including) `end`; `end` may be 24 * 60, so "00:00-24:00" is open all day."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_span(text: str) -> Span:
    """ "09:00-13:00" → Span; the error says what a valid value looks like."""
    match = _SPAN.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a time range like '09:00-13:00'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if m1 > 59 or m2 > 59 or h1 > 23 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise ValueError(f"{text!r} has a time that does not exist (00:00 to 24:00)")
    span = Span(h1 * 60 + m1, h2 * 60 + m2)
    if span.start >= span.end:
        raise ValueError(f"{text!r} ends before it starts (a day's hours cannot pass midnight)")
    return span


def parse_day(values: Sequence[str]) -> tuple[Span, ...]:
    """A weekday's opening periods, sorted; overlapping periods are an error (a typo, usually)."""
    spans = sorted(parse_span(v) for v in values)
    for before, after in itertools.pairwise(spans):
        if after.start < before.end:
            raise ValueError(f"'{before}' and '{after}' overlap")
    return tuple(spans)


def parse_closed(text: str) -> tuple[date, date]:
    """ "2026-12-24" or "2026-12-24..2027-01-01" (both days closed) → (first, last)."""
    parts = text.strip().split("..")
    if len(parts) > 2:
        raise ValueError(
            f"{text!r} is not a date like '2026-12-24' or a range '2026-12-24..2027-01-01'"
        )
    days = []
    for part in parts:
        part = part.strip()
        try:
            if not _DATE.fullmatch(part):
                raise ValueError
            days.append(date.fromisoformat(part))
        except ValueError:
            where = f"{text!r}: " if len(parts) > 1 else ""
            raise ValueError(
                f"{where}{part!r} is not a date like '2026-12-24' (year-month-day)"
            ) from None
    first, last = days[0], days[-1]
    if last < first:
        raise ValueError(f"{text!r} ends before it starts")
    if (last - first).days >= MAX_CLOSED_DAYS:
        raise ValueError(f"{text!r} is longer than a year; is a year mistyped?")
    return first, last


_DAYS_KEPT: Final = 2 * SEARCH_DAYS
"""Days whose periods an `OfficeHours` keeps: a search for the next opening and one for the
last closing, both at their longest."""


class OfficeHours:
    """The office's opening times; all answers are about the moment passed in."""

    def __init__(
        self,
        week: Mapping[int, Sequence[Span]],
        zone: tzinfo,
        *,
        public: Region = "niedersachsen",
        closed: Sequence[tuple[date, date]] = (),
    ) -> None:
        """`week`: opening periods by weekday (0 = Monday; missing = closed all day)."""
        self.week = {day: tuple(sorted(week.get(day, ()))) for day in range(7)}
        if not any(self.week.values()):
            raise ValueError("the office needs opening hours on at least one weekday")
        self.zone = zone
        self.public: Region = public
        self.closed = tuple(closed)
        self._periods: dict[date, tuple[tuple[datetime, datetime], ...]] = {}
        """`periods` by day, worked out once: the bot asks at every message whether the
        office is open (holidays, time zone arithmetic: ~18 µs each time)."""

    def holiday(self, day: date) -> bool:
        """A public holiday or one of the office's own closing days."""
        if day in public_holidays(self.public, day.year):
            return True
        return any(first <= day <= last for first, last in self.closed)

    def periods(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The opening periods of `day` (the office's calendar day) as UTC moments."""
        found = self._periods.get(day)
        if found is None:
            found = (
                ()
                if self.holiday(day)
                else tuple(
                    (self._moment(day, span.start), self._moment(day, span.end))
                    for span in self.week[day.weekday()]
                )
            )
            if len(self._periods) >= _DAYS_KEPT:
                self._periods.clear()
            self._periods[day] = found
        return found

    def is_open(self, now: datetime) -> bool:
        instant = _utc(now)
        return any(start <= instant < end for start, end in self.periods(self._day(now)))

    def next_opening(self, now: datetime) -> datetime | None:
        """The first moment from `now` on when the office is open, in the office's time zone:
        `now` itself while it is open. None only if it stays closed for the whole search."""
        instant = _utc(now)
        today = self._day(now)
        for offset in range(SEARCH_DAYS):
            for start, end in self.periods(today + timedelta(days=offset)):
                if end > instant:
                    return max(start, instant).astimezone(self.zone)
        return None

    def closed_since(self, now: datetime) -> datetime | None:
        """When the current closed period began (the end of the last opening period), in the
        office's time zone; None while the office is open."""
        instant = _utc(now)
        today = self._day(now)
        for offset in range(SEARCH_DAYS):
            for start, end in reversed(self.periods(today - timedelta(days=offset))):
                if start <= instant < end:
                    return None
                if end <= instant:
                    return end.astimezone(self.zone)
        return (instant - timedelta(days=SEARCH_DAYS)).astimezone(self.zone)

    def _day(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()

    def _moment(self, day: date, minutes: int) -> datetime:
        # Aware arithmetic within one tzinfo is wall-clock arithmetic: midnight + 9 h is
        # 09:00 on the day's clock even when the night had 23 or 25 hours.
        midnight = datetime.combine(day, time(0), tzinfo=self.zone)
        return (midnight + timedelta(minutes=minutes)).astimezone(UTC)


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("naive datetime given; pass an aware one (the service's clock is UTC)")
    return now.astimezone(UTC)
