"""Every translatable text of a flow, with a stable id, and the state of its translations.

A text's **id** names it by what it is, not by where it is written, so ids survive reordering
nodes or choices: `title`, `ui:<key>`, `crisis:message`, `node:<node>:text`,
`node:<node>:choice:<choice>`, `node:<node>:option:<bucket>`, `node:<node>:yes|no|accept|decline`.

The **source** of a text is its default-language version; the other languages are its
translations. A translation is

- *missing* when the language has no (or an empty) text,
- *outdated* when `flow.translation_sources` records a hash of the source it was made from
  and the current source no longer has that hash (someone changed the German text since),
- *unreviewed* when its language is listed in `flow.unreviewed` (no speaker of the language
  has read it yet),
- *ok* otherwise (also when nothing is recorded: old flows have no record, see
  docs/flow-format.md).

Not listed: texts written once under `"*"` (the same in every language) and the crisis
words, which are not translations of each other but each language's own list, written by a
native speaker (docs/flow-format.md, "Crisis words").

Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from dialogs.errors import Path
from dialogs.model import (
    ANY_LANGUAGE,
    Flow,
    Text,
    node_texts,
)

HASH_LENGTH = 8
"""Hex digits of the source hash: enough to notice a change, short enough to read."""


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:HASH_LENGTH]


class Status(StrEnum):
    OK = "ok"
    MISSING = "missing"
    OUTDATED = "outdated"
    UNREVIEWED = "unreviewed"


@dataclass(frozen=True)
class Entry:
    """One translatable text."""

    id: str
    path: Path
    """Where the text's mapping (language -> text) is written, from the document root."""
    text: Text
    source: str
    """The default-language text ('' when even that is missing)."""

    def translation(self, language: str) -> str:
        return self.text.get(language, "")


@dataclass(frozen=True)
class Cell:
    language: str
    text: str
    status: Status


@dataclass(frozen=True)
class Row:
    entry: Entry
    cells: tuple[Cell, ...]
    """One per translated language (every language but the default), in flow order."""

    @property
    def has_problem(self) -> bool:
        return any(c.status is not Status.OK for c in self.cells)


def entries(flow: Flow) -> list[Entry]:
    """Every translatable text of `flow`, in document order."""
    out = []
    for text_id, path, text in _texts(flow):
        if ANY_LANGUAGE in text:
            continue
        out.append(Entry(text_id, path, text, text.get(flow.default_language, "")))
    return out


def translated_languages(flow: Flow) -> list[str]:
    return [lang for lang in flow.languages if lang != flow.default_language]


def status(flow: Flow, entry: Entry, language: str) -> Status:
    if not entry.translation(language):
        return Status.MISSING
    made_from = flow.translation_sources.get(language, {}).get(entry.id)
    if made_from is not None and made_from != source_hash(entry.source):
        return Status.OUTDATED
    if language in flow.unreviewed:
        return Status.UNREVIEWED
    return Status.OK


def table(flow: Flow) -> list[Row]:
    """The translation table: one row per text, one cell per translated language."""
    languages = translated_languages(flow)
    return [
        Row(
            entry,
            tuple(
                Cell(lang, entry.translation(lang), status(flow, entry, lang)) for lang in languages
            ),
        )
        for entry in entries(flow)
    ]


def counts(rows: list[Row]) -> dict[str, dict[Status, int]]:
    """Language -> status -> number of texts."""
    out: dict[str, dict[Status, int]] = {}
    for row in rows:
        for cell in row.cells:
            per = out.setdefault(cell.language, dict.fromkeys(Status, 0))
            per[cell.status] += 1
    return out


@dataclass(frozen=True)
class Gaps:
    """What people in other languages would not get right if `flow` were published now:
    texts whose translation is outdated (they read the old meaning) or missing (they read
    the default language). Unreviewed translations are not counted: they say the same."""

    texts: int
    """Texts with at least one outdated or missing translation."""
    languages: dict[str, dict[Status, int]]
    """Language -> {OUTDATED: n, MISSING: m}, only languages with any, in flow order."""

    def __bool__(self) -> bool:
        return self.texts > 0


def gaps(flow: Flow) -> Gaps:
    wanted = (Status.OUTDATED, Status.MISSING)
    rows = table(flow)
    per: dict[str, dict[Status, int]] = {}
    for row in rows:
        for cell in row.cells:
            if cell.status in wanted:
                per.setdefault(cell.language, dict.fromkeys(wanted, 0))[cell.status] += 1
    texts = sum(1 for row in rows if any(c.status in wanted for c in row.cells))
    order = translated_languages(flow)
    return Gaps(texts, {lang: per[lang] for lang in order if lang in per})


def _texts(flow: Flow) -> Iterator[tuple[str, Path, Text]]:
    yield "title", ("title",), flow.title
    for key, text in flow.ui.items():
        yield f"ui:{key}", ("ui", key), text
    yield "crisis:message", ("crisis", "message"), flow.crisis.message
    if flow.crisis.talk_now is not None:
        for key in ("talk", "go_on", "open", "closed", "code_shown"):
            text = getattr(flow.crisis.talk_now, key)
            yield f"crisis:talk_now:{key}", ("crisis", "talk_now", key), text
    for i, node in enumerate(flow.nodes):
        for suffix, rel, text in node_texts(node):
            yield f"node:{node.id}:{suffix}", ("nodes", i, *rel), text
