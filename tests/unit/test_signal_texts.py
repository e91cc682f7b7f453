"""The Signal adapter's own texts exist in every language of the shipped intake, with the
same placeholders, and each says who writes (AI Act Art. 50)."""

from __future__ import annotations

import string

import pytest

from bot.channels import signal_texts as texts
from dialogs.loader import load_flow
from tests.telegram.conftest import INTAKE
from tests.unit.test_disclosure import AUTOMATIC, PERSON


def test_every_text_in_every_language_with_the_same_placeholders() -> None:
    assert set(load_flow(INTAKE).languages) <= set(texts.LANGUAGES)
    for key, by_language in texts.T.items():
        assert set(by_language) == set(texts.LANGUAGES), key
        fields = {
            frozenset(f for _, f, _, _ in string.Formatter().parse(t) if f)
            for t in by_language.values()
        }
        assert len(fields) == 1, key


@pytest.mark.parametrize("language", texts.LANGUAGES)
def test_program_and_people_are_told_apart(language: str) -> None:
    words = texts.words(language)
    assert AUTOMATIC[language].lower() in words.bot.lower()
    assert PERSON[language].lower() in words.counsellor.lower()
