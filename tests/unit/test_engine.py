"""dialogs.engine: walking flows through every node kind, inputs, crisis, navigation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dialogs import engine
from dialogs.engine import EngineError, holds, new_state, step
from dialogs.loader import load_flow, parse_flow
from dialogs.model import Condition, Flow
from dialogs.steps import (
    Aside,
    Back,
    BotMessage,
    ChoiceInput,
    ChoiceOption,
    ChoicesInput,
    CrisisDetected,
    DialogEnded,
    DialogState,
    HandoverRequested,
    Input,
    LanguageChanged,
    Restart,
    SetLanguage,
    Start,
    StepResult,
    TextInput,
)

NOW = datetime(2025, 3, 15, 14, 30)

FLOW_YAML = """\
id: intake
title: {de: Erstkontakt, en: First contact}
languages: [de, en]
default_language: de
start: lang
ui:
  back: {de: Zurück, en: Back}
  restart: {"*": restart}
  done: {"*": done}
  skip: {de: Überspringen, en: Skip}
  invalid_choice: {de: Bitte wählen, en: Please choose}
  too_long: {de: Zu lang, en: Too long}
  too_few: {de: Zu wenige, en: Too few}
  too_many: {de: Zu viele, en: Too many}
  invalid_date: {de: "Datum?", en: "Date?"}
  future_date: {de: Zukunft, en: Future}
  empty_text: {de: Leer, en: Empty}
crisis:
  words: {de: [nicht mehr leben, suizid*], en: [kill myself]}
  message: {de: Ruf 110 an, en: Call 110}
nodes:
  - id: lang
    kind: single_choice
    text: {"*": Sprache / Language}
    sets_language: true
    choices:
      - {id: de, label: {"*": Deutsch}}
      - {id: en, label: {"*": English}}
    next: intro
  - id: intro
    kind: message
    text: {de: Willkommen, en: Welcome}
    next: consent
  - id: consent
    kind: consent
    text: {de: "Einverstanden?", en: "Agree?"}
    accept: {de: Ja, en: Yes}
    decline: {de: Nein, en: No}
    next: danger
    on_decline: bye
  - id: bye
    kind: end
    text: {de: Tschüss, en: Bye}
  - id: danger
    kind: crisis_check
    text: {de: "Gefahr?", en: "Danger?"}
    yes: {de: Ja, en: Yes}
    no: {de: Nein, en: No}
    next: when
  - id: when
    kind: when
    store: incident
    text: {de: "Wann?", en: "When?"}
    options:
      today: {de: Heute, en: Today}
      this_week: {de: Diese Woche, en: This week}
      this_month: {de: Diesen Monat, en: This month}
      longer_ago: {de: Länger her, en: Longer ago}
      not_sure: {de: Weiß nicht, en: Not sure}
    next: area
  - id: area
    kind: single_choice
    text: {de: "Wo?", en: "Where?"}
    choices:
      - {id: work, label: {de: Arbeit, en: Work}}
      - {id: housing, label: {de: Wohnen, en: Housing}}
      - {id: police, label: {de: Polizei, en: Police}, next: police_info}
    next: grounds
  - id: police_info
    kind: message
    text: {de: Nicht AGG, en: Not AGG}
    next: grounds
  - id: grounds
    kind: multi_choice
    text: {de: "Warum?", en: "Why?"}
    choices:
      - {id: racism, label: {de: Rassismus, en: Racism}}
      - {id: gender, label: {de: Geschlecht, en: Gender}}
      - {id: age, label: {de: Alter, en: Age}}
      - {id: unsure, label: {de: Unsicher, en: Not sure}, exclusive: true}
    min: 1
    max: 2
    next: route
  - id: route
    kind: branch
    cases:
      - when:
          - {field: area, op: equals, value: work}
          - {field: grounds, op: includes, value: [racism, gender]}
        next: deadline
    otherwise: story
  - id: deadline
    kind: message
    text: {de: Frist 2 Monate, en: Deadline 2 months}
    next: story
  - id: story
    kind: free_text
    text: {de: Erzähl, en: Tell}
    max_length: 40
    optional: true
    next: anon
  - id: anon
    kind: yes_no
    text: {de: "Anonym?", en: "Anonymous?"}
    yes: {de: Ja, en: Yes}
    no: {de: Nein, en: No}
    on_yes: handover
    on_no: handover
  - id: handover
    kind: handover
    text: {de: "Code {case_code}, Antwort {response_time}", en: "Code {case_code}"}
    team: {by: area, routes: {work: work_team}, default: general}
    incident_date_from: incident
