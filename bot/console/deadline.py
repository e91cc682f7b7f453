"""The AGG claim deadline as the counsellor reads it: four distinct states, each explained.

One dash used to stand for both "not an AGG area" and "date unknown"; a counsellor must
tell them apart, because only the second calls for asking the person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from bot.conversation.handover import AGG_DEADLINE_MONTHS, add_months

AGG_AREAS = frozenset({"work", "housing", "goods_services"})
"""Life areas (choice ids of the shipped intake) where AGG §15(4) / §21(5) apply."""

State = Literal["open", "unknown", "expired", "not_agg"]
SOON_DAYS = 14
"""A running deadline with this many days left or fewer stands out in the queue: two weeks
are what a claim letter, an appointment and the person's own decision need."""


@dataclass(frozen=True)
class Deadline:
    state: State
    text: str
    hint: str
    days_left: int | None = None
    """Set only while the deadline runs: what the queue orders by."""

    @property
    def soon(self) -> bool:
        return self.days_left is not None and self.days_left <= SOON_DAYS


def _days(n: int) -> str:
    return f"{n} Tag" if n == 1 else f"{n} Tage"


def agg_area(answers: dict[str, Any]) -> bool | None:
    """Whether the life areas the person named fall under the AGG; None when not asked."""
    areas = answers.get("life_area")
    if areas is None:
        return None
    chosen: Iterable[Any] = areas if isinstance(areas, list) else [areas]
    return any(str(a) in AGG_AREAS for a in chosen)


def deadline(incident: date | None, today: date, in_agg_area: bool | None = None) -> Deadline:
    """The state of the two-month deadline on `today` (a day in the office time zone)."""
    if in_agg_area is False:
        return Deadline(
            "not_agg",
            "kein AGG-Bereich",
            "Der genannte Lebensbereich fällt nicht unter das AGG; es läuft keine Frist.",
        )
    if incident is None:
        return Deadline(
            "unknown",
            "Datum unbekannt",
            "Die Person hat kein Datum genannt; bitte erfragen, die Frist kann laufen.",
        )
    end = add_months(incident, AGG_DEADLINE_MONTHS)
    left = (end - today).days
    if left >= 0:
        soon = "Die Frist endet bald. " if left <= SOON_DAYS else ""
        return Deadline(
            "open",
            f"noch {_days(left)}",
            f"{soon}Ansprüche nach dem AGG bis {end.strftime('%d.%m.%Y')} geltend machen.",
            left,
        )
    ago = -left
    return Deadline(
        "expired",
        f"abgelaufen seit {ago} {'Tag' if ago == 1 else 'Tagen'}",
        f"Die Zwei-Monats-Frist endete am {end.strftime('%d.%m.%Y')}.",
    )
