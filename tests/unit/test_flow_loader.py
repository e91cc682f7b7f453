"""dialogs.loader: YAML and schema problems reported with exact file:line:column."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogs.errors import FlowError, FlowErrors
from dialogs.loader import MAX_NODES, load_flow, parse_flow
from dialogs.model import SingleChoiceNode, YesNoNode

FLOW = """\
id: tiny
title: {"*": Tiny}
languages: [de, en]
default_language: de
start: ask
ui:
  back: {"*": back}
  restart: {"*": restart}
  done: {"*": done}
  skip: {"*": skip}
  invalid_choice: {"*": invalid choice}
  too_long: {"*": too long}
  too_few: {"*": too few}
  too_many: {"*": too many}
  invalid_date: {"*": invalid date}
  future_date: {"*": future date}
  empty_text: {"*": empty text}
crisis:
  words: {de: [nicht mehr leben], en: [kill myself]}
  message: {de: Hilfe 110, en: Help 110}
nodes:
  - id: ask
    kind: yes_no
    text: {de: Frage, en: Question}
    yes: {de: Ja, en: Yes}
    no: {de: Nein, en: No}
    on_yes: pick
    on_no: bye
  - id: pick
    kind: single_choice
    text: {de: Wahl, en: Choice}
    choices:
      - id: one
        label: {de: Eins, en: One}
    next: bye
  - id: bye
    kind: end
    text: {de: Tschuess, en: Bye}
"""


def errors(text: str) -> list[str]:
    with pytest.raises(FlowErrors) as caught:
        parse_flow(text, "f.yaml")
    return [str(e) for e in caught.value.errors]


def at(text: str, needle: str, nth: int = 0) -> str:
    """`f.yaml:line:col` of the nth occurrence of `needle`."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"f.yaml:{line}:{column}"


def mutate(old: str, new: str, text: str = FLOW) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_valid_flow_parses_with_yaml_1_2_booleans() -> None:
    flow = parse_flow(FLOW, "f.yaml")
    ask = flow.node("ask")
    assert isinstance(ask, YesNoNode)
    # PyYAML's YAML 1.1 would have turned the keys `yes:`/`no:` into True/False.
    assert ask.yes == {"de": "Ja", "en": "Yes"}
    assert isinstance(flow.node("pick"), SingleChoiceNode)


def test_dates_and_yes_no_values_stay_text() -> None:
    text = mutate('title: {"*": Tiny}', 'title: {"*": 2024-01-31}')
    text = mutate("- id: one", "- id: no", text)
    flow = parse_flow(text, "f.yaml")
    assert flow.title == {"*": "2024-01-31"}
    pick = flow.node("pick")
    assert isinstance(pick, SingleChoiceNode)
    assert pick.choices[0].id == "no"


def test_flow_error_format() -> None:
    assert str(FlowError("a.yaml", 3, 7, "boom")) == "a.yaml:3:7: boom"
    both = FlowErrors([FlowError("a.yaml", 9, 1, "later"), FlowError("a.yaml", 2, 5, "first")])
    assert str(both) == "a.yaml:2:5: first\na.yaml:9:1: later"


def test_yaml_syntax_error_at_problem_mark() -> None:
    text = mutate("    on_no: bye", "    on_no: [bye")
    found = errors(text)
    assert len(found) == 1
    # The flow sequence is still open when the next line's mapping colon appears.
    assert found[0] == (
        at(text, ": pick\n    kind") + ": YAML syntax error: while parsing a flow sequence: "
        "expected ',' or ']', but got ':'"
    )


def test_tab_indentation_is_a_syntax_error() -> None:
    text = mutate("    on_no: bye", "\ton_no: bye")
    assert errors(text)[0].startswith(f"{at(text, chr(9))}: YAML syntax error")


def test_duplicate_key_points_at_the_second_key() -> None:
    text = mutate("    on_no: bye\n", "    on_no: bye\n    on_no: pick\n")
    assert errors(text) == [f"{at(text, 'on_no', 1)}: duplicate key 'on_no' (first at line 28)"]


def test_duplicate_language_key_in_text() -> None:
    text = mutate("text: {de: Frage, en: Question}", "text: {de: Frage, de: Quiz, en: Question}")
    assert errors(text) == [f"{at(text, 'de: Quiz')}: duplicate key 'de' (first at line 24)"]


def test_unknown_key_in_discriminated_node_points_at_the_key() -> None:
    text = mutate("        label: {de: Eins, en: One}", "        labl: {de: Eins, en: One}")
    assert errors(text) == [
        f"{at(text, 'id: one')}: missing key in nodes[1].choices[0]: label",
        f"{at(text, 'labl')}: unknown key 'labl' in nodes[1].choices[0]",
    ]


def test_missing_field_points_at_the_enclosing_mapping() -> None:
    text = mutate("    on_no: bye\n", "")
    assert errors(text) == [f"{at(text, 'id: ask')}: missing key in nodes[0]: on_no"]


