"""A flow drawn as SVG on the server: the same graph as `anlaufstelle flows diagram`.

Pure (no I/O): `layout` places the nodes in rows by their breadth-first depth from `start`
(the order a person meets them), `svg` draws boxes, arrows and labels, and `outline` gives
the same graph as data for the text alternative beside the picture. Edges come from
`dialogs.validate.edges` and the highlighting from `dialogs.validate.analyse`, so drawing,
Mermaid chart and validator never disagree.

Unreachable nodes, dead ends and references to missing nodes are marked by a dashed or double
border, a hatch pattern AND a written label, never by colour alone. Colours are classes
(`fd-...`) that the page's style sheet sets, so the drawing follows light and dark mode and
needs no inline style (the console's CSP forbids it).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from xml.sax.saxutils import escape as _xml

from dialogs.diagram import edge_label
from dialogs.model import BranchNode, Flow
from dialogs.validate import analyse, edges

BOX_W = 200
BOX_H = 76
GAP_X = 36
GAP_Y = 64
MARGIN = 24
PER_ROW = 5
"""A BFS layer wider than this wraps onto further rows, so the drawing stays readable."""
TEXT_CHARS = 26

LABELS: Mapping[str, str] = {
    "unreachable": "unreachable",
    "dead_end": "dead end",
    "missing": "missing",
    "start": "start",
    "title": "Diagram of flow {flow}",
    "desc": "{nodes} nodes, {edges} transitions, from start node {start}. {problems}",
    "no_problems": "Every node can be reached and leads to a handover or end.",
    "problems": "Unreachable: {unreachable}. Dead ends: {dead_ends}. Missing: {missing}.",
    "none": "none",
}
"""Default (English) words; the console passes German ones."""


@dataclass(frozen=True)
class Target:
    node_id: str
    label: str | None


@dataclass(frozen=True)
class OutlineNode:
    """One node as the text alternative lists it."""

    node_id: str
    kind: str
    text: str
    unreachable: bool
    dead_end: bool
    missing: bool
    targets: tuple[Target, ...]


@dataclass
class Box:
    node: OutlineNode
    x: int
    y: int
    row: int


@dataclass
class Layout:
    boxes: dict[str, Box] = field(default_factory=dict)
    width: int = 0
    height: int = 0


def _short(text: str, limit: int = TEXT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def outline(flow: Flow, language: str | None = None) -> list[OutlineNode]:
    """Every node (and every missing target) with its next nodes, in document order."""
    lang = language if language in flow.languages else flow.default_language
    result = analyse(flow)
    known = {n.id for n in flow.nodes}
    targets: dict[str, list[Target]] = {}
    for edge in edges(flow):
        found = targets.setdefault(edge.source, [])
        label = edge_label(flow, edge, lang)
        same = [t for t in found if t.node_id == edge.target]
        if same:
            if label and same[0].label and label not in same[0].label:
                found[found.index(same[0])] = Target(edge.target, f"{same[0].label} / {label}")
            continue
        found.append(Target(edge.target, label))
    out: list[OutlineNode] = []
    seen: set[str] = set()
    for node in flow.nodes:
        if node.id in seen:  # a duplicate id is drawn once; the validator reports it
            continue
        seen.add(node.id)
        text = "" if isinstance(node, BranchNode) else flow.text(node.text, lang)
        out.append(
            OutlineNode(
                node.id,
                node.kind,
                text,
                unreachable=node.id not in result.reachable,
                dead_end=node.id in result.dead_ends,
                missing=False,
                targets=tuple(targets.get(node.id, ())),
            )
        )
    referenced = [flow.start] + [e.target for e in edges(flow)]
    for node_id in dict.fromkeys(referenced):
        if node_id not in known:
            out.append(OutlineNode(node_id, "", "", False, False, True, ()))
    return out


def _depths(flow: Flow, nodes: list[OutlineNode]) -> dict[str, int]:
    succ = {n.node_id: [t.node_id for t in n.targets] for n in nodes}
    depth = {flow.start: 0} if flow.start in succ else {}
    queue = deque(depth)
    while queue:
        cur = queue.popleft()
        for nxt in succ.get(cur, ()):
            if nxt not in depth:
                depth[nxt] = depth[cur] + 1
                queue.append(nxt)
    return depth


def layout(flow: Flow, nodes: list[OutlineNode]) -> Layout:
    """Rows by BFS depth from start (wrapped at PER_ROW); nodes the start cannot reach go in
    rows of their own below, in document order."""
    depth = _depths(flow, nodes)
    layers: dict[int, list[OutlineNode]] = {}
    for node in nodes:
        if node.node_id in depth:
            layers.setdefault(depth[node.node_id], []).append(node)
    rows: list[list[OutlineNode]] = []
    for level in sorted(layers):
        members = layers[level]
        rows += [members[i : i + PER_ROW] for i in range(0, len(members), PER_ROW)]
    rest = [n for n in nodes if n.node_id not in depth]
    rows += [rest[i : i + PER_ROW] for i in range(0, len(rest), PER_ROW)]
    widest = max((len(r) for r in rows), default=1)
    width = 2 * MARGIN + widest * BOX_W + (widest - 1) * GAP_X
    out = Layout(width=width, height=2 * MARGIN + len(rows) * (BOX_H + GAP_Y) - GAP_Y)
    for r, members in enumerate(rows):
        span = len(members) * BOX_W + (len(members) - 1) * GAP_X
        left = (width - span) // 2
        for i, node in enumerate(members):
            x = left + i * (BOX_W + GAP_X)
            out.boxes[node.node_id] = Box(node, x, MARGIN + r * (BOX_H + GAP_Y), r)
    return out


def _flags(node: OutlineNode, labels: Mapping[str, str]) -> list[str]:
    flags = []
    if node.missing:
        flags.append(labels["missing"])
    if node.unreachable:
        flags.append(labels["unreachable"])
    if node.dead_end:
        flags.append(labels["dead_end"])
    return flags


def _edge_path(a: Box, b: Box) -> str:
    if b.row > a.row:  # downwards: bottom centre to top centre
        x1, y1 = a.x + BOX_W // 2, a.y + BOX_H
        x2, y2 = b.x + BOX_W // 2, b.y
        mid = (y1 + y2) // 2
        return f"M{x1},{y1} C{x1},{mid} {x2},{mid} {x2},{y2 - 2}"
    # Back or sideways (a loop, "back to the question"): out of the right side and round.
    x1, y1 = a.x + BOX_W, a.y + BOX_H // 2
    x2, y2 = b.x + BOX_W, b.y + BOX_H // 2
    bend = max(x1, x2) + GAP_X
    return f"M{x1},{y1} C{bend},{y1} {bend},{y2} {x2 + 2},{y2}"


def svg(
    flow: Flow,
    language: str | None = None,
    *,
    labels: Mapping[str, str] = LABELS,
    id_prefix: str = "fd",
) -> str:
    """The flow as an accessible SVG document fragment (role="img", title and desc)."""
    nodes = outline(flow, language)
    placed = layout(flow, nodes)
    p = _xml(id_prefix)
    bad = [n for n in nodes if _flags(n, labels)]

    def names(pick: str) -> str:
        found = [n.node_id for n in nodes if getattr(n, pick)]
        return ", ".join(found) or labels["none"]

    n_edges = sum(len(n.targets) for n in nodes)
    problems = (
        labels["problems"].format(
            unreachable=names("unreachable"), dead_ends=names("dead_end"), missing=names("missing")
        )
        if bad
        else labels["no_problems"]
    )
    title = labels["title"].format(flow=flow.id)
    desc = labels["desc"].format(
        nodes=len([n for n in nodes if not n.missing]),
        edges=n_edges,
        start=flow.start,
        problems=problems,
    )
    w, h = placed.width + GAP_X * 2, placed.height
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flow-diagram" role="img" '
        f'viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        f'aria-labelledby="{p}-title {p}-desc">',
        f'<title id="{p}-title">{_xml(title)}</title>',
        f'<desc id="{p}-desc">{_xml(desc)}</desc>',
        "<defs>",
        f'<marker id="{p}-arrow" class="fd-arrowhead" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z"/></marker>',
        f'<pattern id="{p}-hatch" class="fd-hatch" width="8" height="8" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<line x1="0" y1="0" x2="0" y2="8"/></pattern>',
        "</defs>",
    ]
    for node in nodes:
        a = placed.boxes[node.node_id]
        for target in node.targets:
            b = placed.boxes.get(target.node_id)
            if b is not None:
                out.append(
                    f'<path class="fd-edge" d="{_edge_path(a, b)}" marker-end="url(#{p}-arrow)"/>'
                )
    start = placed.boxes.get(flow.start)
    if start is not None:
        x = start.x + BOX_W // 2
        out.append(
            f'<path class="fd-edge" d="M{x},{start.y - MARGIN + 4} L{x},{start.y - 2}" '
            f'marker-end="url(#{p}-arrow)"/>'
        )
    for node in nodes:
        out.append(_box(placed.boxes[node.node_id], labels, p))
    out.append("</svg>")
    return "\n".join(out)


def _box(box: Box, labels: Mapping[str, str], p: str) -> str:
    node = box.node
    flags = _flags(node, labels)
    classes = ["fd-node", f"fd-kind-{node.kind or 'missing'}"]
    classes += [
        f"fd-{name}"
        for name, on in (
            ("missing", node.missing),
            ("unreachable", node.unreachable),
            ("dead-end", node.dead_end),
        )
        if on
    ]
    x, y = box.x, box.y
    parts = [f'<g class="{" ".join(classes)}">']
    parts.append(f'<rect class="fd-box" x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6"/>')
    if flags:
        parts.append(
            f'<rect class="fd-hatched" x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" '
            f'rx="6" fill="url(#{p}-hatch)"/>'
        )
    if node.dead_end:  # a second, inner border: visible without colour
        parts.append(
            f'<rect class="fd-inner" x="{x + 4}" y="{y + 4}" width="{BOX_W - 8}" '
            f'height="{BOX_H - 8}" rx="4"/>'
        )
    lines = [(f"{node.node_id}", "fd-id")]
    lines.append((node.kind or labels["missing"], "fd-kind"))
    if node.text:
        lines.append((_short(node.text), "fd-text"))
    if flags:
        lines.append(("⚠ " + ", ".join(flags), "fd-flag"))
    # The labels in a viewport of the box's size: a long word is cut at the border, never
    # drawn across it (an estimate of glyph widths cannot know the reader's font).
    parts.append(f'<svg x="{x + 10}" y="{y}" width="{BOX_W - 16}" height="{BOX_H}">')
    for i, (text, cls) in enumerate(lines[:4]):
        parts.append(
            f'<text class="{cls}" x="0" y="{18 + i * 17}">{_xml(_short(text, TEXT_CHARS))}</text>'
        )
    parts.append("</svg></g>")
    return "".join(parts)
