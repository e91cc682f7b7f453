"""dialogs.diagram_svg: the server-drawn SVG, its layout and its text alternative."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from dialogs.diagram_svg import BOX_H, layout, outline, svg
from dialogs.loader import check_flow
from tests.unit.test_diagram import FLOW, FLOW_YAML

SVG = "{http://www.w3.org/2000/svg}"


def parse(drawing: str) -> ET.Element:
    # Our own output, parsed to check it is well-formed; no untrusted XML is read here.
    return ET.fromstring(drawing)  # noqa: S314


def test_nodes_in_rows_by_distance_from_start() -> None:
    placed = layout(FLOW, outline(FLOW))
    rows = {node_id: box.row for node_id, box in placed.boxes.items()}
    assert rows == {"hello": 0, "ok": 1, "pick": 2, "end": 2, "gate": 3, "handover": 4}
    assert placed.boxes["ok"].y - placed.boxes["hello"].y > BOX_H
    # Boxes of one row do not overlap.
    row2 = sorted(b.x for b in placed.boxes.values() if b.row == 2)
    assert row2[1] - row2[0] >= 200


def test_accessible_well_formed_svg_with_every_node_and_arrow() -> None:
    drawing = svg(FLOW, "en")
    root = parse(drawing)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "fd-title fd-desc"
    assert root.find(f"{SVG}title") is not None
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "6 nodes" in (desc.text or "")
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for node_id in ("hello", "ok", "pick", "gate", "handover", "end"):
        assert node_id in texts
    assert "Choice" in texts  # the question in the chosen language
    arrows = [p for p in root.iter(f"{SVG}path") if p.get("marker-end")]
    # hello->ok, ok->pick, ok->end, pick->end, pick->gate, gate->handover, gate->end, start
    assert len(arrows) == 8
    assert "style=" not in drawing  # the console's CSP forbids inline styles


def test_texts_are_escaped() -> None:
    drawing = svg(FLOW, "de")
    assert "Sag &quot;Hallo&quot; [jetzt] | bitte" in drawing or 'Sag "Hallo"' in drawing
    parse(drawing)  # still well-formed XML


def test_problems_are_marked_by_text_and_border_not_colour_alone() -> None:
    broken = FLOW_YAML.replace("on_yes: pick", "on_yes: end").replace(
        "next: handover", "next: nowhere"
    )
    flow, errors = check_flow(broken, "chart.yaml")
    assert flow is not None and errors  # structurally sound, semantically broken
    nodes = {n.node_id: n for n in outline(flow)}
    assert nodes["pick"].unreachable and nodes["gate"].unreachable
    assert nodes["nowhere"].missing
    drawing = svg(flow, labels={**_labels(), "unreachable": "nicht erreichbar"})
    root = parse(drawing)
    groups = {g.get("class", ""): g for g in root.iter(f"{SVG}g")}
    unreachable = [c for c in groups if "fd-unreachable" in c]
    assert len(unreachable) == 3  # pick, gate, and the handover only they lead to
    flags = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "fd-flag"]
    assert "⚠ nicht erreichbar" in flags and "⚠ missing" in flags
    # The hatch pattern fills every marked box.
    assert drawing.count('fill="url(#fd-hatch)"') == 4
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "Unreachable: pick, gate, handover" in (desc.text or "")


def test_outline_lists_next_nodes_with_their_labels() -> None:
    nodes = {n.node_id: n for n in outline(FLOW, "en")}
    assert [(t.node_id, t.label) for t in nodes["pick"].targets] == [
        ("end", "First / Second"),
        ("gate", "Third"),
    ]
    assert nodes["gate"].targets[0].label == "pick in a, c"
    assert nodes["end"].targets == ()


def _labels() -> dict[str, str]:
    from dialogs.diagram_svg import LABELS

    return dict(LABELS)
