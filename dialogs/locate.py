"""Which node and field a flow error is about, for editors that show errors beside a field.

The loader and validator report positions (line, column) because that is what a text editor
needs. A structured editor needs the node and the field instead. Every error is made by
`SourceMap.error(path)`, i.e. at the recorded position of a document path, so the position
leads back to the path: the deepest value starting there (or, for errors about a key such as
an unknown one, the deepest key written there).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dialogs.errors import FlowError, Path, Position, SourceMap, dotted
from dialogs.loader import source_map


@dataclass(frozen=True)
class Located:
    error: FlowError
    node_index: int | None
    """Index in `nodes` of the node the error is about; None for flow-level errors."""
    node_id: str | None
    """That node's id as written (None when the node has no readable id)."""
    field: str
    """The field, dotted from the node (e.g. `choices[1].label`), or from the document root
    for flow-level errors (e.g. `crisis.words`); empty for the node (or flow) as a whole."""


def _paths_at(src: SourceMap) -> tuple[dict[Position, Path], dict[Position, Path]]:
    """Position -> deepest path whose value (first map) or key (second) starts there."""
    values: dict[Position, Path] = {}
    keys: dict[Position, Path] = {}
    for table, out in ((src.values, values), (src.keys, keys)):
        for path, pos in table.items():
            if pos not in out or len(path) > len(out[pos]):
                out[pos] = path
    return values, keys


def _node_id(data: Any, index: int) -> str | None:
    if isinstance(data, dict) and isinstance(data.get("nodes"), list):
        nodes = data["nodes"]
        if 0 <= index < len(nodes) and isinstance(nodes[index], dict):
            value = nodes[index].get("id")
            return value if isinstance(value, str) else None
    return None


def locate_path(data: Any, path: Path) -> tuple[int | None, str | None, str]:
    """(node index, node id, field) of a document path."""
    if len(path) >= 2 and path[0] == "nodes" and isinstance(path[1], int):
        return path[1], _node_id(data, path[1]), dotted(path[2:]) if len(path) > 2 else ""
    return None, None, dotted(path) if path else ""


def locate(text: str, filename: str, errors: Iterable[FlowError]) -> list[Located]:
    """Each error of `text` with the node and field it concerns, where that can be known."""
    data, src = source_map(text, filename)
    values, keys = _paths_at(src)
    out = []
    for error in errors:
        pos = Position(error.line, error.column)
        path = values.get(pos, keys.get(pos))
        if path is None:
            out.append(Located(error, None, None, ""))
            continue
        index, node_id, field = locate_path(data, path)
        out.append(Located(error, index, node_id, field))
    return out
