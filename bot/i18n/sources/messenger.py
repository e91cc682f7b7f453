# texts for people use real typography
"""Lines every messenger adapter (Telegram, Signal) appends to its first-contact notice: the
web chat as the more private way, the privacy notice and the imprint.

German source texts; every other language lives in bot/i18n/po/ (docs/translations.md).
"""

from __future__ import annotations

from typing import Final

from bot.i18n.text import Text, text

TEXTS: Final[tuple[Text, ...]] = (
    text("messenger.privacy_link", "\nDatenschutzerklärung: {url}"),
    text("messenger.imprint_link", "\nImpressum: {url}"),
    text("messenger.webchat_link", "\nWeb-Chat: {url}"),
)
