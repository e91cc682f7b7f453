from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.conversation.handover import add_months, by_priority, deadline_days_left
from storage.records import QueueEntry

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def entry(
    case_id: int, *, crisis: bool = False, incident: date | None = None, waited_h: int = 1
) -> QueueEntry:
    return QueueEntry(
        case_id,
        "region",
        "waiting",
        "webchat",
        "de",
        crisis,
        incident,
        NOW - timedelta(hours=waited_h),
        None,
    )


def test_two_months_are_calendar_months_clamped_to_the_month_end() -> None:
    assert add_months(date(2026, 3, 15), 2) == date(2026, 5, 15)
    assert add_months(date(2025, 12, 31), 2) == date(2026, 2, 28)
    assert add_months(date(2023, 12, 31), 2) == date(2024, 2, 29)
    assert add_months(date(2026, 11, 30), 2) == date(2027, 1, 30)


def test_days_left_until_the_agg_deadline() -> None:
    assert deadline_days_left(date(2026, 11, 20), NOW.date()) == 56
    assert deadline_days_left(date(2026, 9, 25), NOW.date()) == 0
    assert deadline_days_left(date(2026, 9, 24), NOW.date()) is None  # passed
    assert deadline_days_left(None, NOW.date()) is None


def test_crisis_first_then_the_nearest_deadline_then_the_longest_wait() -> None:
    old_wait = entry(1, waited_h=50)
    near_deadline = entry(2, incident=date(2026, 9, 30))
    far_deadline = entry(3, incident=date(2026, 11, 24))
    crisis = entry(4, crisis=True)
    newer_wait = entry(5, waited_h=2)
    ordered = by_priority([newer_wait, far_deadline, old_wait, crisis, near_deadline], NOW)
    assert [e.case_id for e in ordered] == [4, 2, 3, 1, 5]
