"""What a turn reads besides its transaction: the service's settings at this moment.

The service builds one per message (its settings may change while it runs: office hours
from the console, Rasa switched on), so the turns are plain functions of (tx, context, …)
and never reach back into the service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo

from bot.conversation.code_hold import CodeHold
from bot.conversation.flows import FlowCatalog
from bot.conversation.typing_board import TypingBoard
from bot.evidence import clean as evidence
from bot.office.hours import OfficeHours
from bot.ratelimit import KeyedLimiter
from bot.settings import OfficeContactSettings
from storage.case_material import CaseMaterial


@dataclass(frozen=True)
class Context:
    catalog: FlowCatalog
    timezone: tzinfo
    """The dialog sees the office's local time: "today" is the person's day, not UTC's."""
    office_hours: OfficeHours | None
    """None: no hours known (tests, benchmarks); the office counts as always open."""
    response_time: Mapping[str, str]
    office_contact: OfficeContactSettings
    office_name: str
    codes: CodeHold
    typing: TypingBoard
    ready_case_material: Callable[[], CaseMaterial | None]
    """A case key pair and code made ahead, if one is ready (`Store.ready_case_material`)."""
    held_messages: KeyedLimiter
    new_conversations: KeyedLimiter | None
    evidence_limits: evidence.Limits
    driven: bool
    """An external dialog manager (Rasa) runs the bot phase."""
