"""The dialog engine: one pure, synchronous, deterministic step of a flow.

`step(flow, state, input, now)` returns the new state and what to say and do; it never
mutates the given state, does no I/O and reads no clock (`now` is passed in), so the
conversation service can persist, replay and test every step.

How inputs are taken (all texts in the state's language):

- A fresh state (no current node) is started by any input: `Start(language)` and
  `SetLanguage` first pick the language, typed text is still checked for crisis words.
- Choice nodes (single_choice, yes_no: "yes"/"no", consent: "accept"/"decline",
  crisis_check: "yes"/"no", when: a bucket id) take a `ChoiceInput`, a `ChoicesInput` with
  one pick, or a `TextInput` holding the 1-based number of a choice or its label (compared
  trimmed and casefolded). At yes_no, consent and crisis_check a typed answer may also be the
  leading word(s) of a label up to its first comma ("ja" for "Ja, ich bin einverstanden"),
  alone or followed only by further words of that label in its order ("так, я згодна");
  punctuation does not count. Any other word, or words that fit both answers, is
  invalid_choice: consent is never read into an unclear sentence.
- multi_choice takes `ChoicesInput` (a `ChoiceInput` is one pick) or a `TextInput` with
  numbers separated by commas or spaces, or a single label. An exclusive choice cannot be
  combined with another (invalid_choice).
- when takes a bucket as above or a typed date: DD.MM.YYYY, D.M.YYYY, YYYY-MM-DD or
  DD/MM/YYYY; an impossible date is invalid_date, a date after `now` is future_date.
- free_text takes a `TextInput` (trimmed; empty_text when blank, too_long past max_length).
  An optional free_text is skipped, storing None, by `ChoiceInput("skip")` (its prompt offers
  that choice with the ui "skip" label), by typing that label, or by sending blank text.
- An invalid input yields an "error" message with the matching ui text, then the prompt
  again; the state does not change. For invalid_choice at a question without exclusive
  answers the flow's optional `not_understood` text is said where it has one.
- Any `TextInput`, at any node, is first searched for crisis words of every language. On a
  hit the crisis message and `CrisisDetected("words")` come before anything else; a free_text
  node still takes the text as its answer, any other node just asks again.
- `Aside` (a file's caption) never answers: crisis words in it bring the crisis message (or
  the crisis box on the danger path) as typed text would; otherwise the open question (or
  the waiting crisis box) is shown again.
- The danger path (`crisis.talk_now` in the flow): crisis words or a yes to the crisis check
  show the crisis message as a question with two choices, `talk_now` and `go_on`, and the
  dialog waits there (`state.paused_for`) instead of asking the next question. `talk_now`
  yields `CrisisHandoverRequested` (the case is created at once) and says what happens next,
  by `office_open`; `go_on` asks the next question. Once the case exists, the final handover
  yields `HandoverRequested(completes=True)`.

Branch conditions: `equals`/`not_equals`/`in` compare a single_choice answer (or the bucket of
a `when` answer, "date" for a typed date); `includes` holds when a multi_choice answer contains
any of the listed ids; `answered`/`not_answered` test for an answer (a skipped free text is
not answered); `is_true` holds for a yes, accept or "in danger" answer.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from dialogs.crisis import find_crisis
from dialogs.model import (
    INPUT_NODES,
    WHEN_BUCKETS,
    BranchNode,
    Choice,
    Condition,
    ConsentNode,
    CrisisCheckNode,
    EndNode,
    Flow,
    FreeTextNode,
    HandoverNode,
    MessageNode,
    MultiChoiceNode,
    Node,
    SingleChoiceNode,
    TeamRouting,
    WhenNode,
    YesNoNode,
)
from dialogs.steps import (
    Aside,
    Back,
    BotMessage,
    ChoiceInput,
    ChoiceOption,
    ChoicesInput,
    CrisisDetected,
    CrisisHandoverRequested,
    DialogEnded,
    DialogState,
    HandoverRequested,
    Input,
    InputKind,
    LanguageChanged,
    Output,
    Restart,
    SetLanguage,
    Start,
    StepResult,
    TextInput,
)
from dialogs.validate import WHEN_DATE

InputNode = (
    SingleChoiceNode
    | MultiChoiceNode
    | FreeTextNode
    | WhenNode
    | YesNoNode
    | ConsentNode
    | CrisisCheckNode
)

SKIP = "skip"
"""Choice id that skips an optional free text."""

NOT_UNDERSTOOD = "not_understood"
"""Optional ui text: `invalid_choice` without what only exclusive answers need."""

TALK_NOW = "talk_now"
"""Danger path: the choice that creates the case at once."""
GO_ON = "go_on"
"""Danger path: the choice that goes on with the questions."""

_DAYS_BACK = {"today": 0, "this_week": 6, "this_month": 30}
"""Earliest day of a `when` bucket, in days before `now`: the AGG deadline runs from it."""

_DATE_PATTERNS = (
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})"), (3, 2, 1)),
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), (1, 2, 3)),
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), (3, 2, 1)),
)
"""Typed date formats with the group numbers of (year, month, day)."""

_LIST_SEPARATORS = re.compile(r"[\s,;]+")


class EngineError(RuntimeError):
    """The flow and the state do not fit together: an unknown node, or message/branch nodes
    that loop forever (a flow that passed validation never raises this)."""


def new_state(flow: Flow, language: str | None = None, *, guessed: bool = False) -> DialogState:
    """A fresh state in `language` when the flow offers it, else the flow's default.

    `guessed`: `language` is only what the channel knows of the person (their messenger's
    setting), not their choice; it is pre-selected at every language question, as with
    `Start(language)`, whatever input begins the dialog (a first "Hallo" as much as /start).
    """
    if language is not None and language in flow.languages:
        state = DialogState(language=language)
        if guessed:
            _suggest_language(flow, state, language)
        return state
    return DialogState(language=flow.default_language)


def step(
    flow: Flow, state: DialogState, inp: Input, now: datetime, *, office_open: bool = True
) -> StepResult:
    """Apply one input. `now` is the current time in the office's time zone; `office_open`
    picks what the danger path says once the case is created.

    After a handover or end the state is returned unchanged with no outputs: the
    conversation service no longer routes messages to the engine then.
    """
    run = _Run(flow, _working_copy(state), now, office_open)
    if run.state.finished is None:
        run.handle(inp)
    return StepResult(run.state, tuple(run.outputs))


def _working_copy(state: DialogState) -> DialogState:
    """A copy `step` may change without touching the caller's state: its containers copied
    all the way down. Cheaper than pydantic's deep copy (a generic `copy.deepcopy`, a
    noticeable part of a step), which the state's JSON-shaped values do not need."""
    return state.model_copy(
        update={
            "answers": _fresh(state.answers),
            "history": list(state.history),
            "suggested": _fresh(state.suggested),
        }
    )


