"""Change texts of a flow's YAML source in place, keeping everything else as written.

Flow files are read and reviewed by people: their comments explain the office's decisions,
and a translation import must show up in a review as the few lines it changed. So instead
of loading the YAML and dumping it again (which drops every comment and reflows every
text), this module edits the source text at the positions PyYAML's composer reports:

- a changed text replaces the old scalar, written in the same family of style (a plain or
  quoted scalar stays on its line, a `|-` or `>-` block stays a block);
- a missing language is added as a new key after the text's last language;
- a new language is appended to `languages`;
- the `translation_sources` map is rewritten as a whole (it is written by the import only).

Only comments inside a rewritten `translation_sources` block are lost. Callers parse the
result again and check it (dialogs.po does): this module never decides whether a flow is
valid.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field

import yaml

from dialogs.errors import Path

FOLD_WIDTH = 92
"""Longest line of a `>-` block this module writes (the intake's texts stay below 100)."""

_KEY = re.compile(r"^[a-z][a-z0-9_-]*$")


class PatchError(Exception):
    """The source cannot be edited this way (e.g. a text shared through a YAML alias)."""


@dataclass
class FlowPatch:
    texts: dict[Path, dict[str, str]] = field(default_factory=dict)
    """Path of a text mapping (language -> text) -> the languages to set."""
    add_language: str | None = None
    """A language code to append to `languages`."""
    translation_sources: dict[str, dict[str, str]] | None = None
    """The new `translation_sources` map; None leaves it as it is."""


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str


def apply(source: str, patch: FlowPatch) -> str:
    """`source` with `patch` applied."""
    root = yaml.compose(source, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        raise PatchError("the flow must be written as a block mapping (key: value per line)")
    nodes = _index(root)
    edits: list[_Edit] = []
    for path, values in patch.texts.items():
        node = nodes.get(path)
        if not isinstance(node, yaml.MappingNode):
            raise PatchError(f"no text mapping at {path}")
        edits.extend(_text_edits(source, node, values))
    if patch.add_language is not None:
        languages = nodes.get(("languages",))
        if not isinstance(languages, yaml.SequenceNode) or not languages.value:
            raise PatchError("the flow has no list of languages to add to")
        edits.append(_append_item(source, languages, patch.add_language))
    if patch.translation_sources is not None:
        edits.append(_sources_edit(source, root, patch.translation_sources))
    return _apply_edits(source, edits)


# ---------------------------------------------------------------- reading positions


def _index(root: yaml.Node) -> dict[Path, yaml.Node]:
    out: dict[Path, yaml.Node] = {}

    def walk(node: yaml.Node, path: Path, depth: int) -> None:
        out.setdefault(path, node)
        if depth > 50:  # the loader already refused anything deeper than a flow can be
            return
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, (*path, str(key.value)), depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i), depth + 1)

    walk(root, (), 0)
    return out


