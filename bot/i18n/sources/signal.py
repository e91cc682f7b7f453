# ruff: noqa: RUF001  # texts for people use real typography
"""What only the Signal adapter says, and the words of its numbered plain-text questions.

German source texts; every other language lives in bot/i18n/po/ (docs/translations.md).
"""

from __future__ import annotations

from typing import Final

from bot.i18n.text import Text, text

TEXTS: Final[tuple[Text, ...]] = (
    text(
        "signal.privacy",
        "Bevor es losgeht, ein Hinweis zum Datenschutz:\n"
        "• Signal verschlüsselt diesen Chat von Ende zu Ende: Signal selbst kann ihn nicht "
        "lesen.\n"
        "• Wir sehen eine Konto-Kennung von Signal, nicht Ihre Telefonnummer, und speichern "
        "keine Nummer.\n"
        "• Noch besser geschützt ist unser Web-Chat: ohne Konto und ohne "
        "Telefonnummer.{webchat}\n"
        "Mit /löschen löschen Sie Ihre Angaben bei uns jederzeit, /hilfe zeigt alle "
        "Befehle.{legal}",
    ),
    text(
        "signal.help",
        "So funktioniert dieser Chat:\n"
        "• Antworten Sie mit der Nummer einer Antwort, mit mehreren Nummern (1, 3) oder "
        "schreiben Sie die Antwort aus.\n"
        "/zurück – zur letzten Frage\n"
        "/neu – neu anfangen\n"
        "/sprache – Sprache wechseln\n"
        "/löschen – Ihre Angaben bei uns löschen\n"
        "/hilfe – diese Hilfe\n"
        "(Auch auf Englisch: /back, /restart, /language, /delete, /help.)",
    ),
    text(
        "signal.language_prompt",
        "Welche Sprache möchten Sie? Schreiben Sie zum Beispiel: /sprache en\n{languages}",
    ),
    text(
        "signal.delete_confirm",
        "Wirklich alles löschen, was Sie uns hier geschrieben haben? Auch ein Fall bei der "
        "Beratung wird dann gelöscht. Wenn ja, schreiben Sie: /löschen ja",
    ),
    text(
        "signal.deleted",
        "Ihre Angaben bei uns sind gelöscht. Wenn Sie wieder schreiben, beginnt ein neues "
        "Gespräch.",
    ),
    text(
        "signal.non_text",
        "Ich kann hier nur Text lesen. Fotos, Sprachnachrichten, Sticker und Dateien kann "
        "ich nicht annehmen; davon wurde nichts gespeichert. Bitte schreiben Sie Ihre "
        "Antwort als Text.",
    ),
    text(
        "signal.too_long",
        "Diese Nachricht ist zu lang (höchstens 10.000 Zeichen). Bitte teilen Sie sie auf.",
    ),
    text(
        "signal.slow_down",
        "Das waren viele Nachrichten in kurzer Zeit. Bitte warten Sie etwas und schreiben "
        "Sie dann noch einmal.",
    ),
    text(
        "signal.busy",
        "Das hat gerade nicht geklappt. Bitte schreiben Sie Ihre Nachricht gleich noch einmal.",
    ),
    text("signal.words.bot", "Automatische Antwort:"),
    text("signal.words.counsellor", "Nachricht von der Beratung (ein Mensch schreibt):"),
    text("signal.words.pick_one", "Antworten Sie mit der Nummer oder schreiben Sie die Antwort."),
    text("signal.words.pick_several", "Sie können mehrere Nummern schreiben, zum Beispiel: 1, 3"),
    text("signal.words.or_number", "Oder antworten Sie mit einer Nummer."),
    text("signal.words.back", "/zurück – zur letzten Frage"),
    text("signal.words.restart", "/neu – neu anfangen"),
)
