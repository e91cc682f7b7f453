# ruff: noqa: RUF002  # weekday ranges use the en dash, as printed
"""The office's weekly hours as a person reads them, in their language: weekday names from
CLDR (Babel), days with the same hours grouped ("Mo.–Do. 09:00–16:00")."""

from __future__ import annotations

from babel import Locale
from babel.dates import get_day_names

from bot.office.hours import OfficeHours, Span

LOCALES = {"ls": "de"}
"""Flow languages that are not CLDR locales: Leichte Sprache reads German day names."""


def weekly_hours(hours: OfficeHours, language: str) -> list[str]:
    """One line per run of weekdays with the same hours; closed days are left out."""
    locale = Locale.parse(LOCALES.get(language, language))
    # Leichte Sprache: whole words ("Montag bis Donnerstag"), no abbreviations.
    plain = language == "ls"
    names = get_day_names("wide" if plain else "abbreviated", locale=locale)
    lines: list[str] = []
    day = 0
    while day < 7:
        spans = hours.week[day]
        last = day
        while last + 1 < 7 and hours.week[last + 1] == spans:
            last += 1
        if spans:
            days = names[day] if last == day else _range(names[day], names[last], plain)
            lines.append(f"{days}: {', '.join(_span(s) for s in spans)}")
        day = last + 1
    return lines


def _range(first: str, last: str, plain: bool) -> str:
    return f"{first} bis {last}" if plain else f"{first}\N{EN DASH}{last}"


def _span(span: Span) -> str:
    return str(span).replace("-", "\N{EN DASH}")