def test_missing_top_level_keys_are_listed_once() -> None:
    text = mutate("start: ask\n", "").replace("default_language: de\n", "")
    assert errors(text) == ["f.yaml:1:1: missing keys in the flow: default_language, start"]


def test_unknown_node_kind_points_at_the_kind() -> None:
    text = mutate("kind: yes_no", "kind: yes_or_no")
    found = errors(text)
    assert found == [
        f"{at(text, 'yes_or_no')}: unknown node kind (expected one of 'message', "
        "'single_choice', 'multi_choice', 'free_text', 'when', 'yes_no', 'consent', "
        "'crisis_check', 'branch', 'handover', 'end')"
    ]


def test_node_without_kind() -> None:
    text = mutate("    kind: yes_no\n", "")
    assert errors(text) == [f"{at(text, 'id: ask')}: nodes[0] has no 'kind'"]


def test_wrong_value_type_points_at_the_value() -> None:
    text = mutate("        label: {de: Eins, en: One}", "        label: [Eins]")
    assert errors(text) == [
        f"{at(text, '[Eins]')}: nodes[1].choices[0].label: Input should be a valid dictionary"
    ]


def test_bad_identifier_points_at_the_value() -> None:
    text = mutate("on_yes: pick", "on_yes: Pick-Me")
    found = errors(text)
    assert found == [
        f"{at(text, 'Pick-Me')}: nodes[0].on_yes: String should match pattern '^[a-z][a-z0-9_]*$'"
    ]


def test_union_value_errors_are_merged_into_one() -> None:
    text = mutate(
        "    next: bye\n  - id: bye",
        "    next: gate\n  - id: gate\n    kind: branch\n    cases:\n"
        "      - when: [{field: pick, op: in, value: {a: b}}]\n        next: bye\n"
        "    otherwise: bye\n  - id: bye",
    )
    found = errors(text)
    assert len(found) == 1
    assert found[0].startswith(f"{at(text, '{a: b}')}: nodes[2].cases[0].when[0].value: ")
    assert "valid string; or " in found[0]


def test_all_problems_of_a_file_at_once() -> None:
    text = mutate("    on_no: bye\n", "    on_no: bye\n    on_no: bye\n")
    text = mutate(
        "        label: {de: Eins, en: One}",
        "        label: {de: Eins, en: One}\n        x: 1",
        text,
    )
    found = errors(text)
    assert [e.split(": ", 1)[1] for e in found] == [
        "duplicate key 'on_no' (first at line 28)",
        "unknown key 'x' in nodes[1].choices[0]",
    ]


def test_semantic_errors_come_from_the_validator() -> None:
    text = mutate("next: bye\n  - id: bye", "next: nowhere\n  - id: bye")
    # The broken link alone: the dead end it makes of 'pick' is its consequence.
    assert errors(text) == [f"{at(text, 'nowhere')}: unknown node 'nowhere'"]


def test_python_tags_are_refused_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = mutate(
        'title: {"*": Tiny}',
        f'title: {{"*": !!python/object/apply:os.system ["touch {marker}"]}}',
    )
    found = errors(text)
    assert found
    assert found[0].startswith("f.yaml:2:")
    assert not marker.exists()


def test_recursive_alias_is_an_error() -> None:
    text = "a: &x [*x]"
    assert f"{at(text, '&x')}: this value contains an alias to itself" in errors(text)


def test_alias_bomb_is_stopped() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    found = errors("\n".join(lines))
    assert len(found) == 1
    assert f"more than {MAX_NODES} values" in found[0]


def test_empty_document_and_non_mapping() -> None:
    assert errors("") == ["f.yaml:1:1: the file is empty"]
    assert errors("- a\n- b\n") == ["f.yaml:1:1: a flow must be a mapping of keys"]


def test_control_character_position() -> None:
    assert errors("id: x\ntitle: a\x07b\n") == [
        "f.yaml:2:9: invalid character #x0007: special characters are not allowed"
    ]


def test_load_flow_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    # A byte order mark must not shift columns.
    path.write_bytes(b"\xef\xbb\xbf" + FLOW.replace("on_yes: pick", "on_yes: nope").encode())
    with pytest.raises(FlowErrors) as caught:
        load_flow(path)
    broken = FLOW.replace("on_yes: pick", "on_yes: nope")
    assert [str(e) for e in caught.value.errors] == [
        at(broken, "nope").replace("f.yaml", str(path)) + ": unknown node 'nope'",
    ]
    path.write_text(FLOW, encoding="utf-8")
    assert load_flow(str(path)).id == "tiny"


@pytest.mark.parametrize("kind", ["missing", "directory", "latin1"])
def test_unreadable_files_are_flow_errors(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "flow.yaml"
    if kind == "directory":
        path.mkdir()
    elif kind == "latin1":
        path.write_bytes("title: Tsch\u00fcss\n".encode("latin-1"))
    with pytest.raises(FlowErrors) as caught:
        load_flow(path)
    [error] = caught.value.errors
    assert (error.file, error.line, error.column) == (str(path), 1, 1)
    expected = "not UTF-8" if kind == "latin1" else "cannot read file"
    assert expected in error.message
