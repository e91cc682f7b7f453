"""Read a flow from YAML and report every problem with its file:line:column.

The YAML is composed (never loaded into arbitrary objects) with a SafeLoader subclass, then
turned into plain data by walking the node tree, which also records where each key and value
was written and finds duplicate keys (PyYAML would silently keep the last one). Pydantic
validation errors and the semantic checks of `dialogs.validate` are mapped back to those
positions, so an admin sees all problems of a file at once.

Scalars follow YAML 1.2 rather than PyYAML's 1.1: only true/false are booleans, so `yes:`,
`no:` (the yes_no node's fields, the Norwegian language code) and `on`/`off` stay text, and
dates stay text too.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from dialogs.errors import START, FlowError, FlowErrors, Path, Position, SourceMap, dotted
from dialogs.messages import Params
from dialogs.model import Flow
from dialogs.validate import validate_flow

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"

MAX_NODES = 200_000
"""Upper bound on values built from one document; aliases could otherwise expand a small
file into an enormous one (the "billion laughs" attack)."""


class _FlowLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and no timestamps (see the module docstring)."""


_FlowLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_FlowLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _pos(mark: yaml.Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)


# ---------------------------------------------------------------- YAML -> data + positions


@dataclass
class _Builder:
    """Turns a composed YAML tree into plain data, recording positions and problems."""

    loader: _FlowLoader
    src: SourceMap
    errors: list[FlowError] = field(default_factory=list)
    count: int = 0

    def error(self, mark: yaml.Mark, code: str, **params: str | int) -> None:
        self.errors.append(FlowError.of(self.src.file, _pos(mark), code, **params))

    def build(self, node: yaml.Node, path: Path, active: frozenset[int]) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge(node.start_mark)
        self.src.values.setdefault(path, _pos(node.start_mark))
        if id(node) in active:
            self.error(node.start_mark, "alias_loop")
            return None
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, active | {id(node)})
        if isinstance(node, yaml.SequenceNode):
            return self.sequence(node, path, active | {id(node)})
        return self.scalar(node)

    def mapping(self, node: yaml.MappingNode, path: Path, active: frozenset[int]) -> Any:
        if node.tag != _MAP_TAG:
            self.error(node.start_mark, "tag_not_allowed", tag=node.tag)
        out: dict[str, Any] = {}
        first: dict[str, yaml.Mark] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node)
            if key is None:
                continue
            if key in first:
                line = first[key].line + 1
                self.error(key_node.start_mark, "duplicate_key", name=key, line=line)
            else:
                first[key] = key_node.start_mark
            self.src.keys.setdefault((*path, key), _pos(key_node.start_mark))
            out[key] = self.build(value_node, (*path, key), active)
        return out

    def key(self, node: yaml.Node) -> str | None:
        if node.tag == "tag:yaml.org,2002:merge":
            self.error(node.start_mark, "merge_key")
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.error(node.start_mark, "key_not_text")
            return None
        # Keys are names (fields, language codes, answer values): always text, as written.
        return str(node.value)

    def sequence(self, node: yaml.SequenceNode, path: Path, active: frozenset[int]) -> Any:
        if node.tag != _SEQ_TAG:
            self.error(node.start_mark, "tag_not_allowed", tag=node.tag)
        return [self.build(item, (*path, i), active) for i, item in enumerate(node.value)]

    def scalar(self, node: yaml.Node) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            self.error(
                exc.problem_mark or node.start_mark, "yaml_value", detail=exc.problem or str(exc)
            )
            return None


