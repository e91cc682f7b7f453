"""What goes into and comes out of `dialogs.engine.step`: inputs, state, outputs, effects.

All of it is plain, immutable data so a step can be replayed and asserted on; the
conversation service persists `DialogState` (encrypted) between steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Start:
    """A new contact, or the person asked to see where they are (e.g. /start again)."""

    language: str | None = None
    """A language the channel already knows (web chat picker, Telegram client language)."""
    chosen: bool = False
    """The person chose `language` themselves (the page's language control): the flow's
    language question is answered with it and not asked. Otherwise `language` is only a
    guess (browser or messenger setting) and is pre-selected at the language question."""


@dataclass(frozen=True)
class ChoiceInput:
    choice: str
    """Choice id of a single choice, yes_no ("yes"/"no"), consent ("accept"/"decline"),
    crisis_check ("yes"/"no"), or a `when` bucket."""


@dataclass(frozen=True)
class ChoicesInput:
    choices: tuple[str, ...]
    """All picks of a multiple choice at once."""


@dataclass(frozen=True)
class TextInput:
    text: str
    """Typed text: a free-text answer, a date, or a choice typed by number or label."""
    suggested: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(store key, choice ids) pairs that the service learned about this text beforehand
    (Rasa NLU); kept only when the text answers a free_text node marked `understand`. The
    engine does no I/O: whoever asks is the conversation service, before the step."""


@dataclass(frozen=True)
class Aside:
    text: str
    """Text the person wrote beside the dialog, not to it: a file's caption ("das ist der
    Brief" under a photo). Never an answer, since the person did not mean one; searched for
    crisis words like typed text, and the open question is asked again, so the person sees
    it still waits."""


@dataclass(frozen=True)
class Back:
    pass


@dataclass(frozen=True)
class Restart:
    pass


@dataclass(frozen=True)
class SetLanguage:
    language: str


Input = Start | ChoiceInput | ChoicesInput | TextInput | Aside | Back | Restart | SetLanguage

# ---------------------------------------------------------------- state


class DialogState(BaseModel):
    """Where a person is in a flow. JSON-serialisable; persisted encrypted with the server key."""

    model_config = ConfigDict(extra="forbid")

    node: str | None = None
    """The node waiting for input; None before the first step."""
    language: str
    answers: dict[str, Any] = Field(default_factory=dict)
    history: list[str] = Field(default_factory=list)
    """Input nodes answered so far, oldest first, for `Back`."""
    crisis: bool = False
    finished: Literal["handover", "end"] | None = None
    suggested: dict[str, list[str]] = Field(default_factory=dict)
    """Store key -> choice ids to pre-select when that question is asked (see TextInput)."""
    paused_for: str | None = None
    """The danger path waits for the person's choice (talk now / go on); the node to go on
    with. While set, `node` is the node the crisis was shown at."""
    case_created: bool = False
    """A case was created at once on the danger path; the final handover completes it."""
    language_chosen: bool = False
    """The person chose the language outside the dialog: a language question is not asked."""


# ---------------------------------------------------------------- outputs


@dataclass(frozen=True)
class ChoiceOption:
    id: str
    label: str
    exclusive: bool = False
    """Only on its own ("not sure", "prefer not to say") in a multiple choice."""
    short: str = ""
    """A short form of a long label for a narrow button; empty when the label is short."""


InputKind = Literal["none", "choice", "choices", "text", "date"]


@dataclass(frozen=True)
class BotMessage:
    """One message to the person, already in their language.

    `kind`: "prompt" asks for the input described by `expects`; "info" says something;
    "crisis" carries the crisis resources; "error" explains why an input was not taken.
    Texts of handover and end nodes may hold `{case_code}`, `{case_code_note}` (the code
    with what it is for on the person's channel) and `{response_time}`, which the
    conversation service fills in after it has created the case, and `{office_contact}` (the
    office's phone, e-mail, web page and address from the settings). Any node's text may
    hold `{way_back}`, filled for the person's channel (the engine knows none).
    """

    text: str
    kind: Literal["prompt", "info", "crisis", "error"] = "info"
    node_id: str | None = None
    expects: InputKind = "none"
    choices: tuple[ChoiceOption, ...] = ()
    min_choices: int = 0
    max_choices: int | None = None
    max_length: int | None = None
    optional: bool = False
    can_go_back: bool = False
    suggested: tuple[str, ...] = ()
    """Choice ids pre-selected for the person to confirm (what the free text suggested, or the
    language the browser or messenger is set to)."""
    more: str = ""
    """Detail behind a "more" control (the node's `more`); empty when there is none."""


@dataclass(frozen=True)
class HandoverRequested:
    team: str
    answers: dict[str, Any]
    crisis: bool
    incident_date: date | None
    """Best estimate of when it happened (the earliest day of an 'about when' answer), which
    starts the two-month AGG deadline; None when unknown or longer ago."""
    language: str
    completes: bool = False
    """The case exists already (created at once on the danger path): seal the answers into it."""


@dataclass(frozen=True)
class CrisisHandoverRequested:
    """The person in danger chose to talk to a person now: create the case at once, flagged
    crisis, with what was answered so far. The dialog goes on if the person chooses to."""

    team: str
    answers: dict[str, Any]
    incident_date: date | None
    language: str


@dataclass(frozen=True)
class CrisisDetected:
    source: Literal["words", "answer"]
    """Crisis words in typed text, or a yes to the crisis check."""


@dataclass(frozen=True)
class LanguageChanged:
    language: str


@dataclass(frozen=True)
class DialogEnded:
    """An end node was reached without a handover (e.g. consent declined)."""


Effect = (
    HandoverRequested | CrisisHandoverRequested | CrisisDetected | LanguageChanged | DialogEnded
)
Output = BotMessage | Effect


@dataclass(frozen=True)
class StepResult:
    state: DialogState
    outputs: tuple[Output, ...] = field(default_factory=tuple)

    @property
    def messages(self) -> list[BotMessage]:
        return [o for o in self.outputs if isinstance(o, BotMessage)]

    @property
    def effects(self) -> list[Effect]:
        return [o for o in self.outputs if not isinstance(o, BotMessage)]