def _fresh(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: _fresh(v) for k, v in value.items()}
    if kind is list:
        return [_fresh(v) for v in value]
    return value  # str, int, bool, None: immutable


def offered(flow: Flow, state: DialogState, now: datetime) -> tuple[ChoiceOption, ...]:
    """The choices of the question on screen in `state`: what a `step` with `Start()` would
    show again, found without a step (for the transcript's labels of a pressed button).

    Empty before the start and after the end. Only reads `state`.
    """
    if state.node is None or state.finished is not None:
        return ()
    run = _Run(flow, state, now)
    if state.paused_for is not None:
        return (run.after_talk_now() if state.case_created else run.crisis_box()).choices
    return run.options(run.current())


# ---------------------------------------------------------------- answers


@dataclass(frozen=True)
class _Answer:
    value: Any
    next: str
    language: str | None = None
    """A sets_language choice: the new conversation language."""
    in_danger: bool = False
    """A yes to the crisis check."""


@dataclass(frozen=True)
class _Invalid:
    ui_key: str
    """The ui text that explains what was wrong."""


_Outcome = _Answer | _Invalid


def _fold(text: str) -> str:
    """Text as compared with labels: normalised, casefolded, single-spaced."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _typed_choice(text: str, options: tuple[ChoiceOption, ...]) -> str | None:
    """The choice id a person typed as number (1-based) or label, if any."""
    typed = _fold(text)
    if typed.isdecimal():
        number = int(typed)
        return options[number - 1].id if 1 <= number <= len(options) else None
    # The short label too: it is what a messenger's button showed.
    return next((o.id for o in options if typed in {_fold(o.label), _fold(o.short)} - {""}), None)


_JOINERS = frozenset("\u200c\u200d")
"""Zero-width (non-)joiners: part of a written word (Persian), not a gap between words."""

_CLAUSE_END = re.compile(r"[,\u060c\u3001]")
"""Commas (Latin, Arabic, ideographic) that end the leading yes or no of a longer label."""


def _words(text: str) -> tuple[str, ...]:
    """The casefolded words of a text: punctuation, symbols and emoji only separate them."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = (ch if ch in _JOINERS or unicodedata.category(ch)[0] in "LMN" else " " for ch in folded)
    return tuple("".join(kept).split())


