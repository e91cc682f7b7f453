"""The Signal adapter's own texts exist in every language of the shipped intake, with the
same placeholders (tests/unit/test_ui_catalog.py), and each says who writes (AI Act Art. 50)."""

from __future__ import annotations

import pytest

from bot.channels import signal_texts as texts
from dialogs.loader import load_flow
from tests.telegram.conftest import INTAKE
from tests.unit.test_disclosure import AUTOMATIC, PERSON


def test_the_adapter_speaks_every_language_of_the_shipped_intake() -> None:
    assert set(load_flow(INTAKE).languages) <= set(texts.LANGUAGES)


@pytest.mark.parametrize("language", texts.LANGUAGES)
def test_program_and_people_are_told_apart(language: str) -> None:
    words = texts.words(language)
    assert AUTOMATIC[language].lower() in words.bot.lower()
    assert PERSON[language].lower() in words.counsellor.lower()
