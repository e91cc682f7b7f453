"""Who is typing in which case, for a few seconds: the live chat's typing indicator.

In memory only and per process: a typing hint is worth nothing a few seconds later, so losing
it on a restart is harmless. With several replicas a counsellor sees the hint only when the
person's socket and the counsellor's page meet on the same replica (documented limitation).
Measured on the monotonic clock: a hint lives seconds, whatever the wall clock does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

SHOWN_FOR: Final = 6.0
"""Seconds one typing signal counts; clients repeat it every few seconds while typing."""


class TypingBoard:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._until: dict[int, float] = {}
        self._clock = clock

    def person_typing(self, case_id: int) -> None:
        now = self._clock()
        self._until[case_id] = now + SHOWN_FOR
        if len(self._until) > 1000:
            for old in [c for c, until in self._until.items() if until <= now]:
                del self._until[old]

    def is_person_typing(self, case_id: int) -> bool:
        until = self._until.get(case_id)
        return until is not None and until > self._clock()

    def stopped(self, case_id: int) -> None:
        """The person's message arrived: the hint ends with it."""
        self._until.pop(case_id, None)
