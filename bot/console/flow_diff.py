"""A readable line diff of two flow sources, as rows for an accessible table.

Each changed line says what happened in words and with a sign ("+" added, a minus sign
removed), never by colour alone; unchanged stretches beyond the context fold into a "gap" row.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

Kind = Literal["same", "added", "removed", "gap"]
SIGNS: dict[Kind, str] = {"same": "", "added": "+", "removed": "\N{MINUS SIGN}", "gap": "…"}
WORDS: dict[Kind, str] = {
    "same": "unverändert",
    "added": "hinzugefügt",
    "removed": "entfernt",
    "gap": "unveränderte Zeilen ausgelassen",
}


@dataclass(frozen=True)
class DiffRow:
    kind: Kind
    old_line: int | None
    new_line: int | None
    text: str

    @property
    def sign(self) -> str:
        return SIGNS[self.kind]

    @property
    def word(self) -> str:
        return WORDS[self.kind]


def diff_rows(old: str, new: str, context: int = 3) -> list[DiffRow]:
    """The changed lines of `new` against `old` with `context` unchanged lines around them."""
    a, b = old.splitlines(), new.splitlines()
    if a == b:
        return []
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    groups = list(matcher.get_grouped_opcodes(context))
    for n, group in enumerate(groups):
        if n > 0 or group[0][1] > 0:
            rows.append(DiffRow("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [
                    DiffRow("same", i + 1, j1 + k + 1, a[i]) for k, i in enumerate(range(i1, i2))
                ]
                continue
            if tag in ("replace", "delete"):
                rows += [DiffRow("removed", i + 1, None, a[i]) for i in range(i1, i2)]
            if tag in ("replace", "insert"):
                rows += [DiffRow("added", None, j + 1, b[j]) for j in range(j1, j2)]
    if groups and (groups[-1][-1][2] < len(a) or groups[-1][-1][4] < len(b)):
        rows.append(DiffRow("gap", None, None, ""))
    return rows


def counts(rows: list[DiffRow]) -> tuple[int, int]:
    """(lines added, lines removed)."""
    return (
        sum(1 for r in rows if r.kind == "added"),
        sum(1 for r in rows if r.kind == "removed"),
    )
