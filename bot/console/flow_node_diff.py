"""What changed between two flow sources, node by node: the admin reads "Knoten in_danger:
text (Deutsch) vorher … nachher …" instead of hunting through a line diff.

Both sources are read as plain data (YAML, not validated: a draft may be broken); a source
that cannot be read yields None and the page shows only the line diff. Fields are named by
dotted paths as the validator names them (`choices[2].short.en`); a node is matched by its
id, so a moved node counts as unchanged.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from dialogs.errors import dotted

Status = Literal["added", "removed", "changed"]
WORDS: dict[Status, str] = {"added": "neu", "removed": "entfernt", "changed": "geändert"}


@dataclass(frozen=True)
class FieldChange:
    path: str
    old: str | None
    """None: the field is new."""
    new: str | None
    """None: the field was removed."""


@dataclass(frozen=True)
class NodeChange:
    node_id: str
    """A node's id, or a top-level section (`ui`, `crisis`, …) in brackets."""
    status: Status
    fields: tuple[FieldChange, ...]

    @property
    def word(self) -> str:
        return WORDS[self.status]


def node_changes(old_source: str, new_source: str) -> list[NodeChange] | None:
    old, new = _read(old_source), _read(new_source)
    if old is None or new is None:
        return None
    changes: list[NodeChange] = []
    old_nodes, new_nodes = _nodes(old), _nodes(new)
    for node_id in [*new_nodes, *(i for i in old_nodes if i not in new_nodes)]:
        before, after = old_nodes.get(node_id), new_nodes.get(node_id)
        if before is None:
            changes.append(NodeChange(node_id, "added", ()))
        elif after is None:
            changes.append(NodeChange(node_id, "removed", ()))
        elif fields := tuple(_fields((), before, after)):
            changes.append(NodeChange(node_id, "changed", fields))
    for key in [*new, *(k for k in old if k not in new)]:
        if key == "nodes":
            continue
        if fields := tuple(_fields((key,), old.get(key), new.get(key))):
            changes.append(NodeChange(f"({key})", "changed", fields))
    return changes


def _read(source: str) -> dict[str, Any] | None:
    try:
        data = YAML(typ="safe", pure=True).load(source)
    except YAMLError:
        return None
    return data if isinstance(data, dict) else None


def _nodes(data: dict[str, Any]) -> dict[str, Any]:
    nodes = data.get("nodes")
    if not isinstance(nodes, list):
        return {}
    found: dict[str, Any] = {}
    for i, node in enumerate(nodes):
        key = str(node.get("id")) if isinstance(node, dict) and "id" in node else f"#{i + 1}"
        found.setdefault(key, node)
    return found


def _fields(at: tuple[str | int, ...], old: Any, new: Any) -> Iterator[FieldChange]:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*new, *(k for k in old if k not in new)]:
            yield from _fields((*at, str(key)), old.get(key), new.get(key))
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from _fields((*at, i), a, b)
        return
    yield FieldChange(dotted(at), _shown(old), _shown(new))


def _shown(value: Any) -> str | None:
    """A value as an admin reads it: text as it is, anything else in YAML's short form."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    out = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = True
    yaml.dump(value, out)
    return out.getvalue().strip()
