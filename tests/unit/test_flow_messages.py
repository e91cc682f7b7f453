"""bot.console.flow_messages: every flow error has German words an admin can read."""

from __future__ import annotations

from pathlib import Path
from string import Formatter

import pytest

from bot.console.flow_messages import GERMAN, german
from dialogs.errors import FlowError, Position
from dialogs.loader import check_flow
from dialogs.messages import ENGLISH

MINI = Path(__file__).parents[1] / "flows" / "mini.yaml"


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


def test_every_code_has_a_german_template_with_the_same_fields() -> None:
    # A new English message without German words would reach admins in English.
    assert set(GERMAN) == set(ENGLISH)
    for code, english in ENGLISH.items():
        assert fields(GERMAN[code]) == fields(english), code


@pytest.mark.parametrize("code", sorted(ENGLISH))
def test_every_template_fills_in(code: str) -> None:
    params = {name: "x" for name in fields(ENGLISH[code])}
    error = FlowError.of("f.yaml", Position(1, 1), code, **params)
    assert german(error) != error.message


def test_a_broken_reference_in_german_and_the_command_line_unchanged() -> None:
    text = MINI.read_text(encoding="utf-8").replace("next: when\n", "next: whenn\n")
    _, errors = check_flow(text, "mini.yaml")
    assert [e.message for e in errors] == ["unknown node 'whenn'"]
    assert [german(e) for e in errors] == [
        "Der Knoten „whenn“ ist unbekannt: Prüfen Sie, ob der Name richtig geschrieben ist, "
        "oder legen Sie den Knoten an."
    ]


def test_a_missing_key_at_the_top_names_the_top_level() -> None:
    text = MINI.read_text(encoding="utf-8").replace("start: consent\n", "")
    _, errors = check_flow(text, "mini.yaml")
    assert [german(e) for e in errors] == [
        "Hier fehlt der Eintrag „start“ (in der obersten Ebene)."
    ]


def test_an_error_without_a_code_keeps_its_english_message() -> None:
    assert german(FlowError("f.yaml", 1, 1, "something new")) == "something new"
