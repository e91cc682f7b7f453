"""The languages the service speaks to people, and what a page or Babel needs of each.

`ls` is Leichte Sprache (Easy German, DIN SPEC 33429): German for browsers, screen readers
and CLDR (dates, plural rules), its own texts for people.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

Language = Literal["de", "ls", "en", "ar", "tr", "uk", "ru", "pl", "fa"]
LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)
SOURCE_LANGUAGE: Final[Language] = "de"
RIGHT_TO_LEFT: Final = frozenset({"ar", "fa"})

NAMES: Final[dict[str, str]] = {
    "de": "Deutsch",
    "ls": "Leichte Sprache",
    "en": "English",
    "ar": "العربية",
    "tr": "Türkçe",
    "uk": "Українська",
    "ru": "Русский",
    "pl": "Polski",
    "fa": "فارسی",
}
"""Each language's name in itself and its own script, for every language switch."""


def is_language(value: str | None) -> bool:
    return value in LANGUAGES


def language_of(hint: str | None) -> Language:
    """One of LANGUAGES for a flow language, a page parameter or a messenger's language code
    ("de-AT", "en", "pt"); German when the service does not speak it."""
    for language in LANGUAGES:
        if hint == language:
            return language
    base = (hint or "").split("-")[0].split("_")[0].lower()
    for language in LANGUAGES:
        if base == language:
            return language
    return SOURCE_LANGUAGE


def html_lang(language: str) -> str:
    """BCP 47 tag for `lang` attributes: Leichte Sprache is German."""
    return "de" if language == "ls" else language


_CLDR: Final = {"ls": "de", "en": "en_GB"}


def cldr_locale(language: str) -> str:
    """The Babel/CLDR locale for dates, times and plural rules: British English, the usage
    of English in Europe ("Monday 30 November, 09:00", not "November 30, 9:00 AM")."""
    return _CLDR.get(language, language)


def direction(language: str) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"
