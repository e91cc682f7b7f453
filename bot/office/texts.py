"""What the person is told about office hours, in each language the service speaks.

Two texts: the expected response time at handover (the `response_time` setting, plus, while
the office is closed, when it opens again), and the short notice for a person who writes
while their case waits and the office is closed. A language without texts here falls back
to the flow's default language, then German.

Leichte Sprache (`ls`) keeps to DIN SPEC 33429: one statement per short sentence. Dates are
spelled out with the weekday, because "30.11." is easy to misread and people plan around it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

SENTENCE_END: Final = (".", "!", "?", "؟")


def _de_clock(at: datetime) -> str:
    return f"{at.hour}" if at.minute == 0 else f"{at.hour}:{at.minute:02d}"


def _en_clock(at: datetime) -> str:
    hour = at.hour % 12 or 12
    suffix = "am" if at.hour < 12 else "pm"
    return f"{hour} {suffix}" if at.minute == 0 else f"{hour}:{at.minute:02d} {suffix}"


def _ar_clock(at: datetime) -> str:
    return f"{at.hour}:{at.minute:02d}"


@dataclass(frozen=True)
class Wording:
    closed: str
    opens: str
    """Placeholders: {weekday}, {day}, {month}, {clock}."""
    write_anyway: str
    received: str
    weekdays: tuple[str, str, str, str, str, str, str]
    months: tuple[str, str, str, str, str, str, str, str, str, str, str, str]
    clock: Callable[[datetime], str]


_DE_WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
GERMAN_MONTHS = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)

WORDING: Final[Mapping[str, Wording]] = {
    "de": Wording(
        closed="Das Büro ist gerade geschlossen.",
        opens="Es ist wieder geöffnet am {weekday}, {day}. {month}, ab {clock} Uhr.",
        write_anyway=(
            "Sie können uns trotzdem schon schreiben: Ihre Nachrichten warten hier auf uns."
        ),
        received="Ihre Nachricht ist angekommen und wartet hier auf uns.",
        weekdays=_DE_WEEKDAYS,
        months=GERMAN_MONTHS,
        clock=_de_clock,
    ),
    "ls": Wording(
        closed="Das Büro ist jetzt zu.",
        opens="Das Büro ist wieder offen am {weekday}, {day}. {month}. Ab {clock} Uhr.",
        write_anyway="Sie können uns trotzdem schreiben. Ihre Nachrichten warten hier auf uns.",
        received="Ihre Nachricht ist bei uns angekommen. Die Nachricht wartet hier auf uns.",
        weekdays=_DE_WEEKDAYS,
        months=GERMAN_MONTHS,
        clock=_de_clock,
    ),
    "en": Wording(
        closed="The office is closed right now.",
        opens="It opens again on {weekday}, {day} {month}, at {clock}.",
        write_anyway="You can still write to us: your messages will wait here for us.",
        received="Your message has arrived and is waiting here for us.",
        weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        clock=_en_clock,
    ),
    "ar": Wording(
        closed="المكتب مغلق الآن.",
        opens="سيفتح المكتب مجددًا يوم {weekday}، {day} {month}، من الساعة {clock}.",
        write_anyway="يمكنك أن تكتب لنا الآن رغم ذلك: رسائلك تنتظرنا هنا.",
        received="وصلت رسالتك، وهي تنتظرنا هنا.",
        weekdays=("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
        months=(
            "يناير",
            "فبراير",
            "مارس",
            "أبريل",
            "مايو",
            "يونيو",
            "يوليو",
            "أغسطس",
            "سبتمبر",
            "أكتوبر",
            "نوفمبر",
            "ديسمبر",
        ),
        clock=_ar_clock,
    ),
}


def wording(language: str, default_language: str) -> Wording:
    return WORDING.get(language) or WORDING.get(default_language) or WORDING["de"]


def opens_again(language: str, default_language: str, opening: datetime | None) -> str:
    """ "Es ist wieder geöffnet am Montag, 30. November, ab 9 Uhr." ('' when unknown).

    `opening` must already be in the office's time zone (OfficeHours gives it so)."""
    if opening is None:
        return ""
    w = wording(language, default_language)
    return w.opens.format(
        weekday=w.weekdays[opening.weekday()],
        day=opening.day,
        month=w.months[opening.month - 1],
        clock=w.clock(opening),
    )


def closed_response_time(
    during: str, language: str, default_language: str, opening: datetime | None
) -> str:
    """The `{response_time}` of the handover text while the office is closed: `during` (the
    setting, what is said while it is open), then when it opens and that writing now is fine.

    The flow's sentence around the placeholder decides the final punctuation, and `during`
    shows which: the shipped German text ends without a full stop (the flow adds it), the
    Leichte Sprache one with one. The added sentences follow the same rule.
    """
    w = wording(language, default_language)
    added = " ".join(
        s for s in (w.closed, opens_again(language, default_language, opening), w.write_anyway) if s
    )
    if during.rstrip().endswith(SENTENCE_END):
        return f"{during.rstrip()} {added}"
    trimmed = added.removesuffix(".")
    return f"{during}. {trimmed}" if during.strip() else trimmed


def queued_notice(language: str, default_language: str, opening: datetime | None) -> str:
    """For a person who writes while their case waits and the office is closed."""
    w = wording(language, default_language)
    return " ".join(
        s for s in (w.received, w.closed, opens_again(language, default_language, opening)) if s
    )
