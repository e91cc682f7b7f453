"""The dialog engine's side of a message: the stored state read back, and the person's
message as the engine's input."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from bot.channels.base import InboundMessage
from bot.conversation.units import Suggested
from dialogs import engine
from dialogs.model import Flow
from dialogs.steps import (
    Aside,
    Back,
    ChoiceInput,
    ChoicesInput,
    DialogState,
    Input,
    Restart,
    SetLanguage,
    Start,
    TextInput,
)

log = logging.getLogger(__name__)


def load_state(
    raw: dict[str, Any] | None,
    flow: Flow,
    language: str | None,
    conversation_id: int,
    *,
    guessed: bool = False,
) -> DialogState:
    """`language` and `guessed` only shape a fresh state (see `engine.new_state`): a stored
    one keeps the language the person has."""
    if raw is not None:
        try:
            return DialogState.model_validate(raw)
        except ValidationError:
            # Never let the error reach a log: pydantic quotes the input, i.e. the answers.
            log.error(
                "conversation %s: stored dialog state unreadable; starting over", conversation_id
            )
    # Made only when needed: every message carries a language hint now, and a guessed one
    # walks the flow's nodes to pre-select it.
    return engine.new_state(flow, language if language in flow.languages else None, guessed=guessed)


def to_input(msg: InboundMessage, suggested: Suggested = ()) -> Input:
    if msg.command == "start":
        return Start(language=msg.language, chosen=msg.language_chosen)
    if msg.command == "back":
        return Back()
    if msg.command == "restart":
        return Restart()
    if msg.choice is not None:
        return ChoiceInput(msg.choice)
    if msg.choices is not None:
        return ChoicesInput(tuple(msg.choices))
    if msg.text is not None:
        return TextInput(msg.text, suggested)
    if msg.caption is not None:
        return Aside(msg.caption)
    assert msg.language is not None  # InboundMessage guarantees one of the above or a language
    return SetLanguage(msg.language)
