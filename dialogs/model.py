"""The flow format: pydantic models for flows written in YAML.

Flows are data edited by admins, so every model forbids unknown keys, and the only
logic a flow can name is the closed set of condition operators below (never an import path).
See docs/flow-format.md for the format as an admin reads it.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator, Mapping
from functools import cached_property
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

ANY_LANGUAGE = "*"
"""Key of a text that reads the same in every language (a language's own name, a phone number)."""

Text = dict[str, str]
"""A text in every language of the flow: language code -> text, or {"*": text}."""

IDENT = r"^[a-z][a-z0-9_]*$"
Ident = Annotated[str, Field(pattern=IDENT, max_length=64)]

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
HANDOVER_PLACEHOLDERS = frozenset(
    {"case_code", "case_code_note", "response_time", "office_contact"}
)
"""Placeholders the conversation service fills after a handover; no other node may use them."""
CHANNEL_PLACEHOLDERS = frozenset({"way_back"})
"""Placeholders the conversation service fills for the person's channel, in the text of any
node: `{way_back}` says how the person comes back later (a case code at the end, or, where
the chat itself is the way back, that no code is needed). Never in a choice: a typed answer
is compared with the label as written."""
PLACEHOLDERS = HANDOVER_PLACEHOLDERS | CHANNEL_PLACEHOLDERS

WHEN_BUCKETS = ("today", "this_week", "this_month", "longer_ago", "not_sure")
"""The 'about when' answers, in the order they are offered."""

UI_TEXTS = (
    "back",
    "restart",
    "done",
    "skip",
    "invalid_choice",
    "too_long",
    "too_few",
    "too_many",
    "invalid_date",
    "future_date",
    "empty_text",
)
"""Texts the engine itself needs; every flow must translate all of them."""

OPTIONAL_UI_TEXTS = ("only_alone", "not_understood")
"""Texts a flow may give for a more precise message; without them `invalid_choice` is said:
`only_alone` when an exclusive answer was combined with others, `not_understood` when the
answer was not understood at a question without exclusive answers (yes/no, consent, ...)."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


SHORT_LABEL_MAX = 40
"""Longer labels are cut off on a messenger's button; such a choice gets a `short` label."""


class Choice(Strict):
    id: Ident
    label: Text
    short: Text | None = None
    """A short form of a long label for a narrow button (Telegram), at most SHORT_LABEL_MAX
    characters; the channel then says the whole label in the question's text."""
    next: Ident | None = None
    """Where this choice leads (single choice only); the node's `next` otherwise."""
    exclusive: bool = False
    """Multiple choice: picking this clears every other pick ("not sure", "prefer not to say")."""
    language: Ident | None = None
    """At a `sets_language` question, the language a choice whose id is not one sets ("another
    language": the questions go on in English, the person may write in any language)."""


class Condition(Strict):
    """A test on an earlier answer. `field` is the answer's store key."""

    field: Ident
    op: Literal["equals", "not_equals", "in", "includes", "answered", "not_answered", "is_true"]
    value: str | list[str] | None = None


class BranchCase(Strict):
    when: list[Condition] = Field(min_length=1)
    """All conditions must hold."""
    next: Ident


class TeamRouting(Strict):
    by: Ident | None = None
    """Answer (store key) whose value picks the team, e.g. the municipality."""
    routes: dict[str, Ident] = Field(default_factory=dict)
    """Answer value -> team id."""
    default: Ident


class _Node(Strict):
    id: Ident


class _Asking(_Node):
    text: Text
    more: Text | None = None
    """Detail one tap away ("Mehr dazu" on the web chat, after the text on text-only
    channels): the legal fine print, so the first screen stays short."""
    store: Ident | None = None
    """Key the answer is kept under; the node id when absent."""
    label: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    """What the answer is called on the counsellors' fact sheet ("Lebensbereich"), in the
    console's language; without it the sheet shortens the question."""

    @property
    def key(self) -> str:
        return self.store or self.id


class MessageNode(_Node):
    kind: Literal["message"]
    text: Text
    more: Text | None = None
    """Detail one tap away ("Mehr dazu" on the web chat, after the text on text-only
    channels): the legal fine print, so the first screen stays short."""
    next: Ident


class _Choosing(_Asking):
    choices: list[Choice] = Field(min_length=1)
    in_queue: bool = False
    """The chosen labels stand beside the case in the counsellors' queue ("what it is
    about"), so they can pick the right case without opening each one. Only choices: a
    person's own words stay behind the audited case page."""


class SingleChoiceNode(_Choosing):
    kind: Literal["single_choice"]
    next: Ident | None = None
    sets_language: bool = False
    """The chosen choice id is a language code and becomes the conversation's language."""


class MultiChoiceNode(_Choosing):
    kind: Literal["multi_choice"]
    next: Ident
    min: int = Field(default=1, ge=0)
    max: int | None = Field(default=None, ge=1)


class FreeTextNode(_Asking):
    kind: Literal["free_text"]
    max_length: int = Field(ge=1, le=10_000)
    optional: bool = False
    understand: bool = False
    """Ask the configured Rasa NLU about the text; the choices it recognises (e.g. grounds,
    life area) are pre-selected at later questions for the person to confirm. Without a
    configured Rasa, or when it does not answer, nothing changes."""
    next: Ident


class WhenNode(_Asking):
    """'When did it happen?': an exact date or one of WHEN_BUCKETS."""

    kind: Literal["when"]
    options: dict[Literal["today", "this_week", "this_month", "longer_ago", "not_sure"], Text]
    next: Ident

    @field_validator("options")
    @classmethod
    def _all_buckets(cls, value: dict[str, Text]) -> dict[str, Text]:
        missing = [b for b in WHEN_BUCKETS if b not in value]
        if missing:
            raise ValueError(f"options must name every answer; missing: {', '.join(missing)}")
        return value


class YesNoNode(_Asking):
    kind: Literal["yes_no"]
    yes: Text
    no: Text
    on_yes: Ident
    on_no: Ident


class ConsentNode(_Asking):
    kind: Literal["consent"]
    accept: Text
    decline: Text
    next: Ident
    on_decline: Ident


class CrisisCheckNode(_Asking):
    """'Are you in danger right now?' Yes shows the crisis resources at once, then goes on."""

    kind: Literal["crisis_check"]
    yes: Text
    no: Text
    next: Ident


class BranchNode(_Node):
    kind: Literal["branch"]
    cases: list[BranchCase] = Field(min_length=1)
    otherwise: Ident


class HandoverNode(_Node):
    kind: Literal["handover"]
    text: Text
    team: TeamRouting
    incident_date_from: Ident | None = None
    """Store key of a `when` answer: its date makes the case urgent under the AGG deadline."""


class EndNode(_Node):
    kind: Literal["end"]
    text: Text


Node = Annotated[
    MessageNode
    | SingleChoiceNode
    | MultiChoiceNode
    | FreeTextNode
    | WhenNode
    | YesNoNode
    | ConsentNode
    | CrisisCheckNode
    | BranchNode
    | HandoverNode
    | EndNode,
    Field(discriminator="kind"),
]

INPUT_NODES = (
    SingleChoiceNode,
    MultiChoiceNode,
    FreeTextNode,
    WhenNode,
    YesNoNode,
    ConsentNode,
    CrisisCheckNode,
)


def more_text(node: Node) -> Text | None:
    """A node's detail behind "more", where its kind has one."""
    return node.more if isinstance(node, MessageNode | _Asking) else None


def node_texts(node: Node) -> Iterator[tuple[str, tuple[str | int, ...], Text]]:
    """Every text of one node: (its id within the node, e.g. `choice:work`, its path relative
    to the node, the text). The translations table, the PO files and the validator walk this."""
    if not isinstance(node, BranchNode):
        yield "text", ("text",), node.text
    if (more := more_text(node)) is not None:
        yield "more", ("more",), more
    if isinstance(node, SingleChoiceNode | MultiChoiceNode):
        for j, choice in enumerate(node.choices):
            yield f"choice:{choice.id}", ("choices", j, "label"), choice.label
            if choice.short is not None:
                yield f"choice:{choice.id}:short", ("choices", j, "short"), choice.short
    if isinstance(node, WhenNode):
        for bucket, text in node.options.items():
            yield f"option:{bucket}", ("options", bucket), text
    if isinstance(node, YesNoNode | CrisisCheckNode):
        yield "yes", ("yes",), node.yes
        yield "no", ("no",), node.no
    if isinstance(node, ConsentNode):
        yield "accept", ("accept",), node.accept
        yield "decline", ("decline",), node.decline


class TalkNow(Strict):
    """The danger path: after the crisis resources the person chooses between a person now
    (the case is created at once, flagged crisis) and going on with the questions. Without
    it the crisis resources are shown and the dialog simply goes on."""

    handover: Ident
    """The handover node whose team routing picks the team of a case created at once."""
    talk: Text
    """Button: talk to a person now."""
    go_on: Text
    """Button: go on with the questions (the dialog waits until it is pressed)."""
    open: Text
    """Said once the case is created while the office is open (may hold {case_code})."""
    closed: Text
    """Said once the case is created while the office is closed (may hold {case_code})."""
    code_shown: Text
    """Fills {case_code} of the handover text later: the code was given with `open`/`closed`."""


class Crisis(Strict):
    words: dict[str, list[str]]
    """Language -> words or phrases; any of them in any free text shows `message`."""
    message: Text
    """The crisis resources, shown at once."""
    talk_now: TalkNow | None = None


SOURCE_HASH = r"^[0-9a-f]{8}$"
"""A short hash of the default-language text a translation was made from."""


class Flow(Strict):
    id: Ident
    title: Text
    languages: list[str] = Field(min_length=1)
    default_language: str
    start: Ident
    ui: dict[str, Text]
    crisis: Crisis
    nodes: list[Node] = Field(min_length=1)
    unreviewed: list[str] = Field(default_factory=list)
    """Languages whose texts no speaker of the language has reviewed yet (drafted by someone
    else or by a machine). Their translations are shown as unreviewed in the console and
    exported fuzzy; remove a language from the list once a speaker has read every text."""
    translation_sources: dict[str, dict[str, Annotated[str, Field(pattern=SOURCE_HASH)]]] = Field(
        default_factory=dict
    )
    """Language -> text id -> hash of the source text each translation was made from.

    Written by the PO import (dialogs.po); a translation whose hash differs from its current
    source text is outdated. Optional: a flow without it has no translation marked outdated.
    """

    def node(self, node_id: str) -> Node:
        return self.nodes_by_id[node_id]

    @cached_property
    def nodes_by_id(self) -> dict[str, Node]:
        return {n.id: n for n in self.nodes}

    @cached_property
    def derived(self) -> dict[Hashable, Any]:
        """What the engine derives from this flow (it never changes once parsed), kept with
        it: worked out once per flow version, not once per message."""
        return {}

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy without what was derived from this flow: pydantic copies the instance's
        dict, cached values included, and a copy with other nodes (the console's preview)
        would otherwise look up this flow's nodes."""
        copied = super().model_copy(update=update, deep=deep)
        for name in ("nodes_by_id", "derived"):
            copied.__dict__.pop(name, None)
        return copied

    def text(self, text: Text, language: str) -> str:
        if ANY_LANGUAGE in text:
            return text[ANY_LANGUAGE]
        return text.get(language) or text[self.default_language]

    def ui_text(self, key: str, language: str) -> str:
        return self.text(self.ui[key], language)


def placeholders(value: str) -> set[str]:
    return set(PLACEHOLDER.findall(value))
