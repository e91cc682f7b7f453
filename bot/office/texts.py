"""What the person is told about office hours, in their language.

Two texts: the expected response time at handover (the `response_time` setting, plus, while
the office is closed, when it opens again), and the short notice for a person who writes
while their case waits and the office is closed. The sentences live in the catalog
(bot/i18n/sources/office.py, bot/i18n/po/); the date and time in them come from CLDR through
Babel in the language's own format ("Montag, 30. November", "Monday, November 30",
"الاثنين، 30 نوفمبر"): no month or weekday is written by hand. The weekday is spelled out
because "30.11." is easy to misread and people plan around it. A language the service does
not speak falls back to the flow's default language, then German.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Final

from babel import Locale
from babel.dates import format_date, format_time

from bot.i18n.catalog import UI
from bot.i18n.languages import cldr_locale, is_language

SENTENCE_END: Final = (".", "!", "?", "؟")
_SHORT_WEEKDAY: Final = re.compile(r"(?<![Ec])(E{1,3}|c{1,3})(?![Ec])")


def _language(language: str, default_language: str) -> str:
    if is_language(language):
        return language
    return default_language if is_language(default_language) else "de"


@cache
def _day_pattern(locale: str) -> str:
    """CLDR's pattern for weekday, day and month name, with the weekday spelled out."""
    pattern = str(Locale.parse(locale).datetime_skeletons["MMMMEd"].pattern)
    return _SHORT_WEEKDAY.sub("EEEE", pattern)


def day(at: datetime, language: str) -> str:
    """ "Montag, 30. November" in the language's own format."""
    locale = cldr_locale(language)
    return format_date(at, _day_pattern(locale), locale=locale)


def clock(at: datetime, language: str) -> str:
    """The time of day as the language writes it ("09:00", "9:00 AM")."""
    return format_time(at, "short", locale=cldr_locale(language))


def opens_again(language: str, default_language: str, opening: datetime | None) -> str:
    """ "Es ist wieder geöffnet am Montag, 30. November, ab 09:00 Uhr." ('' when unknown).

    `opening` must already be in the office's time zone (OfficeHours gives it so)."""
    if opening is None:
        return ""
    lang = _language(language, default_language)
    return UI.get(lang, "office.opens", date=day(opening, lang), time=clock(opening, lang))


def closed_response_time(
    during: str, language: str, default_language: str, opening: datetime | None
) -> str:
    """The `{response_time}` of the handover text while the office is closed: `during` (the
    setting, what is said while it is open), then when it opens and that writing now is fine.

    The flow's sentence around the placeholder decides the final punctuation, and `during`
    shows which: the shipped German text ends without a full stop (the flow adds it), the
    Leichte Sprache one with one. The added sentences follow the same rule.
    """
    lang = _language(language, default_language)
    added = " ".join(
        s
        for s in (
            UI.get(lang, "office.closed"),
            opens_again(lang, default_language, opening),
            UI.get(lang, "office.write_anyway"),
        )
        if s
    )
    if during.rstrip().endswith(SENTENCE_END):
        return f"{during.rstrip()} {added}"
    trimmed = added.removesuffix(".")
    return f"{during}. {trimmed}" if during.strip() else trimmed


def queued_notice(language: str, default_language: str, opening: datetime | None) -> str:
    """For a person who writes while their case waits and the office is closed."""
    lang = _language(language, default_language)
    return " ".join(
        s
        for s in (
            UI.get(lang, "office.received"),
            UI.get(lang, "office.closed"),
            opens_again(lang, default_language, opening),
        )
        if s
    )
