"""A Mermaid `flowchart TD` of a flow, for `anlaufstelle flows diagram` and the flow editor.

Every node and transition is drawn (edges come from `dialogs.validate.edges`, highlighting
from `dialogs.validate.analyse`, so the drawing and the validator never disagree). Node ids
are prefixed because Mermaid reserves words such as `end`; all label text is escaped with
Mermaid entity codes so quotes, brackets and pipes in a flow's texts cannot break the chart.
"""

from __future__ import annotations

from dialogs.model import (
    BranchNode,
    Condition,
    ConsentNode,
    CrisisCheckNode,
    EndNode,
    Flow,
    HandoverNode,
    MessageNode,
    Node,
    YesNoNode,
)
from dialogs.validate import Edge, analyse, edges

MAX_LABEL = 60
"""Longer texts are cut: the chart shows structure, not the full wording."""

_ESCAPED = set('"#<>[](){}|`\\')

_SHAPES: dict[type, tuple[str, str]] = {
    MessageNode: ('["', '"]'),
    BranchNode: ('{"', '"}'),
    HandoverNode: ('[["', '"]]'),
    EndNode: ('(["', '"])'),
    CrisisCheckNode: ('{{"', '"}}'),
    YesNoNode: ('[/"', '"/]'),
    ConsentNode: ('[/"', '"/]'),
}
_INPUT_SHAPE = ('[/"', '"/]')
"""Parallelogram: the node waits for the person."""

_CLASSES = (
    "classDef unreachable fill:#eeeeee,stroke:#888888,stroke-dasharray:5 5,color:#555555",
    "classDef deadend fill:#ffdddd,stroke:#cc0000,stroke-width:2px",
    "classDef missing fill:#ffffff,stroke:#cc0000,stroke-dasharray:3 3,color:#cc0000",
)


def escape(text: str, limit: int = MAX_LABEL) -> str:
    """Label text safe inside a quoted Mermaid label: one line, special characters as
    entity codes (`#34;`), cut to `limit` characters."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return "".join(f"#{ord(ch)};" if ch in _ESCAPED else ch for ch in flat)


def _mermaid_id(node_id: str) -> str:
    return f"n_{node_id}"


def _node_line(flow: Flow, node: Node, language: str) -> str:
    opening, closing = _SHAPES.get(type(node), _INPUT_SHAPE)
    summary = f"{node.id} ({node.kind})"
    if not isinstance(node, BranchNode):
        summary += "<br/>" + escape(flow.text(node.text, language))
    # The id and kind never need escaping: the flow model restricts them to [a-z0-9_].
    return f"    {_mermaid_id(node.id)}{opening}{summary}{closing}"


def _condition(cond: Condition) -> str:
    if cond.value is None:
        return f"{cond.field} {cond.op}"
    value = ", ".join(cond.value) if isinstance(cond.value, list) else cond.value
    return f"{cond.field} {cond.op} {value}"


def edge_label(flow: Flow, edge: Edge, language: str) -> str | None:
    if edge.label is not None:
        return flow.text(edge.label, language)
    if edge.conditions:
        return " and ".join(_condition(c) for c in edge.conditions)
    if edge.otherwise:
        return "otherwise"
    return None


def _edge_lines(flow: Flow, language: str) -> list[str]:
    # Choices that lead to the same node share one arrow, their labels joined.
    labels: dict[tuple[str, str], list[str]] = {}
    for edge in edges(flow):
        found = labels.setdefault((edge.source, edge.target), [])
        label = edge_label(flow, edge, language)
        if label is not None and label not in found:
            found.append(label)
    lines = []
    for (source, target), found in labels.items():
        arrow = f'-->|"{escape(" / ".join(found))}"|' if found else "-->"
        lines.append(f"    {_mermaid_id(source)} {arrow} {_mermaid_id(target)}")
    return lines


def mermaid(flow: Flow, language: str | None = None) -> str:
    """The flow as Mermaid source; texts in `language` (default: the flow's default)."""
    lang = language if language is not None and language in flow.languages else None
    lang = lang or flow.default_language
    known = {n.id for n in flow.nodes}
    lines = ["flowchart TD", f'    start_(("start")) --> {_mermaid_id(flow.start)}']
    drawn: set[str] = set()
    for node in flow.nodes:
        if node.id not in drawn:  # a duplicate id is drawn once; the validator reports it
            drawn.add(node.id)
            lines.append(_node_line(flow, node, lang))
    lines += _edge_lines(flow, lang)
    missing = sorted({e.target for e in edges(flow)} - known | ({flow.start} - known))
    for node_id in missing:
        lines.append(f'    {_mermaid_id(node_id)}["{node_id} (missing)"]:::missing')
    lines += ["    " + c for c in _CLASSES]
    result = analyse(flow)
    unreachable = [n for n in sorted(drawn) if n not in result.reachable]
    dead_ends = [n for n in sorted(drawn) if n in result.dead_ends]
    for name, ids in (("unreachable", unreachable), ("deadend", dead_ends)):
        if ids:
            lines.append(f"    class {','.join(_mermaid_id(i) for i in ids)} {name}")
    return "\n".join(lines) + "\n"
