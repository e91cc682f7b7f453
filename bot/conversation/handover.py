"""Cases in the team queue: their priority, and claiming, releasing and closing them.

Priority, most urgent first: a person in danger; then the fewest days left before the
two-month AGG deadline (§15(4), §21(5)); then the longest wait. A case whose deadline has
passed or is unknown is ordered by waiting time alone.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any

from storage.records import QueueEntry

AGG_DEADLINE_MONTHS = 2


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Dec + 2 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def deadline_days_left(incident: date | None, today: date) -> int | None:
    """Days until the AGG claim deadline; None when the date is unknown or it has passed."""
    if incident is None:
        return None
    left = (add_months(incident, AGG_DEADLINE_MONTHS) - today).days
    return left if left >= 0 else None


def priority_key(entry: QueueEntry, now: datetime) -> tuple[int, int, datetime]:
    days = deadline_days_left(entry.incident_date, now.date())
    return (0 if entry.crisis else 1, days if days is not None else 10_000, entry.waiting_since)


STAT_ANSWERS = ("municipality", "grounds", "life_area", "wishes", "reporter", "heard_of", "source")
"""Intake answers (store keys of the shipped intake) that feed the anonymous statistics."""


def closing_facts(
    entry: QueueEntry, answers: dict[str, Any], documented: dict[str, list[str]]
) -> dict[str, list[str]]:
    """What a closed case adds to the statistics: categories only, never free text.

    The counsellor's documentation (re-coded grounds, life area, form, intervention, outcome)
    takes precedence over the person's intake answer of the same name; where the counsellor
    recorded nothing for a category, the person's own answer counts.
    """
    facts: dict[str, list[str]] = {
        "cases": ["closed"],
        "channel": [entry.channel],
        "language": [entry.language],
        "team": [entry.team_id],
        "crisis": ["yes" if entry.crisis else "no"],
    }
    for key in STAT_ANSWERS:
        value = answers.get(key)
        if isinstance(value, str):
            facts[key] = [value]
        elif isinstance(value, list):
            facts[key] = [v for v in value if isinstance(v, str)]
    for key, values in documented.items():
        if values:
            facts[key] = list(values)
    return facts


def by_priority(entries: list[QueueEntry], now: datetime) -> list[QueueEntry]:
    return sorted(entries, key=lambda e: priority_key(e, now))
