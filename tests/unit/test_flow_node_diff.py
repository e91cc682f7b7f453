"""bot.console.flow_node_diff: what changed, node by node, between two flow sources."""

from __future__ import annotations

from bot.console.flow_node_diff import node_changes
from tests.conftest import FLOWS

MINI = (FLOWS / "mini.yaml").read_text(encoding="utf-8")


def test_one_changed_text_is_one_field_of_one_node() -> None:
    changed = MINI.replace("Sind Sie jetzt in Gefahr?", "Sind Sie in Gefahr?", 1)
    assert changed != MINI
    [change] = node_changes(MINI, changed) or []
    assert change.status == "changed" and change.word == "geändert"
    [field] = change.fields
    assert field.path == "text.de"
    assert (field.old, field.new) == ("Sind Sie jetzt in Gefahr?", "Sind Sie in Gefahr?")


def test_comments_and_layout_are_no_change_and_broken_yaml_gives_no_node_view() -> None:
    assert node_changes(MINI, "# Kommentar\n" + MINI) == []
    assert node_changes(MINI, "nodes: [unclosed") is None


def test_added_and_removed_nodes_and_top_level_sections() -> None:
    old = "id: f\nui: {back: Zurück}\nnodes:\n  - {id: a, kind: end}\n  - {id: b, kind: end}\n"
    new = "id: f\nui: {back: Zurück!}\nnodes:\n  - {id: a, kind: end}\n  - {id: c, kind: end}\n"
    changes = {(c.node_id, c.status) for c in node_changes(old, new) or []}
    assert changes == {("c", "added"), ("b", "removed"), ("(ui)", "changed")}
