"""The Telegram adapter's own texts (the dialog comes from the flow): the privacy notice at
the first contact, the reply to voice messages and photos, the refusal of groups, help,
language choice and deletion. The texts live in the catalog (bot/i18n/sources/telegram.py
and bot/i18n/po/)."""

from __future__ import annotations

from typing import Final

from bot.channels import messenger_texts
from bot.i18n import languages

LANGUAGES: Final = languages.LANGUAGES
DEFAULT_LANGUAGE: Final = languages.SOURCE_LANGUAGE
LANGUAGE_NAMES: Final = languages.NAMES
"""Each language's name in itself, for the /language buttons."""
AREA: Final = "telegram"


def language_of(hint: str | None) -> str:
    """One of LANGUAGES for a flow language or Telegram's language_code ("de-AT", "en")."""
    return languages.language_of(hint)


def text(key: str, language: str | None, **values: str) -> str:
    return messenger_texts.text(AREA, key, language_of(language), **values)


def keys() -> tuple[str, ...]:
    return messenger_texts.keys(AREA)