def _says(typed: tuple[str, ...], label: str) -> bool:
    """Whether typed words say one side of a yes/no, consent or danger question: they begin
    with the label's leading word(s) up to its first comma ("Ja" of "Ja, ich bin
    einverstanden", the whole of "Ja." or "Nein") and every further word is one of the rest
    of the label, in its order ("так, я згодна" for "Так, я згоден / згодна"). A word the
    label does not have ("ja, aber nicht jetzt", "ja, ich bin nicht einverstanden") makes
    the answer not understood: consent is never read into a sentence."""
    head = _words(_CLAUSE_END.split(label, maxsplit=1)[0])
    if not head or typed[: len(head)] != head:
        return False
    rest = iter(_words(label)[len(head) :])
    return all(word in rest for word in typed[len(head) :])  # in order: `in` consumes


def _typed_binary(text: str, options: tuple[ChoiceOption, ...]) -> str | None:
    """The side of a yes/no, consent or danger question a person typed: its number or label
    as at any choice question, or the label's leading yes or no (see `_says`), in the
    conversation's language. Words that fit both sides, or neither, are not an answer."""
    exact = _typed_choice(text, options)
    if exact is not None:
        return exact
    typed = _words(text)
    if not typed:
        return None
    sides = [o.id for o in options if _says(typed, o.label)]
    return sides[0] if len(sides) == 1 else None


def _pick_one(inp: Input, options: tuple[ChoiceOption, ...]) -> str | None:
    ids = [o.id for o in options]
    if isinstance(inp, ChoiceInput):
        return inp.choice if inp.choice in ids else None
    if isinstance(inp, ChoicesInput) and len(inp.choices) == 1:
        return inp.choices[0] if inp.choices[0] in ids else None
    if isinstance(inp, TextInput):
        return _typed_choice(inp.text, options)
    return None


def _typed_picks(text: str, options: tuple[ChoiceOption, ...]) -> list[str] | None:
    whole = _typed_choice(text, options)
    if whole is not None:
        return [whole]
    picks: list[str] = []
    for part in _LIST_SEPARATORS.split(_fold(text)):
        if not part:
            continue
        if not part.isdecimal() or not 1 <= int(part) <= len(options):
            return None
        picks.append(options[int(part) - 1].id)
    return picks


def _typed_date(text: str) -> date | _Invalid | None:
    """A typed date, an invalid one, or None when the text does not look like a date."""
    typed = unicodedata.normalize("NFKC", text).strip()
    for pattern, (y, m, d) in _DATE_PATTERNS:
        match = pattern.fullmatch(typed)
        if match:
            try:
                return date(int(match.group(y)), int(match.group(m)), int(match.group(d)))
            except ValueError:
                return _Invalid("invalid_date")
    return None


def incident_date(answer: Any, today: date) -> date | None:
    """The earliest day a `when` answer stands for; None when unknown or longer ago."""
    if not isinstance(answer, dict):
        return None
    bucket = answer.get("bucket")
    if bucket == WHEN_DATE and isinstance(answer.get("date"), str):
        return date.fromisoformat(answer["date"])
    if bucket in _DAYS_BACK:
        return today - timedelta(days=_DAYS_BACK[bucket])
    return None


def incident_date_estimated(answer: Any) -> bool:
    """Whether the day `incident_date` gives for this `when` answer is only the earliest it
    can be (the person named a span, "in den letzten 7 Tagen"), not the day itself."""
    bucket = answer.get("bucket") if isinstance(answer, dict) else None
    return isinstance(bucket, str) and _DAYS_BACK.get(bucket, 0) > 0


