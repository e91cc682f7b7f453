"""dialogs.diagram: a Mermaid chart with every node, edge label and problem highlighted."""

from __future__ import annotations

from dialogs.diagram import escape, mermaid
from dialogs.loader import parse_flow
from dialogs.model import Flow

FLOW_YAML = """\
id: chart
title: {"*": Chart}
languages: [de, en]
default_language: de
start: hello
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
  words: {de: [hilfe], en: [help]}
  message: {"*": "110"}
nodes:
  - id: hello
    kind: message
    text: {de: 'Sag "Hallo" [jetzt] | bitte', en: Hello}
    next: ok
  - id: ok
    kind: yes_no
    text: {de: OK, en: OK}
    yes: {de: Ja, en: Yes}
    no: {de: Nein, en: No}
    on_yes: pick
    on_no: end
  - id: pick
    kind: single_choice
    text: {de: Wahl, en: Choice}
    choices:
      - {id: a, label: {de: Erstens, en: First}}
      - {id: b, label: {de: Zweitens, en: Second}}
      - {id: c, label: {de: Drittens, en: Third}, next: gate}
    next: end
  - id: gate
    kind: branch
    cases:
      - when: [{field: pick, op: in, value: [a, c]}]
        next: handover
    otherwise: end
  - id: handover
    kind: handover
    text: {"*": "Code {case_code}"}
    team: {default: office}
  - id: end
    kind: end
    text: {de: Ende, en: End}
"""

FLOW = parse_flow(FLOW_YAML, "chart.yaml")


def test_every_node_with_its_shape() -> None:
    chart = mermaid(FLOW)
    assert chart.startswith("flowchart TD\n")
    assert '    start_(("start")) --> n_hello\n' in chart
    assert '    n_hello["hello (message)<br/>Sag #34;Hallo#34; #91;jetzt#93; #124; bitte"]' in chart
    assert '    n_ok[/"ok (yes_no)<br/>OK"/]' in chart
    assert '    n_pick[/"pick (single_choice)<br/>Wahl"/]' in chart
    assert '    n_gate{"gate (branch)"}' in chart
    assert '    n_handover[["handover (handover)<br/>Code #123;case_code#125;"]]' in chart
    # `end` is a Mermaid keyword: the prefixed id keeps the chart valid.
    assert '    n_end(["end (end)<br/>Ende"])' in chart


def test_edges_carry_choice_labels_and_conditions() -> None:
    chart = mermaid(FLOW)
    assert "    n_hello --> n_ok\n" in chart
    assert '    n_ok -->|"Ja"| n_pick\n' in chart
    assert '    n_ok -->|"Nein"| n_end\n' in chart
    # choices without their own next share the node's next: one arrow, labels joined
    assert '    n_pick -->|"Erstens / Zweitens"| n_end\n' in chart
    assert '    n_pick -->|"Drittens"| n_gate\n' in chart
    assert '    n_gate -->|"pick in a, c"| n_handover\n' in chart
    assert '    n_gate -->|"otherwise"| n_end\n' in chart


def test_labels_in_the_requested_language() -> None:
    chart = mermaid(FLOW, "en")
    assert '    n_ok -->|"Yes"| n_pick\n' in chart
    assert "<br/>Hello" in chart
    assert mermaid(FLOW, "fr") == mermaid(FLOW)  # unknown language: the default


def test_a_valid_flow_has_no_highlighted_nodes() -> None:
    chart = mermaid(FLOW)
    assert "classDef unreachable" in chart
    assert "    class " not in chart


def broken() -> Flow:
    """A flow built in code with an unreachable node, a dead end and a missing target."""
    data = FLOW.model_dump()
    data["nodes"][1]["on_no"] = "pick"  # `end` now only reachable through pick
    data["nodes"].append({"id": "orphan", "kind": "message", "text": {"*": "x"}, "next": "end"})
    data["nodes"].append({"id": "stuck", "kind": "message", "text": {"*": "y"}, "next": "nowhere"})
    data["nodes"][2]["choices"][1]["next"] = "stuck"
    return Flow.model_validate(data)


def test_unreachable_dead_end_and_missing_nodes_are_highlighted() -> None:
    chart = mermaid(broken())
    assert "    class n_orphan unreachable\n" in chart
    assert "    class n_stuck deadend\n" in chart
    assert '    n_nowhere["nowhere (missing)"]:::missing\n' in chart
    assert "    n_stuck --> n_nowhere\n" in chart


def test_escape() -> None:
    assert escape('a "b" <c> {d} (e) [f] |g| #h `i`') == (
        "a #34;b#34; #60;c#62; #123;d#125; #40;e#41; #91;f#93; #124;g#124; #35;h #96;i#96;"
    )
    assert escape("line\nbreak   and  spaces") == "line break and spaces"
    assert escape("x" * 100, limit=10) == "xxxxxxxxx…"
