"""Leichte Sprache keeps its own rules in every text a person reads: one way to split long
words (the hyphen, "Beratungs-Stelle", as the intake does; never the middle dot) and one word
for one thing (the case code is always "Fall-Code")."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.i18n.catalog import UI
from dialogs.loader import load_flow
from dialogs.translations import entries
from tests.telegram.conftest import INTAKE

BARE_CODE = re.compile(r"(?<!Fall-)\bCode\b")


def ls_texts() -> Iterator[tuple[str, str]]:
    for key, declared in UI.texts.items():
        yield key, UI.get("ls", key)
        if declared.is_plural:
            for form in UI.by_category("ls", key).values():
                yield key, form
    for entry in entries(load_flow(INTAKE)):
        if "ls" in entry.text:
            yield entry.id, entry.text["ls"]


def test_leichte_sprache_splits_words_with_the_hyphen_only() -> None:
    texts = list(ls_texts())
    assert len(texts) > 150
    dotted = [where for where, text in texts if "\N{MIDDLE DOT}" in text]
    assert dotted == []


def test_leichte_sprache_calls_the_case_code_fall_code_everywhere() -> None:
    bare = [(where, text) for where, text in ls_texts() if BARE_CODE.search(text)]
    assert bare == []