def _language_choice(node: Node, language: str) -> Choice | None:
    """The choice of a language question (`sets_language`) that picks `language`; None at
    any other question."""
    if isinstance(node, SingleChoiceNode) and node.sets_language:
        return next((c for c in node.choices if c.id == language), None)
    return None


def _suggest_language(flow: Flow, state: DialogState, language: str) -> None:
    """Pre-select a guessed language at every language question (one tap to confirm)."""
    for node in flow.nodes:
        if isinstance(node, SingleChoiceNode) and _language_choice(node, language):
            state.suggested[node.key] = [language]


def consented(flow: Flow, state: DialogState) -> bool:
    """The person has agreed to the storing of what they send: every consent question of the
    flow was answered with accept (stored as True; a flow without one asks nothing first).
    Files are taken only then: a photo can say more than any answer."""
    return all(
        state.answers.get(node.key) is True for node in flow.nodes if isinstance(node, ConsentNode)
    )


def team_for(routing: TeamRouting, answers: dict[str, Any]) -> str:
    """The team an answer routes to, else the default team."""
    if routing.by is not None:
        value = answers.get(routing.by)
        if isinstance(value, str) and value in routing.routes:
            return routing.routes[value]
    return routing.default


def holds(cond: Condition, answers: dict[str, Any]) -> bool:
    """Whether one branch condition holds (see the module docstring)."""
    answer = answers.get(cond.field)
    # A `when` answer is compared by its bucket.
    scalar = answer.get("bucket") if isinstance(answer, dict) else answer
    values = cond.value if isinstance(cond.value, list) else []
    match cond.op:
        case "equals":
            return scalar is not None and scalar == cond.value
        case "not_equals":
            return scalar != cond.value
        case "in":
            return scalar in values
        case "includes":
            return isinstance(answer, list) and any(v in answer for v in values)
        case "answered":
            return answer is not None
        case "not_answered":
            return answer is None
        case "is_true":
            return answer is True


# ---------------------------------------------------------------- one step