def _is_block(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.style in ("|", ">")


def _block_content_end(source: str, node: yaml.ScalarNode) -> int:
    """Index of the line break that ends a block scalar's last content line.

    PyYAML's end mark of a block scalar lies after its trailing empty lines."""
    span = source[node.start_mark.index : node.end_mark.index]
    content = len(span.rstrip(" \t\r\n"))
    brk = span.find("\n", content)
    return node.start_mark.index + (brk if brk >= 0 else len(span))


def _value_end(source: str, node: yaml.Node) -> int:
    """Where the last character of `node`'s own text ends (comments after it excluded)."""
    if isinstance(node, yaml.ScalarNode):
        return _block_content_end(source, node) if _is_block(node) else node.end_mark.index
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style:
        last = node.value[-1]
        return _value_end(source, last[1] if isinstance(node, yaml.MappingNode) else last)
    return int(node.end_mark.index)


def _line_end(source: str, index: int) -> int:
    brk = source.find("\n", index)
    return len(source) if brk < 0 else brk


# ---------------------------------------------------------------- writing scalars


def _plain_ok(value: str, in_flow: bool) -> bool:
    """Whether `value` reads back unchanged written as a plain scalar (conservative)."""
    if not value or value != value.strip() or "\n" in value or "\t" in value:
        return False
    if value[0] in "-?:,[]{}#&*!|>'\"%@`" or value.endswith(":"):
        return False
    if ": " in value or " #" in value:
        return False
    if in_flow and any(c in value for c in ",[]{}"):
        return False
    # Tried in its context (PyYAML reads `?` in a flow mapping as an indicator). SafeLoader
    # reads more words as non-text (yes, on, dates) than the flow loader: anything it keeps
    # as the same text is text for the flow loader too.
    document = f"{{k: {value}}}" if in_flow else f"k: {value}"
    try:
        return bool(yaml.safe_load(document) == {"k": value})
    except yaml.YAMLError:
        return False


def _quoted(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar and can hold any text.
    return json.dumps(value, ensure_ascii=False)


def _literal(value: str, indent: int) -> str | None:
    lines = value.split("\n")
    if value.endswith("\n") or value.startswith((" ", "\t")) or "\r" in value:
        return None
    if any(line != line.rstrip() for line in lines):
        return None
    pad = " " * indent
    return "|-" + "".join(f"\n{pad}{line}" if line else "\n" for line in lines)


def _folded(value: str, indent: int) -> str | None:
    words = value.split(" ")
    if "\n" in value or "\t" in value or "\r" in value or not all(words):
        return None  # line breaks, double or edge spaces do not survive folding
    width = max(FOLD_WIDTH - indent, 40)
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    pad = " " * indent
    return ">-" + "".join(f"\n{pad}{line}" for line in lines)


def _scalar(value: str, indent: int, *, in_flow: bool, style: str | None) -> str:
    """`value` as YAML, in the style family of the scalar it replaces (`style`)."""
    if not in_flow and style in ("|", ">"):
        block = _folded(value, indent) if style == ">" else None
        block = block or _literal(value, indent)
        if block is not None:
            return block
    if not in_flow and style is None and "\n" in value:
        block = _literal(value, indent)
        if block is not None:
            return block
    if style is None and _plain_ok(value, in_flow):
        return value
    return _quoted(value)


def _key(name: str) -> str:
    return name if _KEY.match(name) else _quoted(name)


# ---------------------------------------------------------------- edits


def _text_edits(source: str, mapping: yaml.MappingNode, values: dict[str, str]) -> list[_Edit]:
    edits = []
    present = {str(k.value): (k, v) for k, v in mapping.value}
    added = []
    for lang, value in values.items():
        if lang not in present:
            added.append((lang, value))
            continue
        key, old = present[lang]
        if not isinstance(old, yaml.ScalarNode):
            raise PatchError(f"the {lang} text at line {old.start_mark.line + 1} is not text")
        if old.value == value:
            continue
        text = _scalar(
            value, key.start_mark.column + 2, in_flow=bool(mapping.flow_style), style=old.style
        )
        end = _block_content_end(source, old) if _is_block(old) else old.end_mark.index
        edits.append(_Edit(old.start_mark.index, end, text))
    if added:
        edits.append(_insert_keys(source, mapping, added))
    return edits


def _insert_keys(source: str, mapping: yaml.MappingNode, items: list[tuple[str, str]]) -> _Edit:
    if mapping.flow_style:
        at = (
            _value_end(source, mapping.value[-1][1])
            if mapping.value
            else mapping.end_mark.index - 1
        )
        sep = ", " if mapping.value else ""
        text = sep + ", ".join(
            f"{_key(k)}: {_scalar(v, 0, in_flow=True, style=None)}" for k, v in items
        )
        return _Edit(at, at, text)
    _last_key, last_value = mapping.value[-1]
    column = mapping.value[0][0].start_mark.column
    at = _line_end(source, _value_end(source, last_value))
    text = "".join(
        f"\n{' ' * column}{_key(k)}: {_scalar(v, column + 2, in_flow=False, style=None)}"
        for k, v in items
    )
    return _Edit(at, at, text)


def _append_item(source: str, sequence: yaml.SequenceNode, item: str) -> _Edit:
    last = sequence.value[-1]
    if sequence.flow_style:
        at = _value_end(source, last)
        return _Edit(at, at, f", {_key(item)}")
    line_start = source.rfind("\n", 0, last.start_mark.index) + 1
    prefix = source[line_start : last.start_mark.index]  # e.g. "  - "
    at = _line_end(source, _value_end(source, last))
    return _Edit(at, at, f"\n{prefix}{_key(item)}")


SOURCES_COMMENT = (
    "# Written by the translation import (anlaufstelle flows import-po): for each language\n"
    "# and text, a short hash of the German text the translation was made from. A\n"
    "# translation whose source text has changed since is shown as outdated.\n"
)


def render_sources(sources: dict[str, dict[str, str]]) -> str:
    lines = ["translation_sources:"]
    for lang, hashes in sources.items():
        if not hashes:
            continue
        lines.append(f"  {_key(lang)}:")
        lines.extend(f"    {_quoted(text_id)}: {_quoted(h)}" for text_id, h in hashes.items())
    if len(lines) == 1:
        return "translation_sources: {}"
    return "\n".join(lines)


def _sources_edit(source: str, root: yaml.MappingNode, sources: dict[str, dict[str, str]]) -> _Edit:
    for key, value in root.value:
        if key.value == "translation_sources":
            end = _line_end(source, _value_end(source, value))
            return _Edit(key.start_mark.index, end, render_sources(sources))
    at = len(source)
    lead = "" if source.endswith("\n") else "\n"
    return _Edit(at, at, f"{lead}\n{SOURCES_COMMENT}{render_sources(sources)}\n")


def _apply_edits(source: str, edits: list[_Edit]) -> str:
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end or (after.start == before.start and after.end == before.end):
            line = source.count("\n", 0, after.start) + 1
            raise PatchError(
                f"two changes meet at line {line} (a text shared through a YAML alias?); "
                "edit this text by hand"
            )
    out = source
    for edit in reversed(ordered):
        out = out[: edit.start] + edit.text + out[edit.end :]
    return out
