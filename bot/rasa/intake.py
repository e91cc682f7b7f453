"""Rasa slot values checked by the same rules as our flows: by running our own dialog engine.

Rasa's form fills slots such as `grounds` or `incident_date`; each value is checked by
stepping the engine at the flow's node for that answer (`grounds`, `life_area`,
`municipality`, `incident_when`) with the value as the person's input. So the valid ids,
exclusive choices ("not sure"), typed numbers and labels, date formats and "not in the
future" are exactly what a person meets in our own chat, and the error texts are the flow's,
in the person's language. Pure: no I/O, the time is passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dialogs import engine
from dialogs.model import (
    Flow,
    MultiChoiceNode,
    SingleChoiceNode,
    WhenNode,
)
from dialogs.steps import (
    ChoiceInput,
    ChoicesInput,
    CrisisDetected,
    DialogState,
    Input,
    TextInput,
)
from dialogs.validate import WHEN_DATE

SLOT_ANSWERS = {
    "grounds": "grounds",
    "life_area": "life_area",
    "municipality": "municipality",
    "incident_date": "incident_when",
}
"""Rasa slot name -> store key of the intake flow's node whose rules check it."""
FORM_SLOTS = tuple(SLOT_ANSWERS)
FREE_TEXT_SLOTS = {"account": "account"}
"""Optional free-text slots kept as answers (sealed to the case like every answer)."""
LANGUAGE_SLOT = "language"
CRISIS_SLOT = "crisis"

_ISO_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?$")
"""Duckling and Rasa's time entities give ISO date-times; the day is what counts."""


class UnknownSlot(KeyError):
    """The flow has no node for this slot (a flow without that question)."""


@dataclass(frozen=True)
class SlotCheck:
    """The outcome of checking one slot value."""

    slot_value: Any | None
    """The normalised value for Rasa's slot; None when rejected."""
    answer: Any | None
    """The answer as our flows store it (e.g. {"bucket": "date", "date": "2025-01-03"})."""
    errors: tuple[str, ...] = ()
    """Why it was rejected, in the person's language (the flow's own ui texts)."""
    crisis: bool = False
    """The value held crisis words: show the crisis resources."""

    @property
    def ok(self) -> bool:
        return self.answer is not None


def language_of(flow: Flow, slots: dict[str, Any]) -> str:
    value = slots.get(LANGUAGE_SLOT)
    return value if isinstance(value, str) and value in flow.languages else flow.default_language


def answer_node(flow: Flow, slot: str) -> SingleChoiceNode | MultiChoiceNode | WhenNode:
    key = SLOT_ANSWERS.get(slot)
    for node in flow.nodes:
        if isinstance(node, SingleChoiceNode | MultiChoiceNode | WhenNode) and node.key == key:
            return node
    raise UnknownSlot(slot)


def check_slot(flow: Flow, slot: str, value: Any, language: str, now: datetime) -> SlotCheck:
    """Check one slot value at its node; `now` is the office's local time."""
    node = answer_node(flow, slot)
    state = DialogState(node=node.id, language=language)
    result = engine.step(flow, state, _as_input(node, value), now)
    crisis = any(isinstance(e, CrisisDetected) for e in result.effects)
    if node.key not in result.state.answers:
        errors = tuple(m.text for m in result.messages if m.kind in ("error", "crisis"))
        return SlotCheck(None, None, errors, crisis)
    answer = result.state.answers[node.key]
    return SlotCheck(_slot_value(answer), answer, (), crisis)


def intake_answers(flow: Flow, slots: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The answers for a case from the tracker's slots: valid values only, by store key."""
    language = language_of(flow, slots)
    answers: dict[str, Any] = {}
    for slot in FORM_SLOTS:
        value = slots.get(slot)
        if value is None:
            continue
        try:
            checked = check_slot(flow, slot, value, language, now)
        except UnknownSlot:
            continue
        if checked.ok:
            answers[SLOT_ANSWERS[slot]] = checked.answer
    for slot, key in FREE_TEXT_SLOTS.items():
        text = slots.get(slot)
        if isinstance(text, str) and text.strip():
            answers[key] = text.strip()[:10_000]
    return answers


def missing_form_slots(flow: Flow, slots: dict[str, Any], now: datetime) -> list[str]:
    """Form slots without a valid value (names only, never values)."""
    answers = intake_answers(flow, slots, now)
    return [slot for slot in FORM_SLOTS if SLOT_ANSWERS[slot] not in answers]


def _as_input(node: SingleChoiceNode | MultiChoiceNode | WhenNode, value: Any) -> Input:
    ids = _option_ids(node)
    if isinstance(value, list | tuple):
        # One pick of a single choice is fine; several are refused by the engine's rules.
        return ChoicesInput(tuple(str(v) for v in value))
    text = str(value).strip()
    if text in ids:
        return ChoicesInput((text,)) if isinstance(node, MultiChoiceNode) else ChoiceInput(text)
    if isinstance(node, MultiChoiceNode):
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if parts and all(p in ids for p in parts):
            return ChoicesInput(tuple(parts))
    if isinstance(node, WhenNode) and (match := _ISO_DATETIME.match(text)):
        return TextInput(match.group(1))
    return TextInput(text)


def _option_ids(node: SingleChoiceNode | MultiChoiceNode | WhenNode) -> set[str]:
    if isinstance(node, WhenNode):
        return set(node.options)
    return {c.id for c in node.choices}


def _slot_value(answer: Any) -> Any:
    """A `when` answer becomes its date (ISO) or its bucket; choices stay as they are."""
    if isinstance(answer, dict):
        if answer.get("bucket") == WHEN_DATE:
            return answer.get("date")
        return answer.get("bucket")
    return answer
