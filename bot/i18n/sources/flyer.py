# texts for people use real typography
"""The outreach flyer and poster (bot/console/outreach_pages.py).

German source texts; every other language lives in bot/i18n/po/ (docs/translations.md).
"""

from __future__ import annotations

from typing import Final

from bot.i18n.text import Text, text

TEXTS: Final[tuple[Text, ...]] = (
    text("flyer.title", "Diskriminierung erlebt?"),
    text(
        "flyer.promise",
        "Schreiben Sie uns. Anonym, kostenlos und vertraulich: Sie brauchen keinen Namen und "
        "keine Telefonnummer.",
    ),
    text("flyer.web", "Im Chat auf unserer Website"),
    text("flyer.telegram", "In Telegram"),
    text("flyer.hours", "Schreiben können Sie jederzeit. Die Beratung antwortet:"),
)
