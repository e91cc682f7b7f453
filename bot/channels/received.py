"""When a messenger tells a person that their message to the waiting case arrived.

The web chat shows "Ihr Fall wartet …" as a status line and ticks; Telegram and Signal have
neither, and without a word a person cannot tell whether anyone reads. Told once, they know
it for the lines they go on writing: five lines in a row get one notice, not five (which
would read like a machine talking over them). Someone who comes back later while the case
still waits (after lunch, the next morning) wonders again, so after `PAUSE_SECONDS` the
next message is told again. Nothing while a counsellor has the case (they answer
themselves), nothing when the service's own reply said it (the closed-office notice).

In this process only, like the adapters' other memory: a restart or another replica costs
at most one notice more.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Final

from bot.clock import Clock

PAUSE_SECONDS: Final = 30 * 60.0
REMEMBERED: Final = 10_000
"""People whose last notice is remembered (the least recently told go first)."""


class ReceivedNotices:
    def __init__(self, clock: Clock, size: int = REMEMBERED) -> None:
        self.clock = clock
        self._told: OrderedDict[str, float] = OrderedDict()
        self._size = size

    def due(self, address: str, handled: Any) -> bool:
        """Whether to tell the person at `address` now that `handled` (the service's outcome
        of their message; None when it was refused for now) arrived for their case."""
        if handled is None or not getattr(handled, "waits", False):
            return False
        now = self.clock.monotonic()
        last = self._told.pop(address, None)
        if getattr(handled, "told_received", False) or last is None or now - last >= PAUSE_SECONDS:
            self._told[address] = now
            while len(self._told) > self._size:
                self._told.popitem(last=False)
            return not getattr(handled, "told_received", False)
        self._told[address] = last
        return False

    def forget(self, address: str) -> None:
        self._told.pop(address, None)
