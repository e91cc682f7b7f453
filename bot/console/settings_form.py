"""The office settings page's forms: posted fields to values and back, and the validators'
English messages in German, each tied to the field it is about.

The values are checked by bot.office.config.validated (the settings file's own pydantic
models); this module only turns form text into the shapes those models take and their
complaints into sentences an admin in the office can act on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from pydantic import ValidationError

from bot.office.config import Effective, SettingKey
from bot.office.hours import WEEKDAYS

Form = Mapping[str, Sequence[str]]
Fields = dict[str, str]
"""Form field name → the text shown in it."""

WEEKDAY_NAMES: Final = dict(
    zip(
        WEEKDAYS,
        ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
        strict=True,
    )
)
REGIONS: Final = {
    "niedersachsen": "Niedersachsen",
    "none": "Keine gesetzlichen Feiertage",
}
WEEK_ERROR: Final = "week"
"""The error about the week as a whole (no opening hours at all): shown on the fieldset."""

_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")
_GERMAN: Final[tuple[tuple[str, str], ...]] = (
    # (a fragment of the English message, the German sentence; {0}, {1}: quoted values)
    ("is not a time range like", "„{0}“ ist keine Zeitspanne wie 09:00-13:00."),
    (
        "has a time that does not exist",
        "„{0}“ enthält eine Uhrzeit, die es nicht gibt (00:00 bis 24:00).",
    ),
    (
        "cannot pass midnight",
        "„{0}“ endet, bevor es beginnt; Öffnungszeiten gehen nicht über Mitternacht.",
    ),
    ("overlap", "„{0}“ und „{1}“ überschneiden sich."),
    ("longer than a year", "„{0}“ ist länger als ein Jahr. Ist eine Jahreszahl vertippt?"),
    # "'a..b': 'b' is not a date like '2026-12-24'": the culprit is the one before the example.
    ("is not a date like", "„{culprit}“ ist kein Datum wie 2026-12-24 (Jahr-Monat-Tag)."),
    ("ends before it starts", "„{0}“ endet, bevor er beginnt."),
    (
        "at least one weekday",
        "Die Beratungsstelle braucht an mindestens einem Wochentag Öffnungszeiten.",
    ),
    (
        "is not an origin like",
        "„{0}“ ist keine Adresse wie https://www.example.org (Schema und Rechnername, "
        "eventuell mit :Port, ohne Pfad).",
    ),
)
_BY_TYPE: Final = {
    "int_parsing": "Bitte eine ganze Zahl angeben, zum Beispiel 90.",
    "int_from_float": "Bitte eine ganze Zahl angeben, zum Beispiel 90.",
    "greater_than_equal": "Die Zahl darf nicht kleiner als 0 sein.",
    "literal_error": "Bitte eine der angebotenen Möglichkeiten wählen.",
}
_FALLBACK: Final = "Dieser Wert ist ungültig."


def _one(form: Form, key: str) -> str:
    values = form.get(key, [])
    return values[0] if len(values) == 1 else ""


def _lines(text: str) -> list[tuple[int, str]]:
    """Non-empty lines with their 1-based line numbers (for "Zeile 3: …")."""
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def fields_of(effective: Effective) -> Fields:
    """The forms filled with the values in force."""
    hours = effective.office_hours
    fields: Fields = {day: ", ".join(getattr(hours, day)) for day in WEEKDAYS}
    fields["public_holidays"] = hours.public_holidays
    fields["extra_holidays"] = "\n".join(hours.extra_holidays)
    fields["allowed_origins"] = "\n".join(effective.allowed_origins)
    fields["retention_days"] = str(effective.retention_days)
    return fields


def posted(key: SettingKey, form: Form) -> tuple[Any, Fields]:
    """(the value to validate, the admin's input to show again if it is refused)."""
    if key == "office_hours":
        typed: Fields = {day: _one(form, day) for day in WEEKDAYS}
        typed["public_holidays"] = _one(form, "public_holidays")
        typed["extra_holidays"] = _one(form, "extra_holidays")
        value: dict[str, Any] = {
            day: [part.strip() for part in typed[day].split(",") if part.strip()]
            for day in WEEKDAYS
        }
        value["public_holidays"] = typed["public_holidays"]
        value["extra_holidays"] = [line for _, line in _lines(typed["extra_holidays"])]
        return value, typed
    if key == "allowed_origins":
        text = _one(form, "allowed_origins")
        return [line for _, line in _lines(text)], {"allowed_origins": text}
    text = _one(form, "retention_days").strip()
    return text, {"retention_days": text}


def german(error: Mapping[str, Any]) -> str:
    """One pydantic error as a German sentence (the validators speak English)."""
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    quoted = [a or b for a, b in _QUOTED.findall(message)]
    for fragment, sentence in _GERMAN:
        if fragment in message:
            values = quoted + [""] * 2
            culprit = quoted[-2] if len(quoted) > 1 else ""
            return sentence.format(*values, culprit=culprit)
    return _BY_TYPE.get(str(error.get("type", "")), _FALLBACK)


def errors_by_field(key: SettingKey, exc: ValidationError, form: Form) -> Fields:
    """The refusal's messages per form field; several for one field are joined."""
    found: dict[str, list[str]] = {}
    origin_lines = [n for n, _ in _lines(_one(form, "allowed_origins"))]
    for error in exc.errors():
        loc = error.get("loc", ())
        text = german(error)
        if key == "office_hours":
            name = str(loc[0]) if loc else WEEK_ERROR
        elif key == "allowed_origins":
            name = "allowed_origins"
            if loc and isinstance(loc[0], int) and loc[0] < len(origin_lines):
                text = f"Zeile {origin_lines[loc[0]]}: {text}"
        else:
            name = "retention_days"
        found.setdefault(name, []).append(text)
    return {name: " ".join(texts) for name, texts in found.items()}
