"""bot.channels.received: a messenger tells a person whose case waits that their message
arrived: once for a run of lines, again after half an hour, never while a counsellor has the
case, never twice when the closed-office notice said it."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.channels.received import ReceivedNotices
from bot.clock import ManualClock
from bot.conversation.units import Handled

WAITING = Handled("processed", 1, "queued", waits=True)
CLAIMED = Handled("processed", 1, "counsellor")
TOLD = Handled("processed", 1, "queued", waits=True, told_received=True)


def test_once_for_a_run_of_lines_and_again_after_half_an_hour() -> None:
    clock = ManualClock(datetime(2026, 3, 2, 22, 0, tzinfo=UTC))
    notices = ReceivedNotices(clock)
    assert notices.due("a", WAITING)
    clock.advance(minutes=5)
    assert not notices.due("a", WAITING)
    assert notices.due("b", WAITING)  # another person is told for themselves
    clock.advance(minutes=29)
    assert notices.due("a", WAITING)  # back after lunch: told again


def test_not_while_a_counsellor_has_the_case_nor_after_the_closed_office_notice() -> None:
    clock = ManualClock(datetime(2026, 3, 2, 22, 0, tzinfo=UTC))
    notices = ReceivedNotices(clock)
    assert not notices.due("a", CLAIMED)
    assert not notices.due("a", None)  # refused for now: nothing arrived
    assert not notices.due("a", TOLD)  # the service's notice said it
    clock.advance(minutes=10)
    assert not notices.due("a", WAITING)  # and counts as told
    notices.forget("a")  # the person deleted everything
    assert notices.due("a", WAITING)
