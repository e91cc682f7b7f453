# texts for people use real typography
"""What every messenger adapter (Telegram, Signal) says alike: the lines appended to its
first-contact notice (the web chat as the more private way, the privacy notice and the
imprint), and that a message to the waiting case arrived (bot/channels/received.py).

German source texts; every other language lives in bot/i18n/po/ (docs/translations.md).
"""

from __future__ import annotations

from typing import Final

from bot.i18n.text import Text, text

TEXTS: Final[tuple[Text, ...]] = (
    text("messenger.privacy_link", "\nDatenschutzerklärung: {url}"),
    text("messenger.imprint_link", "\nImpressum: {url}"),
    text("messenger.webchat_link", "\nWeb-Chat: {url}"),
    text(
        "messenger.received",
        "Ihre Nachricht ist angekommen und für die Beratung gespeichert. Eine Beraterin oder "
        "ein Berater antwortet Ihnen hier, sobald jemand frei ist. Bis dahin können Sie "
        "weiterschreiben. In Gefahr? Polizei 110, Notruf 112.",
    ),
)
