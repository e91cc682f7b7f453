# ruff: noqa: RUF001  # texts for people use real typography
"""What only the Telegram adapter says: the privacy notice at the first contact, the reply to
voice messages and photos, the refusal of groups, help, language choice and deletion.

German source texts; every other language lives in bot/i18n/po/ (docs/translations.md).
"""

from __future__ import annotations

from typing import Final

from bot.i18n.text import Text, text

TEXTS: Final[tuple[Text, ...]] = (
    text(
        "telegram.privacy",
        "Bevor es losgeht, ein Hinweis zum Datenschutz:\n"
        "• Für Telegram brauchen Sie ein Konto mit Ihrer Telefonnummer.\n"
        "• Telegram speichert Chats mit Bots auf seinen Servern, auch diesen Chat.\n"
        "• Wir sehen Ihre Telefonnummer nicht und fragen nicht danach.\n"
        "Noch besser geschützt ist unser Web-Chat: ohne Konto und ohne "
        "Telefonnummer.{webchat}\n"
        "Mit /delete löschen Sie Ihre Angaben bei uns jederzeit.{legal}",
    ),
    text("telegram.bot", "Automatische Antwort:"),
    text(
        "telegram.non_text",
        "Hier kann ich Text, Fotos, PDF-Dateien und Sprachnachrichten annehmen. Sticker, "
        "Videos und Standorte kann ich nicht annehmen; davon wurde nichts gespeichert. Bitte "
        "schreiben Sie Ihre Antwort als Text oder tippen Sie auf eine der Antworten.",
    ),
    text(
        "telegram.file_received",
        "Ihre Datei ist angekommen. Standort- und Kameradaten haben wir vor dem Speichern "
        "entfernt.",
    ),
    text(
        "telegram.caption_kept",
        "Ihren Text dazu haben wir mit der Datei gespeichert.",
    ),
    text(
        "telegram.group_decline",
        "Dieser Bot ist nur für vertrauliche Gespräche unter vier Augen da und verlässt "
        "diese Gruppe. Bitte schreiben Sie ihm direkt in einem privaten Chat.",
    ),
    text(
        "telegram.help",
        "So funktioniert dieser Chat:\n"
        "• Tippen Sie auf eine Antwort oder schreiben Sie.\n"
        "• Bei Fragen mit mehreren Antworten: alle passenden antippen, dann „Fertig“.\n"
        "/restart – neu anfangen\n"
        "/language – Sprache wechseln\n"
        "/delete – Ihre Angaben bei uns löschen\n"
        "/help – diese Hilfe\n"
        "In Gefahr? Polizei 110, Notruf 112.",
    ),
    text("telegram.language_prompt", "Welche Sprache möchten Sie?"),
    text(
        "telegram.delete_confirm",
        "Möchten Sie alles löschen, was Sie uns hier geschrieben haben? Auch Ihr Fall bei "
        "der Beratung wird gelöscht. Das kann man nicht rückgängig machen.",
    ),
    text("telegram.delete_yes", "Ja, alles löschen"),
    text("telegram.delete_no", "Nein, nicht löschen"),
    text(
        "telegram.deleted",
        "Gelöscht. Bei uns ist nichts mehr von diesem Chat gespeichert. Den Verlauf in "
        "Telegram löschen Sie in der App („Chat löschen“). Mit /start können Sie neu "
        "beginnen.",
    ),
    text("telegram.kept", "Es wurde nichts gelöscht."),
    text("telegram.counsellor", "Nachricht von der Beratung (ein Mensch schreibt):"),
    text("telegram.stale_button", "Diese Frage ist schon beantwortet."),
    text(
        "telegram.slow_down",
        "Das waren viele Nachrichten in kurzer Zeit. Bitte warten Sie etwas und schreiben "
        "Sie dann noch einmal.",
    ),
    text(
        "telegram.busy", "Das hat gerade nicht geklappt. Bitte versuchen Sie es gleich noch einmal."
    ),
    text("telegram.cmd_start", "Beginnen"),
    text("telegram.cmd_help", "Hilfe"),
    text("telegram.cmd_language", "Sprache wechseln"),
    text("telegram.cmd_restart", "Neu anfangen"),
    text("telegram.cmd_delete", "Meine Angaben löschen"),
)
