"""bot.console.flow_form and flow_diff: the structured editor's round trip and the diff rows."""

from __future__ import annotations

import pytest

from bot.console import flow_form
from bot.console.flow_diff import counts, diff_rows
from dialogs.loader import parse_flow
from tests.conftest import FLOWS
from tests.telegram.conftest import INTAKE

MINI = (FLOWS / "mini.yaml").read_text(encoding="utf-8")


def test_round_trip_keeps_the_flow_and_quotes_yes_no() -> None:
    data = flow_form.load(MINI)
    again = flow_form.dump(data)
    assert parse_flow(again, "mini.yaml") == parse_flow(MINI, "mini.yaml")
    assert "'yes':" in again or '"yes":' in again or "yes:" in again


def test_node_form_fields_and_apply() -> None:
    data = flow_form.load(MINI)
    form = flow_form.node_form(data, 3)  # municipality
    assert [t.path for t in form.texts] == ["text", "choices[0].label", "choices[1].label"]
    assert form.texts[2].values == {"*": "Garbsen"}
    assert [n.path for n in form.nexts] == ["choices[0].next", "choices[1].next", "next"]
    flow_form.apply_node_form(
        data,
        3,
        {
            "t:text:de": ["Wo genau?"],
            "t:choices[1].label:*": ["Garbsen (Stadt)"],
            "n:choices[0].next": ["goodbye"],
        },
    )
    flow = parse_flow(flow_form.dump(data), "mini.yaml")
    node = flow.node("municipality")
    assert node.kind == "single_choice"
    assert node.text["de"] == "Wo genau?" and node.choices[1].label == {"*": "Garbsen (Stadt)"}
    assert node.choices[0].next == "goodbye"
    flow_form.apply_node_form(data, 3, {"n:choices[0].next": [""]})
    assert "next" not in data["nodes"][3]["choices"][0]


@pytest.mark.parametrize(
    "field",
    [{"t:title:de": ["x"]}, {"n:id": ["x"]}, {"x": ["y"]}, {"t:text:fr": ["x"]}, {"n:next": [""]}],
)
def test_fields_the_node_does_not_have_are_refused(field: dict[str, list[str]]) -> None:
    data = flow_form.load(MINI)
    with pytest.raises(ValueError, match=r"unknown|needs a node"):
        flow_form.apply_node_form(data, 3, field)


def test_conditions_use_the_whitelist() -> None:
    assert "equals" in flow_form.OPERATORS and "includes" in flow_form.OPERATORS
    source = MINI.replace(
        "    next: handover\n  - id: handover",
        "    next: gate\n  - id: gate\n    kind: branch\n    cases:\n"
        "      - when: [{field: municipality, op: equals, value: hannover}]\n"
        "        next: handover\n    otherwise: handover\n  - id: handover",
    )
    data = flow_form.load(source)
    index = [n["id"] for n in data["nodes"]].index("gate")
    form = flow_form.node_form(data, index)
    assert [(c.field, c.op, c.value) for c in form.conditions] == [
        ("municipality", "equals", "hannover")
    ]
    flow_form.apply_node_form(
        data,
        index,
        {"c:cases[0].when[0]:op": ["in"], "c:cases[0].when[0]:value": ["hannover, garbsen"]},
    )
    flow = parse_flow(flow_form.dump(data), "mini.yaml")
    gate = flow.node("gate")
    assert gate.kind == "branch" and gate.cases[0].when[0].value == ["hannover", "garbsen"]


def test_crisis_words_per_language() -> None:
    data = flow_form.load(MINI)
    assert flow_form.crisis_words(data) == {
        "de": "umbringen\nnicht mehr leben",
        "en": "kill myself\nin danger",
    }
    flow_form.apply_crisis_words(
        data, {"w:de": ["umbringen\n\n suizid* "], "w:en": ["help me now"]}
    )
    assert data["crisis"]["words"] == {"de": ["umbringen", "suizid*"], "en": ["help me now"]}
    message = flow_form.crisis_message(data)
    assert message["de"].startswith("Wenn Sie in Gefahr sind")
    flow_form.apply_crisis_words(data, {"m:de": ["Polizei: 110\r\nNotruf: 112"]})
    assert data["crisis"]["words"]["en"] == ["help me now"]  # not posted: kept
    assert data["crisis"]["message"]["de"] == "Polizei: 110\nNotruf: 112"
    assert data["crisis"]["message"]["en"].startswith("If you are in danger")
    assert "Polizei: 110\n" in flow_form.dump(data)
    with pytest.raises(ValueError, match="unknown field"):
        flow_form.apply_crisis_words(data, {"w:fr": ["x"]})


def test_diff_rows_mark_changes_in_words_and_signs() -> None:
    old = "".join(f"line {i}\n" for i in range(1, 11))
    new = old.replace("line 5\n", "line five\n")
    rows = diff_rows(old, new, context=1)
    assert [(r.kind, r.old_line, r.new_line) for r in rows] == [
        ("gap", None, None),
        ("same", 4, 4),
        ("removed", 5, None),
        ("added", None, 5),
        ("same", 6, 6),
        ("gap", None, None),
    ]
    assert rows[2].sign == "\N{MINUS SIGN}" and rows[2].word == "entfernt"
    assert rows[3].sign == "+" and rows[3].word == "hinzugefügt"
    assert counts(rows) == (1, 1)
    assert diff_rows(old, old) == []


def test_a_short_label_is_edited_beside_its_label_and_its_translations_go_outdated() -> None:
    data = flow_form.load(INTAKE.read_text(encoding="utf-8"))
    index = next(i for i, n in enumerate(data["nodes"]) if n["id"] == "life_area")
    form = flow_form.node_form(data, index)
    shorts = [t for t in form.texts if t.path.endswith(".short")]
    assert shorts and all("Kurzform" in t.label for t in shorts)
    shop = next(t for t in shorts if t.values["de"] == "Einkaufen und Dienstleistungen")
    flow_form.apply_node_form(data, index, {f"t:{shop.path}:de": ["Einkaufen, Dienste"]})
    made = data["translation_sources"]["en"]
    assert "node:life_area:choice:goods_services:short" in made  # English now outdated