"""

FLOW = parse_flow(FLOW_YAML, "intake.yaml")

TO_CONSENT: list[Input] = [Start(), ChoiceInput("en")]
TO_WHEN: list[Input] = [*TO_CONSENT, ChoiceInput("accept"), ChoiceInput("no")]
TO_AREA: list[Input] = [*TO_WHEN, ChoiceInput("today")]
TO_GROUNDS: list[Input] = [*TO_AREA, ChoiceInput("work")]
TO_STORY: list[Input] = [*TO_GROUNDS, ChoicesInput(("racism",))]
TO_ANON: list[Input] = [*TO_STORY, TextInput("It happened at work")]


def play(
    inputs: list[Input], flow: Flow = FLOW, state: DialogState | None = None
) -> tuple[DialogState, list[StepResult]]:
    state = state if state is not None else new_state(flow)
    results = []
    for inp in inputs:
        result = step(flow, state, inp, NOW)
        results.append(result)
        state = result.state
    return state, results


def at(inputs: list[Input], flow: Flow = FLOW) -> DialogState:
    return play(inputs, flow)[0]


def said(result: StepResult) -> list[tuple[str, str]]:
    return [(m.kind, m.text) for m in result.messages]


# ---------------------------------------------------------------- starting


def test_new_state_uses_a_known_language_else_the_default() -> None:
    assert new_state(FLOW).language == "de"
    assert new_state(FLOW, "en").language == "en"
    assert new_state(FLOW, "fr").language == "de"
    assert new_state(FLOW).node is None


def test_start_enters_the_flow_with_a_prompt() -> None:
    result = step(FLOW, new_state(FLOW), Start(), NOW)
    assert result.outputs == (
        BotMessage(
            "Sprache / Language",
            kind="prompt",
            node_id="lang",
            expects="choice",
            choices=(ChoiceOption("de", "Deutsch"), ChoiceOption("en", "English")),
        ),
    )
    assert result.state.node == "lang"


def test_start_with_a_language_sets_it_on_a_fresh_state() -> None:
    assert step(FLOW, new_state(FLOW), Start("en"), NOW).state.language == "en"
    assert step(FLOW, new_state(FLOW), Start("fr"), NOW).state.language == "de"


def test_start_again_shows_the_current_prompt_and_changes_nothing() -> None:
    state = at(TO_WHEN)
    result = step(FLOW, state, Start("de"), NOW)
    assert result.state == state
    assert said(result) == [("prompt", "When?")]


def test_any_first_input_starts_the_flow() -> None:
    result = step(FLOW, new_state(FLOW), ChoiceInput("en"), NOW)
    assert said(result) == [("prompt", "Sprache / Language")]
    assert result.state.answers == {}


# ---------------------------------------------------------------- node kinds


def test_sets_language_changes_the_following_texts() -> None:
    state, [_, result] = play(TO_CONSENT)
    assert result.outputs[0] == LanguageChanged("en")
    assert said(result) == [("info", "Welcome"), ("prompt", "Agree?")]
    assert result.messages[1].choices == (
        ChoiceOption("accept", "Yes"),
        ChoiceOption("decline", "No"),
    )
    assert result.messages[1].can_go_back
    assert state.language == "en"
    assert state.answers == {"lang": "en"}
    assert state.history == ["lang"]


def test_consent_declined_ends_the_dialog() -> None:
    state, results = play([*TO_CONSENT, ChoiceInput("decline")])
    assert results[-1].outputs == (BotMessage("Bye", kind="info", node_id="bye"), DialogEnded())
    assert state.finished == "end"
    assert state.node is None
    assert state.answers["consent"] is False


def test_crisis_check_yes_shows_resources_and_goes_on() -> None:
    state, results = play([*TO_CONSENT, ChoiceInput("accept"), ChoiceInput("yes")])
    result = results[-1]
    assert result.outputs[:2] == (
        BotMessage("Call 110", kind="crisis", node_id="danger"),
        CrisisDetected("answer"),
    )
    assert said(result)[1:] == [("prompt", "When?")]
    assert state.crisis is True
    assert state.answers["danger"] is True


def test_crisis_check_no_goes_on_quietly() -> None:
    state, results = play(TO_WHEN)
    assert said(results[-1]) == [("prompt", "When?")]
    assert state.crisis is False
    assert state.answers["danger"] is False


def test_when_prompt_offers_the_buckets_in_order() -> None:
    [*_, result] = play(TO_WHEN)[1]
    prompt = result.messages[-1]
    assert prompt.expects == "date"  # a date field with the buckets beside it
    assert [c.id for c in prompt.choices] == [
        "today",
        "this_week",
        "this_month",
        "longer_ago",
        "not_sure",
    ]
    assert prompt.choices[0].label == "Today"


def test_multi_choice_prompt() -> None:
    prompt = play(TO_GROUNDS)[1][-1].messages[-1]
    assert (prompt.expects, prompt.min_choices, prompt.max_choices) == ("choices", 1, 2)
    assert [c.label for c in prompt.choices] == ["Racism", "Gender", "Age", "Not sure"]


def test_free_text_prompt_offers_skip_when_optional() -> None:
    prompt = play(TO_STORY)[1][-1].messages[-1]
    assert prompt.expects == "text"
    assert (prompt.max_length, prompt.optional) == (40, True)
    assert prompt.choices == (ChoiceOption("skip", "Skip"),)


def test_walk_to_handover_through_every_kind() -> None:
    state, results = play([*TO_ANON, ChoiceInput("yes")])
    # branch: work + racism -> deadline message before the story prompt
    assert said(results[len(TO_STORY) - 1]) == [
        ("info", "Deadline 2 months"),
        ("prompt", "Tell"),
    ]
    final = results[-1]
    assert final.outputs == (
        BotMessage("Code {case_code}", kind="info", node_id="handover"),
        HandoverRequested(
            team="work_team",
            answers={
                "lang": "en",
                "consent": True,
                "danger": False,
                "incident": {"bucket": "today", "date": None},
                "area": "work",
                "grounds": ["racism"],
                "story": "It happened at work",
                "anon": True,
            },
            crisis=False,
            incident_date=date(2025, 3, 15),
            language="en",
        ),
    )
    assert state.finished == "handover"
    assert state.node is None
    assert state.history == [
        "lang",
        "consent",
        "danger",
        "when",
        "area",
        "grounds",
        "story",
        "anon",
    ]


def test_branch_otherwise_and_choice_level_next() -> None:
    housing = play([*TO_AREA, ChoiceInput("housing"), ChoicesInput(("racism",))])[1]
    assert said(housing[-1]) == [("prompt", "Tell")]
    police = play([*TO_AREA, ChoiceInput("police")])[1]
    assert said(police[-1]) == [("info", "Not AGG"), ("prompt", "Why?")]


def test_team_falls_back_to_the_default() -> None:
    inputs = [*TO_AREA, ChoiceInput("housing"), ChoicesInput(("age",)), ChoiceInput("skip")]
    [handover] = play([*inputs, ChoiceInput("no")])[1][-1].effects
    assert isinstance(handover, HandoverRequested)
    assert handover.team == "general"
    assert handover.answers["story"] is None


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (ChoiceInput("today"), date(2025, 3, 15)),
        (ChoiceInput("this_week"), date(2025, 3, 9)),
        (ChoiceInput("this_month"), date(2025, 2, 13)),
        (ChoiceInput("longer_ago"), None),
        (ChoiceInput("not_sure"), None),
        (TextInput("02.01.2025"), date(2025, 1, 2)),
    ],
)
def test_incident_date_from_the_when_answer(answer: Input, expected: date | None) -> None:
    inputs = [*TO_WHEN, answer, ChoiceInput("housing"), ChoicesInput(("age",))]
    effects = play([*inputs, ChoiceInput("skip"), ChoiceInput("no")])[1][-1].effects
    assert isinstance(effects[0], HandoverRequested)
    assert effects[0].incident_date == expected


def test_input_after_the_end_does_nothing() -> None:
    state = at([*TO_CONSENT, ChoiceInput("decline")])
    for inp in (Start(), TextInput("hello?"), Restart(), Back(), ChoiceInput("accept")):
        result = step(FLOW, state, inp, NOW)
        assert result.outputs == ()
        assert result.state == state


# ---------------------------------------------------------------- typed and invalid input


@pytest.mark.parametrize(
    ("before", "inp", "error"),
    [
        ([Start()], ChoiceInput("fr"), "Bitte wählen"),
        ([Start()], TextInput("3"), "Bitte wählen"),
        (TO_CONSENT, TextInput("maybe"), "Please choose"),
        (TO_CONSENT, ChoicesInput(("accept", "decline")), "Please choose"),
        (TO_WHEN, TextInput("31.02.2025"), "Date?"),
        (TO_WHEN, TextInput("16.03.2025"), "Future"),
        (TO_WHEN, TextInput("last tuesday"), "Date?"),
        (TO_WHEN, ChoiceInput("yesterday"), "Please choose"),
        (TO_GROUNDS, ChoicesInput(()), "Too few"),
        (TO_GROUNDS, ChoicesInput(("racism", "gender", "age")), "Too many"),
        (TO_GROUNDS, ChoicesInput(("racism", "unsure")), "Please choose"),
        (TO_GROUNDS, ChoicesInput(("nope",)), "Please choose"),
        (TO_GROUNDS, TextInput("1, 9"), "Please choose"),
        (TO_GROUNDS, TextInput("1 2 3"), "Too many"),
        (TO_STORY, TextInput("x" * 41), "Too long"),
        (TO_STORY, ChoicesInput(("skip",)), "Please choose"),
        (TO_ANON, TextInput("perhaps"), "Please choose"),
    ],
)
def test_invalid_input_explains_and_asks_again(before: list[Input], inp: Input, error: str) -> None:
    state, results = play(before)
    prompt = results[-1].messages[-1]
    result = step(FLOW, state, inp, NOW)
    assert result.state == state
    assert result.outputs == (BotMessage(error, kind="error", node_id=prompt.node_id), prompt)


@pytest.mark.parametrize(
    ("before", "typed", "key", "value"),
    [
        ([Start()], "2", "lang", "en"),
        ([Start()], "  deutsch ", "lang", "de"),
        (TO_CONSENT, "YES", "consent", True),
        (TO_CONSENT, "2", "consent", False),
        (TO_WHEN, "3", "incident", {"bucket": "this_month", "date": None}),
        (TO_WHEN, "not  sure", "incident", {"bucket": "not_sure", "date": None}),
        (TO_WHEN, "1.3.2025", "incident", {"bucket": "date", "date": "2025-03-01"}),
        (TO_WHEN, "01.03.2025", "incident", {"bucket": "date", "date": "2025-03-01"}),
        (TO_WHEN, "2025-03-15", "incident", {"bucket": "date", "date": "2025-03-15"}),
        (TO_WHEN, "28/02/2025", "incident", {"bucket": "date", "date": "2025-02-28"}),
        (TO_AREA, "Police", "area", "police"),
        (TO_GROUNDS, "2,1", "grounds", ["racism", "gender"]),
        (TO_GROUNDS, "3", "grounds", ["age"]),
        (TO_GROUNDS, "not sure", "grounds", ["unsure"]),
        (TO_STORY, "  my story \n", "story", "my story"),
        (TO_STORY, "skip", "story", None),
        (TO_STORY, "   ", "story", None),
    ],
)
def test_typed_answers(before: list[Input], typed: str, key: str, value: object) -> None:
    state = step(FLOW, at(before), TextInput(typed), NOW).state
    assert state.answers[key] == value


def test_multi_choice_answers_are_kept_in_choice_order() -> None:
    state = step(FLOW, at(TO_GROUNDS), ChoicesInput(("gender", "racism", "gender")), NOW).state
    assert state.answers["grounds"] == ["racism", "gender"]
    state = step(FLOW, at(TO_GROUNDS), ChoiceInput("unsure"), NOW).state
    assert state.answers["grounds"] == ["unsure"]


def test_optional_free_text_is_skipped_by_the_skip_choice() -> None:
    state, results = play([*TO_STORY, ChoiceInput("skip")])
    assert state.answers["story"] is None
    assert said(results[-1]) == [("prompt", "Anonymous?")]


REQUIRED_TEXT = parse_flow(FLOW_YAML.replace("optional: true", "optional: false"), "r.yaml")


def test_required_free_text_refuses_blank_and_skip() -> None:
    state = at(TO_STORY, REQUIRED_TEXT)
    for inp, error in ((TextInput("  "), "Empty"), (ChoiceInput("skip"), "Please choose")):
        result = step(REQUIRED_TEXT, state, inp, NOW)
        assert said(result) == [("error", error), ("prompt", "Tell")]
        assert result.state == state
    assert step(REQUIRED_TEXT, state, TextInput("skip"), NOW).state.answers["story"] == "skip"


# ---------------------------------------------------------------- crisis


def test_crisis_words_in_free_text_are_answered_first_and_the_text_is_kept() -> None:
    state, results = play([*TO_STORY, TextInput("I want to kill myself")])
    result = results[-1]
    assert result.outputs[:2] == (
        BotMessage("Call 110", kind="crisis", node_id="story"),
        CrisisDetected("words"),
    )
    assert said(result)[1:] == [("prompt", "Anonymous?")]
    assert state.answers["story"] == "I want to kill myself"
    assert state.crisis is True


def test_crisis_words_at_a_choice_node_keep_the_position() -> None:
    before = at(TO_GROUNDS)
    result = step(FLOW, before, TextInput("ich habe Suizidgedanken"), NOW)
    assert result.outputs[1] == CrisisDetected("words")
    assert said(result) == [("crisis", "Call 110"), ("prompt", "Why?")]
    assert result.state.node == "grounds"
    assert result.state.answers == before.answers
    assert result.state.history == before.history
    assert result.state.crisis is True


def test_a_files_caption_never_answers_and_the_question_is_asked_again() -> None:
    before = at(TO_STORY)
    result = step(FLOW, before, Aside("this is the letter"), NOW)
    assert [m.kind for m in result.messages] == ["prompt"]
    assert result.messages[0].node_id == "story"
    assert result.state.node == "story"
    assert result.state.answers == before.answers
    assert result.state.history == before.history


def test_crisis_words_in_a_caption_bring_the_crisis_message_and_keep_the_question() -> None:
    before = at(TO_STORY)
    result = step(FLOW, before, Aside("he said he would kill myself"), NOW)
    assert result.outputs[:2] == (
        BotMessage("Call 110", kind="crisis", node_id="story"),
        CrisisDetected("words"),
    )
    assert [m.kind for m in result.messages][1:] == ["prompt"]
    assert "story" not in result.state.answers and result.state.crisis is True


def test_crisis_words_in_another_language_than_the_conversation() -> None:
    result = step(FLOW, at(TO_WHEN), TextInput("ich will nicht mehr leben"), NOW)
    assert said(result)[0] == ("crisis", "Call 110")


def test_crisis_words_in_the_first_message() -> None:
    result = step(FLOW, new_state(FLOW), TextInput("Ich will nicht mehr leben"), NOW)
    assert said(result) == [("crisis", "Ruf 110 an"), ("prompt", "Sprache / Language")]
    assert result.effects == [CrisisDetected("words")]
    assert result.state.crisis


# ---------------------------------------------------------------- navigation


def test_back_returns_to_the_previous_question_and_keeps_answers() -> None:
    state, results = play([*TO_GROUNDS, Back()])
    assert said(results[-1]) == [("prompt", "Where?")]
    assert state.node == "area"
    assert state.history == ["lang", "consent", "danger", "when"]
    assert state.answers["area"] == "work"
    state, results = play([*TO_GROUNDS, Back(), Back(), Back(), Back(), Back(), Back()])
    assert state.node == "lang"
    assert state.history == []
    assert results[-1].messages[-1].can_go_back is False
    assert said(results[-1]) == [("prompt", "Sprache / Language")]


def test_restart_keeps_language_and_crisis_flag_and_does_not_ask_the_language_again() -> None:
    state = at([*TO_CONSENT, ChoiceInput("accept"), ChoiceInput("yes")])
    result = step(FLOW, state, Restart(), NOW)
    assert said(result) == [("info", "Welcome"), ("prompt", "Agree?")]
    assert result.state == DialogState(
        node="consent", language="en", crisis=True, language_chosen=True, answers={"lang": "en"}
    )


def test_a_language_chosen_on_the_page_answers_the_language_question() -> None:
    result = step(FLOW, DialogState(language="de"), Start(language="en", chosen=True), NOW)
    assert said(result) == [("info", "Welcome"), ("prompt", "Agree?")]
    assert result.state.answers == {"lang": "en"}
    # Nothing to go back to: the language is changed with the page's control.
    assert result.messages[-1].can_go_back is False


def test_a_guessed_language_is_pre_selected_at_the_language_question() -> None:
    result = step(FLOW, DialogState(language="de"), Start(language="en"), NOW)
    assert said(result) == [("prompt", "Sprache / Language")]
    assert result.messages[0].suggested == ("en",)
    assert result.state.language == "en"
    # One tap confirms it; another choice is just as possible.
    assert step(FLOW, result.state, ChoiceInput("de"), NOW).state.language == "de"


def test_a_guessed_language_is_pre_selected_whatever_message_begins_the_dialog() -> None:
    # A first "Hello" on Telegram: the app's language is the channel's guess, as with Start.
    fresh = new_state(FLOW, "en", guessed=True)
    result = step(FLOW, fresh, TextInput("Hello"), NOW)
    assert said(result) == [("prompt", "Sprache / Language")]
    assert result.messages[0].suggested == ("en",)
    assert result.state.language == "en"
    # Not guessed (no hint): nothing pre-selected.
    plain = step(FLOW, new_state(FLOW), TextInput("Hello"), NOW)
    assert plain.messages[0].suggested == ()


def test_choosing_the_language_outside_the_dialog_answers_its_waiting_question() -> None:
    state = at([Start()])
    result = step(FLOW, state, SetLanguage("en"), NOW)
    assert LanguageChanged("en") in result.outputs
    assert said(result) == [("info", "Welcome"), ("prompt", "Agree?")]
    assert result.state.answers == {"lang": "en"}


def test_a_chosen_language_the_question_does_not_offer_still_asks_it() -> None:
    # "fr" is not one of the flow's languages: the page's choice cannot answer the question.
    result = step(FLOW, DialogState(language="de"), Start(language="fr", chosen=True), NOW)
    assert said(result) == [("prompt", "Sprache / Language")]


def test_set_language_shows_the_prompt_again_in_it() -> None:
    result = step(FLOW, at(TO_WHEN), SetLanguage("de"), NOW)
    assert result.outputs[0] == LanguageChanged("de")
    assert said(result) == [("prompt", "Wann?")]
    assert result.messages[0].choices[0] == ChoiceOption("today", "Heute")
    assert result.state.language == "de"


def test_set_language_ignores_unknown_languages() -> None:
    state = at(TO_WHEN)
    result = step(FLOW, state, SetLanguage("fr"), NOW)
    assert result.effects == []
    assert said(result) == [("prompt", "When?")]
    assert result.state == state


# ---------------------------------------------------------------- purity


def test_replay_gives_the_same_outputs() -> None:
    inputs: list[Input] = [
        *TO_GROUNDS,
        TextInput("suizid"),
        Back(),
        ChoiceInput("police"),
        ChoicesInput(("age", "gender")),
        TextInput("kill myself"),
        SetLanguage("de"),
        ChoiceInput("yes"),
    ]
    first_state, first = play(inputs)
    second_state, second = play(inputs)
    assert first == second
    assert first_state == second_state
    assert first_state.finished == "handover"


def test_step_does_not_mutate_its_input() -> None:
    state = at(TO_GROUNDS)
    snapshot = state.model_dump()
    for inp in (
        ChoicesInput(("racism",)),
        Back(),
        Restart(),
        TextInput("suizid"),
        SetLanguage("de"),
    ):
        result = step(FLOW, state, inp, NOW)
        assert result.state is not state
        assert state.model_dump() == snapshot
    result = step(FLOW, state, ChoicesInput(("racism",)), NOW)
    result.state.answers["grounds"].append("x")
    assert state.model_dump() == snapshot


def test_a_step_shares_no_answer_with_the_state_it_was_given() -> None:
    answered = step(FLOW, at(TO_GROUNDS), ChoicesInput(("racism",)), NOW).state
    snapshot = answered.model_dump()
    later = step(FLOW, answered, Start(), NOW).state
    later.answers["grounds"].append("age")
    later.suggested.setdefault("grounds", []).append("age")
    later.history.append("x")
    assert answered.model_dump() == snapshot


# ---------------------------------------------------------------- inconsistent flows


def test_a_loop_of_message_nodes_raises_instead_of_hanging() -> None:
    # Built in code, so the validator (which forbids such loops) never saw it.
    data = FLOW.model_dump()
    for node in data["nodes"]:
        if node["id"] == "police_info":
            node["next"] = "deadline"
        if node["id"] == "deadline":
            node["next"] = "police_info"
    looped = Flow.model_validate(data)
    with pytest.raises(EngineError, match="loops without asking: police_info -> deadline"):
        step(looped, at(TO_AREA, looped), ChoiceInput("police"), NOW)


def test_a_state_at_an_unknown_node_raises() -> None:
    state = DialogState(node="gone", language="de", history=["lang"])
    with pytest.raises(EngineError, match="has no node 'gone'"):
        step(FLOW, state, ChoiceInput("x"), NOW)


# ---------------------------------------------------------------- conditions


@pytest.mark.parametrize(
    ("op", "value", "answers", "expected"),
    [
        ("equals", "work", {"f": "work"}, True),
        ("equals", "work", {}, False),
        ("equals", "today", {"f": {"bucket": "today", "date": None}}, True),
        ("not_equals", "work", {"f": "housing"}, True),
        ("not_equals", "work", {}, True),
        ("in", ["a", "b"], {"f": "b"}, True),
        ("in", ["a", "b"], {"f": "c"}, False),
        ("includes", ["a", "z"], {"f": ["a", "b"]}, True),
        ("includes", ["z"], {"f": ["a", "b"]}, False),
        ("answered", None, {"f": "x"}, True),
        ("answered", None, {"f": None}, False),
        ("not_answered", None, {}, True),
        ("is_true", None, {"f": True}, True),
        ("is_true", None, {"f": "yes"}, False),
    ],
)
def test_conditions(op: str, value: object, answers: dict[str, object], expected: bool) -> None:
    cond = Condition.model_validate({"field": "f", "op": op, "value": value})
    assert holds(cond, answers) is expected


def test_going_back_drops_the_answer_of_the_question_left_behind() -> None:
    """A person who goes back past a question may take another path; the answer they gave
    there must not reach branch conditions or the handover."""
    flow = load_flow(Path(__file__).parent.parent / "flows" / "mini.yaml")
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    state = new_state(flow, "de")
    for inp in (
        Start(),
        ChoiceInput("accept"),
        ChoiceInput("no"),
        ChoiceInput("today"),
        ChoiceInput("hannover"),
    ):
        state = step(flow, state, inp, now).state
    assert state.node == "account" and state.answers["municipality"] == "hannover"
    state = step(flow, state, Back(), now).state  # back to the municipality question
    assert state.node == "municipality" and state.answers["municipality"] == "hannover"
    state = step(flow, state, Back(), now).state  # back past it
    assert state.node == "when"
    assert "municipality" not in state.answers
    assert state.answers["when"]["bucket"] == "today"


def test_an_exclusive_answer_with_others_gets_the_flows_precise_text_where_it_has_one() -> None:
    precise = parse_flow(
        FLOW_YAML.replace(
            "  invalid_choice: {de: Bitte wählen, en: Please choose}",
            "  invalid_choice: {de: Bitte wählen, en: Please choose}\n"
            "  only_alone: {de: Nur allein, en: Only on its own}",
        ),
        "intake.yaml",
    )
    state = at(TO_GROUNDS, precise)
    result = step(precise, state, ChoicesInput(("racism", "unsure")), NOW)
    assert result.state == state  # nothing taken, the question is asked again
    assert result.messages[0].text == "Only on its own"
    # Any other wrong answer keeps the general text.
    other = step(precise, state, ChoicesInput(("nope",)), NOW)
    assert other.messages[0].text == "Please choose"


def test_a_flow_without_exclusive_answers_there_says_its_plain_text_where_it_has_one() -> None:
    plain = parse_flow(
        FLOW_YAML.replace(
            "  invalid_choice: {de: Bitte wählen, en: Please choose}",
            "  invalid_choice: {de: Bitte wählen, en: Please choose}\n"
            "  not_understood: {de: Nicht verstanden, en: Not understood}",
        ),
        "intake.yaml",
    )
    state = at(TO_CONSENT, plain)
    result = step(plain, state, TextInput("maybe"), NOW)
    assert result.state == state
    assert result.messages[0].text == "Not understood"
    # Where answers go only alone the general text says so, and is kept.
    grounds = step(plain, at(TO_GROUNDS, plain), ChoicesInput(("nope",)), NOW)
    assert grounds.messages[0].text == "Please choose"


@pytest.mark.parametrize(
    ("accept", "decline", "typed", "value"),
    [
        ("Ja, ich bin einverstanden", "Nein", "ja", True),
        ("Ja, ich bin einverstanden", "Nein", "JA!", True),
        ("Ja, ich bin einverstanden", "Nein", "ja ich bin einverstanden", True),
        ("Ja, ich bin einverstanden", "Nein", "ja einverstanden", True),
        ("Ja, ich bin einverstanden", "Nein", "ja 👍", True),
        ("Ja, ich bin einverstanden", "Nein", "nein", False),
        ("Ja, ich bin einverstanden.", "Nein, ich bin nicht einverstanden.", "Nein.", False),
        ("Так, я згоден / згодна", "Ні", "так, я згодна", True),  # noqa: RUF001 (Cyrillic)
        ("نعم، أوافق", "لا", "نعم", True),
        # Not a clear answer: asked again.
        ("Ja, ich bin einverstanden", "Nein", "ja, ich bin nicht einverstanden", None),
        ("Ja, ich bin einverstanden", "Nein", "ja aber nein", None),
        ("Ja, ich bin einverstanden", "Nein", "einverstanden", None),
        ("Ja, ich bin einverstanden", "Nein", "jaja", None),
        ("Ja, ich bin einverstanden", "Nein", "einverstanden ja", None),
        ("Ja, ich bin einverstanden", "Ja, aber nicht speichern", "ja", None),  # both sides
    ],
)
def test_a_typed_yes_or_no_at_consent(
    accept: str, decline: str, typed: str, value: bool | None
) -> None:
    labelled = parse_flow(
        FLOW_YAML.replace(
            "accept: {de: Ja, en: Yes}", f"accept: {{de: '{accept}', en: Yes}}"
        ).replace("decline: {de: Nein, en: No}", f"decline: {{de: '{decline}', en: No}}"),
        "intake.yaml",
    )
    state = at([Start(), ChoiceInput("de")], labelled)
    assert state.node == "consent"
    result = step(labelled, state, TextInput(typed), NOW)
    assert result.state.answers.get("consent") is value
    if value is None:
        assert result.state == state
        assert result.messages[0].kind == "error"


# ---------------------------------------------------------------- the question on screen

SHIPPED = load_flow(Path(__file__).resolve().parents[2] / "dialogs" / "flows" / "intake.yaml")
SHIPPED_WALK: list[Input] = [
    Start(language="de"),
    ChoiceInput("de"),
    ChoiceInput("accept"),
    ChoiceInput("no"),
    ChoiceInput("this_week"),
    ChoicesInput(("work",)),
    ChoiceInput("garbsen"),
    ChoicesInput(("racism",)),
    TextInput("Man hat mir die Wohnung nicht gegeben."),
    ChoiceInput("affected"),
    ChoicesInput(("information",)),
    ChoiceInput("anonymous_chat"),
    ChoiceInput("social_media"),
]
DANGER_WALK: list[Input] = [
    *SHIPPED_WALK[:3],
    ChoiceInput("yes"),  # in danger: the crisis box with "a person now" or "go on"
    ChoiceInput("talk_now"),  # the case is created; the dialog may go on
    ChoiceInput("go_on"),
    *SHIPPED_WALK[4:],
]
WORDS_WALK: list[Input] = [*SHIPPED_WALK[:8], TextInput("ich will nicht mehr leben"), Back()]


@pytest.mark.parametrize("walk", [SHIPPED_WALK, DANGER_WALK, WORDS_WALK])
def test_offered_names_the_choices_of_the_question_on_screen(walk: list[Input]) -> None:
    state = new_state(SHIPPED)
    seen = 0
    for inp in [*walk, Restart()]:
        shown = [c for m in step(SHIPPED, state, Start(), NOW).messages for c in m.choices]
        assert list(engine.offered(SHIPPED, state, NOW)) == (shown if state.node else [])
        seen += bool(shown)
        state = step(SHIPPED, state, inp, NOW).state
    assert seen >= len(walk) - 3
