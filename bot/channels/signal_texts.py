"""What the Signal adapter itself says (not the flow's questions), from the catalog
(bot/i18n/sources/signal.py and bot/i18n/po/); a conversation language the service does not
speak hears German."""

from __future__ import annotations

from typing import Final

from bot.channels import messenger_texts
from bot.channels.text_render import Words
from bot.i18n import languages
from bot.i18n.catalog import UI

LANGUAGES: Final = languages.LANGUAGES
DEFAULT_LANGUAGE: Final = languages.SOURCE_LANGUAGE
AREA: Final = "signal"


def language_of(language: str | None) -> str:
    return (
        language if language is not None and languages.is_language(language) else DEFAULT_LANGUAGE
    )


def text(key: str, language: str | None, **values: str) -> str:
    return messenger_texts.text(AREA, key, language_of(language), **values)


def keys() -> tuple[str, ...]:
    return messenger_texts.keys(AREA)


def words(language: str | None) -> Words:
    lang = language_of(language)
    return Words(
        **{field: UI.get(lang, f"{AREA}.words.{field}") for field in Words.__dataclass_fields__}
    )
