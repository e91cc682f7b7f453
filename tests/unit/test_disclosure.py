"""Every automated message says it is automatic (AI Act Art. 50), in every shipped language,
and a counsellor's message says a person writes.

`AUTOMATIC` holds, per language, the word a speaker reads as "automatic"; a language added to
the web chat or the Telegram texts fails here until it has its own label with that word. Add
the new language's word below together with its texts in bot/web/texts.py ("sender_bot",
"sender_counsellor", "handed_over") and bot/channels/telegram_texts.py ("bot", "counsellor").
"""

from __future__ import annotations

import pytest

from bot.channels import telegram_texts
from bot.rasa import texts as rasa_texts
from bot.web import texts as web_texts

AUTOMATIC = {
    "de": "Automatisch",
    "ls": "Automatisch",
    "en": "Automatic",
    "ar": "آلي",
    "tr": "Otomatik",
    "uk": "Автоматична",
    "ru": "Автоматический",
    "pl": "automatyczna",
    "fa": "خودکار",
}
"""The word for "automatic" in each language's label."""
PERSON = {
    "de": "Mensch",
    "ls": "Mensch",
    "en": "person",
    "ar": "شخص",
    "tr": "insan",
    "uk": "людина",
    "ru": "человек",
    "pl": "człowiek",
    "fa": "انسان",
}
"""The word that says a human writes."""
EMERGENCY = {
    "de": "Notfall",
    "ls": "Notfall",
    "en": "emergency",
    "ar": "الطوارئ",
    "tr": "acil",
    "uk": "надзвичайн",
    "ru": "экстренн",
    "pl": "nagłej",
    "fa": "اضطراری",
}
"""The word for "emergency": after the handover the crisis resources still come, labelled
automatic, when the person writes crisis words."""


@pytest.mark.parametrize("language", web_texts.LANGUAGES)
def test_the_web_chat_labels_bot_lines_automatic_and_counsellors_human(language: str) -> None:
    assert language in AUTOMATIC, f"add the word for 'automatic' in {language!r} here"
    said = web_texts.texts_for(web_texts.language_of(language))
    assert AUTOMATIC[language].lower() in said["sender_bot"].lower()
    assert PERSON[language].lower() in said["sender_counsellor"].lower()
    assert PERSON[language].lower() in said["handed_over"].lower()


@pytest.mark.parametrize("language", web_texts.LANGUAGES)
def test_the_handover_says_a_person_answers_and_only_an_emergency_brings_an_automatic_message(
    language: str,
) -> None:
    # The crisis box labelled "Automatische Antwort" may follow this text: it must not
    # promise that nothing automatic comes any more.
    said = web_texts.texts_for(web_texts.language_of(language))["handed_over"].lower()
    assert PERSON[language].lower() in said
    assert EMERGENCY[language].lower() in said
    assert "keine automatische" not in said


@pytest.mark.parametrize("language", telegram_texts.LANGUAGES)
def test_telegram_labels_bot_messages_automatic_and_counsellors_human(language: str) -> None:
    assert language in AUTOMATIC, f"add the word for 'automatic' in {language!r} here"
    assert AUTOMATIC[language].lower() in telegram_texts.text("bot", language).lower()
    assert PERSON[language].lower() in telegram_texts.text("counsellor", language).lower()


@pytest.mark.parametrize("language", ["de", "ls", "en"])
def test_with_rasa_the_disclosure_names_an_automatic_assistant(language: str) -> None:
    disclosure = rasa_texts.text(rasa_texts.DISCLOSURE, language).lower()
    assert AUTOMATIC[language].lower() in disclosure
    assert {"de": "assistent", "ls": "assistent", "en": "assistant"}[language] in disclosure
    assert "automatisch" in rasa_texts.text(rasa_texts.UNAVAILABLE, "de").lower()
