"""The web chat page's texts in the language of one page: the page chrome around the dialog.

The texts live in the catalog (German source in bot/i18n/sources/web.py, every other language
in bot/i18n/po/); this module is what the page needs of them: the UI languages, their `lang`
and direction, and the texts of one language as the templates and chat.js use them.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from babel.dates import format_date

from bot.i18n import languages
from bot.i18n.catalog import UI
from bot.i18n.languages import Language

UiLanguage = Language
LANGUAGES: Final[tuple[UiLanguage, ...]] = languages.LANGUAGES
DEFAULT_LANGUAGE: Final[UiLanguage] = languages.SOURCE_LANGUAGE
HTML_LANG: Final[dict[UiLanguage, str]] = {lang: languages.html_lang(lang) for lang in LANGUAGES}
"""BCP 47 tag for `<html lang>`: Leichte Sprache is German (marked visibly on the page)."""
DIRECTION: Final[dict[UiLanguage, str]] = {lang: languages.direction(lang) for lang in LANGUAGES}
FLOW_LANGUAGE: Final[dict[UiLanguage, str | None]] = {lang: lang for lang in LANGUAGES}
"""The language asked of the flow (None: the flow's default). A flow without it keeps its
default language (the conversation service and the engine ignore unknown languages)."""
LANGUAGE_NAMES: Final[dict[UiLanguage, str]] = {lang: languages.NAMES[lang] for lang in LANGUAGES}
"""Each language's name in itself, for the language switch."""

STATEMENT_DATE: Final = date(2026, 11, 25)
"""When the accessibility statement was last reviewed (update on every review)."""
ENFORCEMENT_URL: Final = "https://www.behindertenbeauftragte-niedersachsen.de/"
"""Niedersachsen's enforcement body for accessibility (verify before going live)."""

PREFIX: Final = "web."


def is_language(value: str | None) -> bool:
    return languages.is_language(value)


def language_of(value: str | None) -> UiLanguage:
    return languages.language_of(value)


def texts_for(language: UiLanguage) -> dict[str, str]:
    """All texts of one language (plural texts in `plurals_for`)."""
    return UI.area(language, PREFIX)


def text(language: str, key: str) -> str:
    return UI.get(language, PREFIX + key)


def plurals_for(language: UiLanguage) -> dict[str, dict[str, str]]:
    """The texts with a count, by CLDR plural category (chat.js picks with Intl.PluralRules)."""
    return UI.plurals(language, PREFIX)


def statement_date(language: UiLanguage) -> str:
    """The statement's review date as people of `language` write it (CLDR through Babel):
    "25. November 2026", "25 listopada 2026"; an ISO date broke apart in right-to-left text."""
    return format_date(STATEMENT_DATE, "long", locale=languages.cldr_locale(language))


def count_text(language: UiLanguage, key: str, n: int, /, **values: object) -> str:
    """A text with a count in the right plural form ("mindestens eine Antwort")."""
    return UI.plural(language, PREFIX + key, n, **values)
