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
    # The office's other ways of contact ({office_contact} in the flow's consent_declined):
    # one line each, the label before the number, address or link.
    text("office.contact_phone", "Telefon"),
    text("office.contact_email", "E-Mail"),
    text("office.contact_web", "Internet"),
    text("office.contact_address", "Adresse"),
    text("office.contact_hours", "Sprechzeiten"),
    text(
        "office.contact_none",
        "Die Kontaktdaten finden Sie auf der Internetseite der Beratungsstelle ({office}).",
    ),
)
