"""Errors in a flow file, with the file:line:column an admin needs to fix them.

`SourceMap` is the bridge between the YAML text and the parsed `Flow`: the loader fills it
while walking the composed YAML tree, and the validator looks up where an offending item was
written. Paths are the keys and list indices from the document root, e.g.
`("nodes", 3, "choices", 0, "label")`, the same shape as a pydantic error `loc`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from dialogs.messages import Params, english

PathItem = str | int
Path = tuple[PathItem, ...]


@dataclass(frozen=True)
class FlowError:
    """One problem in a flow file. `line` and `column` are 1-based, as editors show them.

    `message` is English; `code` and `params` say the same for a tool that words it in
    another language (see `dialogs.messages`). An error without a code (one made outside
    the loader and validator) has only its English message.
    """

    file: str
    line: int
    column: int
    message: str
    code: str | None = None
    params: Params = ()

    @classmethod
    def of(cls, file: str, pos: Position, code: str, **params: str | int) -> FlowError:
        """The error `code` at `pos`, its English message filled in from `params`."""
        values = tuple(params.items())
        return cls(file, pos.line, pos.column, english(code, values), code, values)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class FlowErrors(Exception):
    """Every problem found in one flow file, in the order they appear in it."""

    def __init__(self, errors: Iterable[FlowError]) -> None:
        self.errors: list[FlowError] = sorted(
            errors, key=lambda e: (e.file, e.line, e.column, e.message)
        )
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


@dataclass(frozen=True)
class Position:
    line: int
    column: int
    """Both 1-based."""


START = Position(1, 1)


@dataclass
class SourceMap:
    """Where each key and value of a flow document was written.

    `values[path]` is where the value at `path` starts; `keys[path]` is where the mapping key
    that leads to it was written (absent for list items and the root). A flow built in code
    has an empty map, so every lookup falls back to line 1, column 1.
    """

    file: str
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)

    def at(self, path: Path, *, key: bool = False) -> Position:
        """Position of the key (or value) at `path`, else of its nearest known ancestor."""
        if key and path in self.keys:
            return self.keys[path]
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return START

    def error(self, path: Path, code: str, *, key: bool = False, **params: str | int) -> FlowError:
        """The error `code` (see `dialogs.messages`) at the key or value at `path`."""
        return FlowError.of(self.file, self.at(path, key=key), code, **params)


ROOT = "the flow"
"""What `dotted` calls the document root; a tool in another language replaces it."""


def dotted(path: Path) -> str:
    """`("nodes", 3, "text")` -> `nodes[3].text`, the way an admin would name it."""
    out = ""
    for item in path:
        if isinstance(item, int):
            out += f"[{item}]"
        else:
            out += f".{item}" if out else item
    return out or ROOT
