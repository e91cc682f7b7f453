# texts for people use real typography
"""Office hours as the person hears them: the office is closed, when it opens again
({date} and {time} in the language's own CLDR format), and that writing now is fine.

German source texts; every other language lives in bot/i18n/po/ (docs/translations.md).
"""

from __future__ import annotations

from typing import Final

from bot.i18n.text import Text, text

TEXTS: Final[tuple[Text, ...]] = (
    text("office.closed", "Das Büro ist gerade geschlossen."),
    text("office.opens", "Es ist wieder geöffnet am {date}, ab {time} Uhr."),
    text(
        "office.write_anyway",
        "Sie können uns trotzdem schon schreiben: Ihre Nachrichten warten hier auf uns.",
    ),
    text("office.received", "Ihre Nachricht ist angekommen und wartet hier auf uns."),
)
