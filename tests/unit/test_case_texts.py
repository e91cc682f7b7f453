"""What the person is told about their case (closed, reopened, a new conversation, the case
code) exists in every language of the shipped intake: nobody gets a German notice in the
middle of a Ukrainian conversation."""

from __future__ import annotations

import pytest

from bot.conversation import case_texts
from dialogs.loader import load_flow
from tests.telegram.conftest import INTAKE

LANGUAGES = load_flow(INTAKE).languages


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_notice_and_code_note_is_written_in_every_intake_language(language: str) -> None:
    for notice, by_language in case_texts.TEXTS.items():
        assert by_language.get(language), f"{notice} ({language})"
    for channel, by_language in case_texts.CODE_NOTES.items():
        assert language in by_language, f"code note for {channel} ({language})"
        if channel != "webchat":  # the web chat says it in its code box
            assert by_language[language], f"code note for {channel} ({language})"
    assert "{code}" in case_texts.CODE_NOTES["other"][language]
