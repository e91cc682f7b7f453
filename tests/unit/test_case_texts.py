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
    german = language in ("de", "ls")
    for notice in case_texts.NOTICES:
        said = case_texts.text(notice, language)
        assert said and (german or said != case_texts.text(notice, "de")), (notice, language)
    for channel in ("telegram", "signal", "other"):
        said = case_texts.code_note(channel, "K7-ABCD", language)
        assert said and (german or said != case_texts.code_note(channel, "K7-ABCD", "de"))
    assert "K7-ABCD" in case_texts.code_note("other", "K7-ABCD", language)
    assert case_texts.code_note("webchat", "K7-ABCD", language) == ""  # said in its code box
    # {way_back}: a code is promised only where one is shown at the end.
    for channel in ("webchat", "telegram", "signal"):
        said = case_texts.way_back(channel, language)
        assert said and (german or said != case_texts.way_back(channel, "de")), channel
    assert case_texts.way_back("telegram", language) == case_texts.way_back("signal", language)
    assert case_texts.way_back("telegram", language) != case_texts.way_back("webchat", language)