class _TooLarge(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        self.mark = mark


def _compose(text: str, src: SourceMap) -> tuple[Any, list[FlowError]]:
    """Plain data of the document and the YAML-level problems (syntax, duplicate keys)."""
    try:
        # The reader checks for unprintable characters as soon as it is built.
        loader = _FlowLoader(text)
    except yaml.reader.ReaderError as exc:
        pos = _offset_position(text, exc.position)
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        found = FlowError.of(
            src.file, pos, "invalid_character", char=f"{char:04x}", reason=exc.reason
        )
        return None, [found]
    try:
        root = loader.get_single_node()
        if root is None:
            return None, [src.error((), "empty_file")]
        builder = _Builder(loader, src)
        return builder.build(root, (), frozenset()), builder.errors
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = _pos(mark) if mark is not None else Position(1, 1)
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{exc.context}: {problem}" if exc.problem else exc.context
        return None, [FlowError.of(src.file, pos, "yaml_syntax", detail=problem)]
    except _TooLarge as exc:
        return None, [FlowError.of(src.file, _pos(exc.mark), "too_large", max=MAX_NODES)]
    finally:
        loader.dispose()


def _offset_position(text: str, offset: int) -> Position:
    before = text[:offset]
    return Position(before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


# ---------------------------------------------------------------- pydantic errors


def _locate(data: Any, loc: tuple[int | str, ...]) -> tuple[Path, bool]:
    """The document path of a pydantic `loc`, and whether it names a key.

    Pydantic adds union tags to `loc` (the node kind of a discriminated union, 'str' or
    'list[str]' of a plain union) that are not in the document: they are skipped because
    they are not keys or indices of the data at that point. A trailing missing field is
    skipped the same way, which leaves the path of the enclosing mapping.
    """
    path: list[str | int] = []
    cur = data
    for item in loc:
        if item == "[key]":
            return tuple(path), True
        if _has(cur, item):
            cur = cur[item]
            path.append(item)
    return tuple(path), False


def _has(data: Any, item: int | str) -> bool:
    if isinstance(data, dict):
        return isinstance(item, str) and item in data
    return isinstance(data, list) and isinstance(item, int) and 0 <= item < len(data)


def _describe(err: ErrorDetails, path: Path) -> tuple[Path, bool, str, Params]:
    """(path, at the key?, code, params) for one pydantic error other than a missing key."""
    kind = err["type"]
    if kind == "extra_forbidden":
        return path, True, "unknown_key", (("name", str(path[-1])), ("where", dotted(path[:-1])))
    if kind == "union_tag_not_found":
        return path, False, "no_kind", (("where", dotted(path)),)
    if kind == "union_tag_invalid":
        tags = err.get("ctx", {}).get("expected_tags", "")
        return (*path, "kind"), False, "unknown_kind", (("kinds", str(tags)),)
    # Pydantic's own wording (English) is the detail: its error types are too many to word
    # each one for an admin, and the field it names is what they need first.
    return path, False, "schema", (("field", dotted(path)), ("detail", err["msg"]))


def _validation_errors(exc: ValidationError, data: Any, src: SourceMap) -> list[FlowError]:
    missing: dict[Path, list[str]] = {}
    found: dict[tuple[Path, bool], list[tuple[str, Params]]] = {}
    for err in exc.errors():
        path, is_key = _locate(data, err["loc"])
        if err["type"] == "missing":
            missing.setdefault(path, []).append(str(err["loc"][-1]))
            continue
        path, is_key, code, params = _describe(err, path)
        same = found.setdefault((path, is_key), [])
        if (code, params) not in same:
            same.append((code, params))
    out = [
        src.error(
            path,
            "missing_key" if len(keys) == 1 else "missing_keys",
            where=dotted(path),
            names=", ".join(keys),
        )
        for path, keys in missing.items()
    ]
    for (path, is_key), items in found.items():
        if len(items) > 1 and all(code == "schema" for code, _ in items):
            # Members of a plain union (e.g. `str | list[str]`) fail separately at the same
            # place: one error says why each of them did not fit.
            details = "; or ".join(str(dict(params)["detail"]) for _, params in items)
            out.append(src.error(path, "schema", key=is_key, field=dotted(path), detail=details))
            continue
        out += [src.error(path, code, key=is_key, **dict(params)) for code, params in items]
    return out


# ---------------------------------------------------------------- public API


def check_flow(
    text: str, filename: str, *, complete: bool = True
) -> tuple[Flow | None, list[FlowError]]:
    """Every problem of a flow, in document order, and the flow itself whenever its structure
    is sound (also when the semantic checks failed: an editor can still draw a flow with a
    broken reference, to show where it breaks).

    `complete=False` checks the YAML and the structure only, not `dialogs.validate`: the
    translation tools read a flow that still lacks the texts of a language being added.
    """
    src = SourceMap(filename)
    data, errors = _compose(text, src)
    if data is None and errors:
        return None, FlowErrors(errors).errors
    if not isinstance(data, dict):
        return None, FlowErrors([*errors, src.error((), "not_mapping")]).errors
    try:
        flow = Flow.model_validate(data)
    except ValidationError as exc:
        return None, FlowErrors([*errors, *_validation_errors(exc, data, src)]).errors
    if complete:
        errors.extend(validate_flow(flow, src))
    return flow, FlowErrors(errors).errors


def parse_flow(text: str, filename: str, *, complete: bool = True) -> Flow:
    """Parse and validate a flow; raise FlowErrors listing every problem found.

    `complete=False`: see check_flow."""
    flow, errors = check_flow(text, filename, complete=complete)
    if errors or flow is None:
        raise FlowErrors(errors)
    return flow


def source_map(text: str, filename: str) -> tuple[Any, SourceMap]:
    """The plain data of a flow document and where each key and value was written, for
    tools that point an admin at the node and field of an error (see dialogs.locate).
    The data is None when the YAML cannot be read at all."""
    src = SourceMap(filename)
    data, _ = _compose(text, src)
    return data, src


def load_flow(path: str | os.PathLike[str], *, complete: bool = True) -> Flow:
    """Read a flow file; unreadable files are reported as a FlowError at line 1, column 1.
    `complete=False`: see check_flow."""
    name = os.fspath(path)
    return parse_flow(_read(name), name, complete=complete)


def _read(name: str) -> str:
    try:
        raw = FsPath(name).read_bytes()
    except OSError as exc:
        detail = exc.strerror or str(exc)
        raise FlowErrors([FlowError.of(name, START, "cannot_read", detail=detail)]) from None
    try:
        # utf-8-sig drops a byte order mark, which editors do not count as a column.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FlowErrors([FlowError.of(name, START, "not_utf8", line=line)]) from None
