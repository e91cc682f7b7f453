"""What the person is told when their case changes state outside the dialog: closed by the
office, reopened because they wrote again, or a new conversation begun instead; and the
case-code note of the handover text and the flow's `{way_back}`, true on the person's
channel.

The texts live in the catalog (bot/i18n/sources/case.py, bot/i18n/po/). A language the
service does not speak falls back to the flow's default language, then German.
"""

from __future__ import annotations

from typing import Final, Literal

from bot.i18n.catalog import UI
from bot.i18n.languages import is_language

Notice = Literal["closed", "reopened", "new_after_close", "new_conversation", "opened_elsewhere"]
NOTICES: Final[tuple[Notice, ...]] = (
    "closed",
    "reopened",
    "new_after_close",
    "new_conversation",
    "opened_elsewhere",
)


def _language(language: str, default_language: str) -> str:
    return language if is_language(language) else default_language


def text(notice: Notice, language: str, default_language: str = "de") -> str:
    return UI.get(_language(language, default_language), f"case.notice.{notice}")


CODELESS_CHANNELS: Final = frozenset({"telegram", "signal"})
"""Channels that take no case code: the chat itself is the way back, so no code is shown."""


def way_back(channel: str, language: str, default_language: str = "de") -> str:
    """`{way_back}` of a flow text: how the person comes back later, true on their channel.
    Where the chat itself is the way back no code is shown at the end, so none is promised."""
    key = "case.way_back.chat" if channel in CODELESS_CHANNELS else "case.way_back.code"
    return UI.get(_language(language, default_language), key)


def code_note(channel: str, code: str, language: str, default_language: str = "de") -> str:
    """`{case_code_note}` of a handover text: the case code and what it is for, true on the
    person's channel."""
    if channel == "webchat":
        # The web chat shows the code in a box of its own with one sentence on what it is
        # for (web.case_code_hint): said there once, not again in the bubble.
        return ""
    key = f"case.code_note.{channel}"
    if key not in UI.texts:
        key = "case.code_note.other"
    return UI.get(_language(language, default_language), key, code=code)
