"""Statutory public holidays, computed per year rather than listed.

A list in the settings would run out one January and nobody would notice until the bot told
people the office opens on New Year's Day. Niedersachsen's holidays (Niedersächsisches
Gesetz über die Feiertage, §2) are fixed dates plus Easter-dependent ones, so a few lines of
arithmetic cover every year. We compute them here instead of depending on the `holidays`
package: ten stable rules do not justify a dependency that changes its data with every
release, and the tests check the dates against the published calendars.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import Final, Literal

Region = Literal["niedersachsen", "none"]
REGIONS: Final[tuple[Region, ...]] = ("niedersachsen", "none")


def easter_sunday(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous "Meeus/Jones/Butcher" computus)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day + 1)


@cache
def public_holidays(region: Region, year: int) -> dict[date, str]:
    """The statutory holidays of `region` in `year`, each with its German name."""
    if region == "none":
        return {}
    easter = easter_sunday(year)
    days = {
        date(year, 1, 1): "Neujahr",
        easter - timedelta(days=2): "Karfreitag",
        easter + timedelta(days=1): "Ostermontag",
        date(year, 5, 1): "Tag der Arbeit",
        easter + timedelta(days=39): "Christi Himmelfahrt",
        easter + timedelta(days=50): "Pfingstmontag",
        date(year, 10, 3): "Tag der Deutschen Einheit",
        date(year, 12, 25): "1. Weihnachtstag",
        date(year, 12, 26): "2. Weihnachtstag",
    }
    if year >= 2017:  # 2017 nationwide (500 years of the Reformation); yearly since 2018
        days[date(year, 10, 31)] = "Reformationstag"
    return days