@dataclass
class _Run:
    """The working copy of one step: the state being changed and the outputs so far."""

    flow: Flow
    state: DialogState
    now: datetime
    office_open: bool = True
    outputs: list[Output] = field(default_factory=list)

    def text(self, text: dict[str, str]) -> str:
        return self.flow.text(text, self.state.language)

    def node(self, node_id: str) -> Node:
        try:
            return self.flow.node(node_id)
        except KeyError:
            raise EngineError(f"flow '{self.flow.id}' has no node '{node_id}'") from None

    def current(self) -> InputNode:
        """The node waiting for input (only called once the flow has started)."""
        if self.state.node is None:
            raise EngineError("the dialog has not started or is finished")
        node = self.node(self.state.node)
        if not isinstance(node, InputNode):
            raise EngineError(f"node '{node.id}' of flow '{self.flow.id}' does not take input")
        return node

    # -- dispatch

    def handle(self, inp: Input) -> None:
        words = isinstance(inp, TextInput | Aside) and find_crisis(inp.text, self.flow.crisis.words)
        if isinstance(inp, Aside):
            self.aside(words)
            return
        if self.state.node is None:
            if words:
                self.crisis("words")
            self.begin(inp)
            return
        if self.state.paused_for is not None:
            self.paused(inp, words)
            return
        talk_now = self.flow.crisis.talk_now is not None
        in_crisis = words and not (talk_now and isinstance(self.current(), FreeTextNode))
        if in_crisis and not talk_now:
            self.crisis("words")
        match inp:
            case Start():
                self.prompt()
            case Back():
                self.back()
            case Restart():
                self.restart()
            case SetLanguage() if _language_choice(self.current(), inp.language):
                # Chosen outside the dialog while its language question waits: that answers it.
                self.answer(ChoiceInput(inp.language))
            case SetLanguage():
                self.set_language(inp.language)
                self.state.language_chosen = True
                self.prompt()
            case TextInput() if in_crisis and talk_now:
                self.pause(self.current().id, "words")
            case TextInput() if in_crisis and not isinstance(self.current(), FreeTextNode):
                self.prompt()
            case ChoiceInput() | ChoicesInput() | TextInput():
                self.answer(inp, words=words and talk_now)

    def aside(self, words: bool) -> None:
        talk_now = self.flow.crisis.talk_now is not None
        if self.state.paused_for is not None:
            # The crisis box waits for its choice: shown again, nothing chosen for the person.
            if words:
                self.pause(self.state.paused_for, "words")
            else:
                box = self.after_talk_now() if self.state.case_created else self.crisis_box()
                self.outputs.append(box)
            return
        node = None if self.state.node is None else self.node(self.state.node)
        if words and talk_now and isinstance(node, InputNode):
            self.pause(node.id, "words")
            return
        if words:
            self.crisis("words")
        if isinstance(node, InputNode):
            self.prompt()

    def begin(self, inp: Input) -> None:
        if isinstance(inp, Start) and inp.language in self.flow.languages:
            self.state.language = inp.language
            if inp.chosen:
                self.state.language_chosen = True
            else:
                self.suggest_language(inp.language)
        if isinstance(inp, SetLanguage):
            self.set_language(inp.language)
            self.state.language_chosen = True
        self.enter(self.flow.start)

    def suggest_language(self, language: str) -> None:
        _suggest_language(self.flow, self.state, language)

    def chosen_language(self, node: SingleChoiceNode) -> _Answer | None:
        """The answer a language question already has: the language the person chose outside
        the dialog (then the question is not asked)."""
        choice = _language_choice(node, self.state.language)
        if not self.state.language_chosen or choice is None:
            return None
        target = choice.next or node.next
        return None if target is None else _Answer(choice.id, target)

    def crisis(self, source: Literal["words", "answer"]) -> None:
        self.state.crisis = True
        message = self.text(self.flow.crisis.message)
        self.outputs.append(BotMessage(message, kind="crisis", node_id=self.state.node))
        self.outputs.append(CrisisDetected(source))

    # -- the danger path (crisis.talk_now)

    def pause(self, go_on_with: str, source: Literal["words", "answer"]) -> None:
        """Show the crisis resources with the choice: a person now, or go on. The dialog waits
        for that choice, so nothing (no next question, no focus move) draws the person away."""
        self.state.crisis = True
        self.state.paused_for = go_on_with
        self.outputs.append(self.crisis_box())
        self.outputs.append(CrisisDetected(source))

    def crisis_box(self) -> BotMessage:
        talk_now = self.flow.crisis.talk_now
        assert talk_now is not None
        options = [ChoiceOption(GO_ON, self.text(talk_now.go_on))]
        if not self.state.case_created:
            options.insert(0, ChoiceOption(TALK_NOW, self.text(talk_now.talk)))
        return BotMessage(
            self.text(self.flow.crisis.message),
            kind="crisis",
            node_id=self.state.node,
            # Once the case exists, whatever the person writes is for the team.
            expects="text" if self.state.case_created else "choice",
            choices=tuple(options),
        )

    def after_talk_now(self) -> BotMessage:
        """What happens next, once the case exists; the person may still go on."""
        talk_now = self.flow.crisis.talk_now
        assert talk_now is not None
        text = talk_now.open if self.office_open else talk_now.closed
        return BotMessage(
            self.text(text),
            kind="prompt",
            node_id=self.state.node,
            expects="text",
            choices=(ChoiceOption(GO_ON, self.text(talk_now.go_on)),),
        )

    def paused(self, inp: Input, words: bool) -> None:
        match inp:
            case Back():
                self.state.paused_for = None
                self.back()
                return
            case Restart():
                self.restart()
                return
            case SetLanguage():
                self.set_language(inp.language)
            case TextInput() if words:
                self.pause(self.state.paused_for or "", "words")
                return
        box = self.crisis_box()
        if self.state.case_created:
            # The case waits for the team: typed text is a message for it (the service seals
            # it into the case), not an answer; only the button (or its label or number, typed
            # where there are no buttons) goes on with the questions.
            if _pick_one(inp, self.after_talk_now().choices) == GO_ON:
                self.go_on()
            elif isinstance(inp, Start | SetLanguage):
                self.outputs.append(self.after_talk_now())
            return
        picked = _pick_one(inp, box.choices) if not isinstance(inp, Start | SetLanguage) else None
        if picked == TALK_NOW:
            self.talk_now()
        elif picked == GO_ON:
            self.go_on()
        else:
            if isinstance(inp, ChoiceInput | ChoicesInput | TextInput):
                error = self.flow.ui_text(self.error_key("invalid_choice"), self.state.language)
                self.outputs.append(BotMessage(error, kind="error", node_id=self.state.node))
            self.outputs.append(box)

    def talk_now(self) -> None:
        talk_now = self.flow.crisis.talk_now
        assert talk_now is not None
        handover = self.node(talk_now.handover)
        if not isinstance(handover, HandoverNode):
            raise EngineError(f"crisis.talk_now.handover '{handover.id}' is not a handover node")
        answers = self.state.answers
        self.state.case_created = True
        self.outputs.append(
            CrisisHandoverRequested(
                team=team_for(handover.team, answers),
                answers=copy.deepcopy(answers),
                incident_date=self.incident_date(handover),
                language=self.state.language,
            )
        )
        self.outputs.append(self.after_talk_now())

    def go_on(self) -> None:
        target = self.state.paused_for
        self.state.paused_for = None
        if target is None or target == self.state.node:
            self.prompt()
        else:
            self.enter(target)

    # -- navigation

    def back(self) -> None:
        """Return to the previous question. The answer of the question being left goes: after
        going back the person may take another branch, and an answer on the abandoned path
        must not reach conditions or the handover."""
        if self.state.history:
            left = self.state.node
            self.state.node = self.state.history.pop()
            if left is not None and left not in self.state.history and left != self.state.node:
                node = self.flow.node(left)
                if isinstance(node, INPUT_NODES):
                    self.state.answers.pop(node.key, None)
        self.prompt()

    def restart(self) -> None:
        # A case created on the danger path stays: a restart must not create a second one.
        self.state = DialogState(
            language=self.state.language,
            crisis=self.state.crisis,
            case_created=self.state.case_created,
            language_chosen=self.state.language_chosen,
        )
        self.enter(self.flow.start)

    def set_language(self, language: str) -> None:
        if language in self.flow.languages and language != self.state.language:
            self.state.language = language
            self.outputs.append(LanguageChanged(language))

    # -- entering nodes

    def enter(self, node_id: str) -> None:
        """Enter a node and pass through message and branch nodes up to the next stop."""
        visited: list[str] = []
        while True:
            if node_id in visited:
                # Passive nodes do not change the state, so a repeat would repeat forever.
                loop = " -> ".join([*visited, node_id])
                raise EngineError(f"flow '{self.flow.id}' loops without asking: {loop}")
            visited.append(node_id)
            node = self.node(node_id)
            match node:
                case MessageNode():
                    self.say(node.id, node.text, node.more)
                    node_id = node.next
                case BranchNode():
                    node_id = self.branch(node)
                case HandoverNode():
                    self.handover(node)
                    return
                case SingleChoiceNode() if (chosen := self.chosen_language(node)) is not None:
                    self.state.answers[node.key] = chosen.value
                    node_id = chosen.next
                case EndNode():
                    self.say(node.id, node.text)
                    self.finish("end")
                    self.outputs.append(DialogEnded())
                    return
                case _:
                    self.state.node = node.id
                    self.prompt()
                    return

    def say(self, node_id: str, text: dict[str, str], more: dict[str, str] | None = None) -> None:
        detail = self.text(more) if more else ""
        self.outputs.append(BotMessage(self.text(text), kind="info", node_id=node_id, more=detail))

    def branch(self, node: BranchNode) -> str:
        for case in node.cases:
            if all(holds(cond, self.state.answers) for cond in case.when):
                return case.next
        return node.otherwise

    def incident_date(self, node: HandoverNode) -> date | None:
        answers = self.state.answers
        when = answers.get(node.incident_date_from) if node.incident_date_from else None
        return incident_date(when, self.now.date())

    def handover(self, node: HandoverNode) -> None:
        self.say(node.id, node.text)
        answers = self.state.answers
        self.outputs.append(
            HandoverRequested(
                team=team_for(node.team, answers),
                answers=copy.deepcopy(answers),
                crisis=self.state.crisis,
                incident_date=self.incident_date(node),
                language=self.state.language,
                completes=self.state.case_created,
            )
        )
        self.finish("handover")

    def finish(self, how: Literal["handover", "end"]) -> None:
        self.state.finished = how
        self.state.node = None

    # -- prompting

    def prompt(self) -> None:
        self.outputs.append(self.prompt_message(self.current()))

    def prompt_message(self, node: InputNode) -> BotMessage:
        kind: InputKind = "choice"
        min_choices, max_choices, max_length = 0, None, None
        if isinstance(node, WhenNode):
            # A date field with the answers beside it (a typed date is taken as well).
            kind = "date"
        elif isinstance(node, MultiChoiceNode):
            kind = "choices"
            min_choices, max_choices = node.min, node.max or len(node.choices)
        elif isinstance(node, FreeTextNode):
            kind, max_length = "text", node.max_length
        return BotMessage(
            self.text(node.text),
            kind="prompt",
            node_id=node.id,
            expects=kind,
            choices=self.options(node),
            min_choices=min_choices,
            max_choices=max_choices,
            max_length=max_length,
            optional=isinstance(node, FreeTextNode) and node.optional,
            can_go_back=bool(self.state.history),
            suggested=self.suggested_at(node),
            more=self.text(node.more) if node.more else "",
        )

    def suggested_at(self, node: InputNode) -> tuple[str, ...]:
        """Pre-selections for a choice question not answered yet (offered ids only)."""
        if not isinstance(node, SingleChoiceNode | MultiChoiceNode):
            return ()
        if node.key in self.state.answers:
            return ()
        offered = {c.id for c in node.choices}
        return tuple(i for i in self.state.suggested.get(node.key, ()) if i in offered)

    def options(self, node: InputNode) -> tuple[ChoiceOption, ...]:
        """The choices offered at `node`, labelled in the current language."""
        key = ("options", node.id, self.state.language)
        found: tuple[ChoiceOption, ...] | None = self.flow.derived.get(key)
        if found is None:
            found = self.flow.derived[key] = self.labelled_options(node)
        return found

    def labelled_options(self, node: InputNode) -> tuple[ChoiceOption, ...]:
        pairs: list[tuple[str, dict[str, str]]]
        match node:
            case MultiChoiceNode() | SingleChoiceNode():
                return tuple(
                    ChoiceOption(
                        c.id, self.text(c.label), c.exclusive, self.text(c.short) if c.short else ""
                    )
                    for c in node.choices
                )
            case YesNoNode() | CrisisCheckNode():
                pairs = [("yes", node.yes), ("no", node.no)]
            case ConsentNode():
                pairs = [("accept", node.accept), ("decline", node.decline)]
            case WhenNode():
                # In the order of WHEN_BUCKETS, whatever order the flow lists them in.
                pairs = sorted(node.options.items(), key=lambda kv: WHEN_BUCKETS.index(kv[0]))
            case FreeTextNode():
                pairs = [(SKIP, self.flow.ui[SKIP])] if node.optional else []
        return tuple(ChoiceOption(i, self.text(label)) for i, label in pairs)

    # -- answering

    def answer(self, inp: Input, *, words: bool = False) -> None:
        """`words`: the text holds crisis words and the flow has the danger path (a free text
        answer is kept, then the dialog waits for the person's choice)."""
        node = self.current()
        outcome = self.interpret(node, inp)
        if isinstance(outcome, _Invalid):
            if words:
                self.pause(node.id, "words")
                return
            error = self.flow.ui_text(self.error_key(outcome.ui_key, node), self.state.language)
            self.outputs.append(BotMessage(error, kind="error", node_id=node.id))
            self.prompt()
            return
        talk_now = self.flow.crisis.talk_now is not None
        if outcome.in_danger and not talk_now:
            self.crisis("answer")
        self.state.answers[node.key] = outcome.value
        if isinstance(node, FreeTextNode) and node.understand and isinstance(inp, TextInput):
            self.state.suggested.update({key: list(ids) for key, ids in inp.suggested})
        self.state.history.append(node.id)
        if outcome.language is not None:
            self.set_language(outcome.language)
            self.state.language_chosen = True
        if talk_now and (outcome.in_danger or words):
            self.pause(outcome.next, "answer" if outcome.in_danger else "words")
            return
        self.enter(outcome.next)

    def error_key(self, ui_key: str, node: InputNode | None = None) -> str:
        """The ui text that says `ui_key` at `node` (None: the danger path's choice). The
        general `invalid_choice` tells of answers that go only on their own ("nicht sicher");
        at a question without such answers the flow's `not_understood`, where it has one,
        leaves that out."""
        if ui_key != "invalid_choice" or NOT_UNDERSTOOD not in self.flow.ui:
            return ui_key
        if isinstance(node, MultiChoiceNode) and any(c.exclusive for c in node.choices):
            return ui_key
        return NOT_UNDERSTOOD

    def interpret(self, node: InputNode, inp: Input) -> _Outcome:
        match node:
            case SingleChoiceNode():
                return self.single_choice(node, inp)
            case MultiChoiceNode():
                return self.multi_choice(node, inp)
            case FreeTextNode():
                return self.free_text(node, inp)
            case WhenNode():
                return self.when(node, inp)
            case YesNoNode() | ConsentNode() | CrisisCheckNode():
                return self.binary(node, inp)

    def single_choice(self, node: SingleChoiceNode, inp: Input) -> _Outcome:
        picked = _pick_one(inp, self.options(node))
        choice = next((c for c in node.choices if c.id == picked), None)
        if choice is None:
            return _Invalid("invalid_choice")
        target = choice.next or node.next
        if target is None:
            raise EngineError(f"choice '{choice.id}' of node '{node.id}' leads nowhere")
        language = (choice.language or choice.id) if node.sets_language else None
        return _Answer(choice.id, target, language=language)

    def binary(self, node: YesNoNode | ConsentNode | CrisisCheckNode, inp: Input) -> _Outcome:
        options = self.options(node)
        if isinstance(inp, TextInput):
            picked = _typed_binary(inp.text, options)
        else:
            picked = _pick_one(inp, options)
        if picked is None:
            return _Invalid("invalid_choice")
        yes = picked in ("yes", "accept")
        match node:
            case YesNoNode():
                return _Answer(yes, node.on_yes if yes else node.on_no)
            case ConsentNode():
                return _Answer(yes, node.next if yes else node.on_decline)
            case CrisisCheckNode():
                return _Answer(yes, node.next, in_danger=yes)

    def multi_choice(self, node: MultiChoiceNode, inp: Input) -> _Outcome:
        options = self.options(node)
        raw: list[str] | None
        match inp:
            case ChoicesInput():
                raw = list(inp.choices)
            case ChoiceInput():
                raw = [inp.choice]
            case TextInput():
                raw = _typed_picks(inp.text, options)
            case _:
                raw = None
        ids = [c.id for c in node.choices]
        if raw is None or any(p not in ids for p in raw):
            return _Invalid("invalid_choice")
        picks = [i for i in ids if i in raw]  # choice order, no duplicates
        exclusive = {c.id for c in node.choices if c.exclusive}
        if len(picks) > 1 and exclusive.intersection(picks):
            # Said precisely where the flow has the words (a web page has no numbers to type).
            return _Invalid("only_alone" if "only_alone" in self.flow.ui else "invalid_choice")
        if len(picks) < node.min:
            return _Invalid("too_few")
        if len(picks) > (node.max or len(ids)):
            return _Invalid("too_many")
        return _Answer(picks, node.next)

    def free_text(self, node: FreeTextNode, inp: Input) -> _Outcome:
        if isinstance(inp, ChoiceInput) and inp.choice == SKIP and node.optional:
            return _Answer(None, node.next)
        if not isinstance(inp, TextInput):
            return _Invalid("invalid_choice")
        text = inp.text.strip()
        skip_label = _fold(self.flow.ui_text(SKIP, self.state.language))
        if node.optional and (not text or _fold(text) == skip_label):
            return _Answer(None, node.next)
        if not text:
            return _Invalid("empty_text")
        if len(text) > node.max_length:
            return _Invalid("too_long")
        return _Answer(text, node.next)

    def when(self, node: WhenNode, inp: Input) -> _Outcome:
        if isinstance(inp, TextInput):
            typed = _typed_date(inp.text)
            if isinstance(typed, date):
                if typed > self.now.date():
                    return _Invalid("future_date")
                return _Answer({"bucket": WHEN_DATE, "date": typed.isoformat()}, node.next)
            if typed is not None:
                return typed
        bucket = _pick_one(inp, self.options(node))
        if bucket is None:
            return _Invalid("invalid_date" if isinstance(inp, TextInput) else "invalid_choice")
        return _Answer({"bucket": bucket, "date": None}, node.next)
