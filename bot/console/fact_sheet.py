"""The intake's answers as a counsellor grasps them at a glance: in the order they were
asked, under short labels, with values a person reads ("vor 3 Tagen (27.11.2026)", not
`bucket: date`), and why a case is a crisis case.

Plain functions over the flow and the decrypted answers; the case page renders the result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

from bot.console.language_names import language_name
from dialogs.crisis import find_crisis
from dialogs.engine import InputNode
from dialogs.model import (
    INPUT_NODES,
    ConsentNode,
    CrisisCheckNode,
    Flow,
    FreeTextNode,
    MultiChoiceNode,
    Node,
    SingleChoiceNode,
    WhenNode,
    YesNoNode,
)
from dialogs.validate import WHEN_DATE

CONSOLE_LANGUAGE: Final = "de"
SHORT_QUESTION: Final = 40
"""A question without a `label` is shortened to its first sentence, at most this long."""

Kind = Literal["text", "account", "danger", "skipped"]


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    kind: Kind = "text"
    """"account": a person's own words, shown whole; "danger": said they are in danger;
    "skipped": not answered."""


@dataclass(frozen=True)
class CrisisReason:
    """Why the case is flagged crisis: the answer, or the person's lines with crisis words
    (each as (text, is_crisis) pieces, so the sentence that triggered it can be marked)."""

    answer: str | None
    lines: tuple[tuple[tuple[str, bool], ...], ...] = ()


def short_question(text: str) -> str:
    first = re.split(r"(?<=[?.!:])\s", text.strip(), maxsplit=1)[0]
    if len(first) <= SHORT_QUESTION:
        return first
    return first[: SHORT_QUESTION - 1].rstrip() + "\N{HORIZONTAL ELLIPSIS}"


def _asking(flow: Flow | None) -> list[InputNode]:
    return [] if flow is None else [n for n in flow.nodes if isinstance(n, INPUT_NODES)]


def facts(answers: dict[str, Any], flow: Flow | None, today: date) -> list[Fact]:
    """Every answer once, in the flow's order; answers the flow no longer asks for at the end,
    under their key (a later flow version may have dropped a question)."""
    sheet: list[Fact] = []
    seen: set[str] = set()
    for node in _asking(flow):
        if flow is None or node.key not in answers or node.key in seen:
            continue
        seen.add(node.key)
        label = node.label or short_question(flow.text(node.text, CONSOLE_LANGUAGE))
        sheet.append(_fact(label, answers[node.key], node, flow, today))
    for key, value in answers.items():
        if key not in seen:
            sheet.append(_fact(key, value, None, flow, today))
    return sheet


def queue_facts(answers: dict[str, Any], flow: Flow | None) -> list[Fact]:
    """The answers the flow puts beside the case in the queue (`in_queue`), in its order;
    unanswered ones are left out, so a row stays short."""
    about: list[Fact] = []
    for node in _asking(flow):
        if not isinstance(node, (SingleChoiceNode, MultiChoiceNode)) or not node.in_queue:
            continue
        value = answers.get(node.key)
        if value is None or value == "" or value == []:
            continue
        assert flow is not None
        label = node.label or short_question(flow.text(node.text, CONSOLE_LANGUAGE))
        about.append(Fact(label, _labels(value, node, flow)))
    return about


def _fact(label: str, value: Any, node: Node | None, flow: Flow | None, today: date) -> Fact:
    if value is None or value == "" or value == []:
        return Fact(label, "übersprungen", "skipped")
    if (
        isinstance(node, SingleChoiceNode)
        and node.sets_language
        and (flow is None or str(value) in flow.languages)
    ):
        return Fact(label, language_name(str(value)))
    if isinstance(node, FreeTextNode):
        return Fact(label, str(value), "account")
    if isinstance(node, CrisisCheckNode):
        return Fact(label, "ja" if value is True else "nein", "danger" if value is True else "text")
    if isinstance(node, WhenNode) and isinstance(value, dict) and flow is not None:
        return Fact(label, _when(value, node, flow, today))
    return Fact(label, _labels(value, node, flow))


def _choice_labels(node: Node | None, flow: Flow | None) -> dict[str, str]:
    if flow is None:
        return {}

    def t(text: dict[str, str]) -> str:
        return flow.text(text, CONSOLE_LANGUAGE)

    match node:
        case SingleChoiceNode() | MultiChoiceNode():
            return {c.id: t(c.label) for c in node.choices}
        case YesNoNode():
            return {"yes": t(node.yes), "no": t(node.no)}
        case ConsentNode():
            return {"accept": t(node.accept), "decline": t(node.decline)}
    return {}


def _labels(value: Any, node: Node | None, flow: Flow | None) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nein"
    names = _choice_labels(node, flow)
    values: Sequence[Any] = value if isinstance(value, list) else [value]
    return ", ".join(names.get(str(v), str(v)) for v in values)


def _ago(day: date, today: date) -> str:
    days = (today - day).days
    when = day.strftime("%d.%m.%Y")
    if days <= 0:
        return f"heute ({when})"
    if days == 1:
        return f"gestern ({when})"
    return f"vor {days} Tagen ({when})"


def _when(value: dict[str, Any], node: WhenNode, flow: Flow, today: date) -> str:
    bucket = value.get("bucket")
    if bucket == WHEN_DATE and isinstance(value.get("date"), str):
        try:
            return _ago(date.fromisoformat(value["date"]), today)
        except ValueError:
            return str(value["date"])
    text = next((t for b, t in node.options.items() if b == bucket), None)
    return flow.text(text, CONSOLE_LANGUAGE) if text else str(bucket)


def crisis_reason(
    answers: dict[str, Any], flow: Flow | None, person_lines: Sequence[str]
) -> CrisisReason:
    """The danger answer, if given, and every line of the person with crisis words."""
    answer = None
    for node in _asking(flow):
        if isinstance(node, CrisisCheckNode) and answers.get(node.key) is True:
            assert flow is not None
            question = flow.text(node.text, CONSOLE_LANGUAGE).strip()
            answer = f"„{flow.text(node.yes, CONSOLE_LANGUAGE)}“ auf „{question}“"
    words = flow.crisis.words if flow is not None else {}
    marked = tuple(_marked(line, words) for line in person_lines if find_crisis(line, words))
    return CrisisReason(answer, marked)


_SENTENCE: Final = re.compile(r"(?<=[.!?؟\n])\s+")


def _marked(line: str, words: dict[str, list[str]]) -> tuple[tuple[str, bool], ...]:
    """The line in sentences, each marked whether it holds crisis words (kept whole: the
    counsellor reads the context, the mark shows where)."""
    pieces: list[tuple[str, bool]] = []
    start = 0
    for match in _SENTENCE.finditer(line):
        sentence = line[start : match.end()]
        pieces.append((sentence, find_crisis(sentence, words)))
        start = match.end()
    if start < len(line):
        pieces.append((line[start:], find_crisis(line[start:], words)))
    return tuple(pieces)
