"""The outreach flyer's and poster's texts in one language, from the catalog
(bot/i18n/sources/flyer.py, bot/i18n/po/)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

from bot.i18n import languages
from bot.i18n.catalog import UI, Status

LANGUAGES: Final = languages.LANGUAGES
AREA: Final = "flyer."


@dataclass(frozen=True)
class FlyerText:
    title: str
    promise: str
    web: str
    """Beside the QR code of the web chat."""
    telegram: str
    """Beside the QR code of the Telegram bot."""
    hours: str
    """Before the office hours."""


def flyer_text(language: str) -> FlyerText:
    return FlyerText(**{f.name: UI.get(language, AREA + f.name) for f in fields(FlyerText)})


def unreviewed(language: str) -> bool:
    """Whether any flyer text of the language still waits for a speaker's review (or is
    missing): the console says so before an admin prints it."""
    if language == languages.SOURCE_LANGUAGE:
        return False
    return any(UI.status(language, AREA + f.name) is not Status.OK for f in fields(FlyerText))
