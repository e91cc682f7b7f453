"""Leichte Sprache keeps its own rules in every text a person reads: one way to split long
words (the hyphen, "Beratungs-Stelle", as the intake does; never the middle dot) and one word
for one thing (the case code is always "Fall-Code")."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.channels import telegram_texts
from bot.conversation import case_texts
from bot.office import texts as office_texts
from bot.web import texts as web_texts
from dialogs.loader import load_flow
from dialogs.translations import entries
from tests.telegram.conftest import INTAKE

BARE_CODE = re.compile(r"(?<!Fall-)\bCode\b")


def ls_texts() -> Iterator[tuple[str, str]]:
    for key, web in web_texts.T.items():
        yield f"web:{key}", web["ls"]
    for key, telegram in telegram_texts.T.items():
        if "ls" in telegram:
            yield f"telegram:{key}", telegram["ls"]
    for notice, case in case_texts.TEXTS.items():
        if "ls" in case:
            yield f"case:{notice}", case["ls"]
    wording = office_texts.WORDING["ls"]
    for field in ("closed", "opens", "write_anyway", "received"):
        yield f"office:{field}", getattr(wording, field)
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
