"""dialogs.locate: each validator error leads back to its node and field."""

from __future__ import annotations

from dialogs.loader import check_flow
from dialogs.locate import locate
from tests.unit.test_diagram import FLOW_YAML


def located(text: str) -> list[tuple[str | None, str, str]]:
    _, errors = check_flow(text, "f.yaml")
    return [(x.node_id, x.field, x.error.message) for x in locate(text, "f.yaml", errors)]


def test_a_broken_reference_names_the_node_and_field() -> None:
    found = located(FLOW_YAML.replace("on_yes: pick", "on_yes: pik"))
    assert ("ok", "on_yes", "unknown node 'pik'") in found


def test_a_missing_translation_names_the_text_field() -> None:
    found = located(FLOW_YAML.replace("{de: Zweitens, en: Second}", "{de: Zweitens}"))
    assert ("pick", "choices[1].label", "missing translation: en") in found


def test_structure_errors_and_flow_level_errors() -> None:
    found = located(FLOW_YAML.replace("    next: end\n  - id: gate", "    nxet: end\n  - id: gate"))
    assert any(node == "pick" and "unknown key 'nxet'" in msg for node, _, msg in found)
    flow_level = located(FLOW_YAML.replace("en: [help]", "en: ['!!']"))
    assert (
        None,
        "crisis.words.en[0]",
        "crisis word '!!' has no letters or digits and can never match",
    ) in flow_level
