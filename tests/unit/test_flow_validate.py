"""Every semantic rule of dialogs.validate, with the exact file:line:column it reports."""

from __future__ import annotations

import pytest

from dialogs.errors import FlowErrors
from dialogs.loader import parse_flow
from dialogs.translations import entries
from dialogs.validate import analyse, validate_flow

MINI = """\
id: mini
title: {de: Mini, en: Mini}
languages: [de, en]
default_language: de
start: hello
ui:
  back: {"*": back}
  restart: {"*": restart}
  done: {"*": done}
  skip: {"*": skip}
  invalid_choice: {"*": invalid choice}
  too_long: {"*": too long}
  too_few: {"*": too few}
  too_many: {"*": too many}
  invalid_date: {"*": invalid date}
  future_date: {"*": future date}
  empty_text: {"*": empty text}
crisis:
  words: {de: [nicht mehr leben], en: [kill myself]}
  message: {de: Hilfe 110, en: Help 110}
nodes:
  - id: hello
    kind: message
    text: {de: Hallo, en: Hello}
    next: consent
  - id: consent
    kind: consent
    text: {de: Einverstanden, en: Agreed}
    accept: {de: Ja, en: Yes}
    decline: {de: Nein, en: No}
    next: when
    on_decline: bye
  - id: bye
    kind: end
    text: {de: Tschuess, en: Bye}
  - id: when
    kind: when
    store: incident
    text: {de: Wann, en: When}
    options:
      today: {de: heute, en: today}
      this_week: {de: Woche, en: week}
      this_month: {de: Monat, en: month}
      longer_ago: {de: laenger, en: longer}
      not_sure: {de: unklar, en: unsure}
    next: place
  - id: place
    kind: single_choice
    text: {de: Wo, en: Where}
    choices:
      - id: city
        label: {de: Stadt, en: City}
      - id: region
        label: {de: Region, en: Region}
    next: grounds
  - id: grounds
    kind: multi_choice
    text: {de: Warum, en: Why}
    choices:
      - id: racism
        label: {de: Rassismus, en: Racism}
      - id: age
        label: {de: Alter, en: Age}
    max: 2
    next: anon
  - id: anon
    kind: yes_no
    text: {de: Anonym, en: Anonymous}
    yes: {de: Ja, en: Yes}
    no: {de: Nein, en: No}
    on_yes: check
    on_no: check
  - id: check
    kind: branch
    cases:
      - when:
          - field: grounds
            op: includes
            value: [racism]
        next: story
    otherwise: story
  - id: story
    kind: free_text
    text: {de: Erzaehl, en: Tell}
    max_length: 100
    next: handover
  - id: handover
    kind: handover
    text: {de: "Code {case_code}", en: "Code {case_code}"}
    team:
      by: place
      routes: {city: city_team}
      default: region_team
    incident_date_from: incident
"""


def errors(text: str) -> list[str]:
    with pytest.raises(FlowErrors) as caught:
        parse_flow(text, "f.yaml")
    return [str(e) for e in caught.value.errors]


def at(text: str, needle: str, nth: int = 0) -> str:
    """`f.yaml:line:col` of the nth occurrence of `needle`: where the error must point."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"f.yaml:{line}:{column}"


def mutate(old: str, new: str, text: str = MINI) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_the_base_flow_is_valid() -> None:
    flow = parse_flow(MINI, "f.yaml")
    assert validate_flow(flow) == []
    assert analyse(flow).dead_ends == frozenset()
    assert analyse(flow).reachable == {n.id for n in flow.nodes}


def test_duplicate_node_id() -> None:
    text = MINI + '  - id: bye\n    kind: end\n    text: {"*": again}\n'
    first_line = at(text, "id: bye").split(":")[1]
    assert errors(text) == [
        f"{at(text, 'bye', 2)}: duplicate node id 'bye' (first at line {first_line})"
    ]


def test_duplicate_choice_id() -> None:
    text = mutate("- id: region", "- id: city")
    assert errors(text) == [f"{at(text, 'city', 1)}: duplicate choice id 'city'"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("next: consent", "next: nowhere"),
        ("on_decline: bye", "on_decline: nowhere"),
        ("on_yes: check", "on_yes: nowhere"),
        ("on_no: check", "on_no: nowhere"),
        ("next: grounds", "next: nowhere"),
        ("      - id: region\n", "      - id: region\n        next: nowhere\n"),
        ("        next: story", "        next: nowhere"),
        ("otherwise: story", "otherwise: nowhere"),
    ],
)
def test_unknown_node_reference_points_at_the_reference(old: str, new: str) -> None:
    text = mutate(old, new)
    assert f"{at(text, 'nowhere')}: unknown node 'nowhere'" in errors(text)


def test_unknown_start() -> None:
    text = mutate("start: hello", "start: nowhere")
    assert errors(text) == [f"{at(text, 'nowhere')}: unknown node 'nowhere'"]


def test_a_broken_reference_is_the_one_error_not_its_consequences() -> None:
    """A mistyped `next` cuts the graph; the admin sees that one cause, not a node list of
    "cannot be reached" and "never leads to a handover" behind and before it."""
    text = mutate("    next: when", "    next: wehn")
    assert errors(text) == [f"{at(text, 'wehn')}: unknown node 'wehn'"]
    # Mended, the graph is checked again: a node nobody leads to is still found.
    orphan = mutate("    next: when", "    next: place")
    assert [e.split(": ", 1)[1] for e in errors(orphan)] == [
        "node 'when' cannot be reached from start 'hello'"
    ]


def test_unreachable_node() -> None:
    text = MINI + '  - id: orphan\n    kind: message\n    text: {"*": x}\n    next: bye\n'
    assert errors(text) == [
        f"{at(text, 'orphan')}: node 'orphan' cannot be reached from start 'hello'"
    ]


def test_dead_end_loop_of_questions() -> None:
    text = mutate("      - id: region\n", "      - id: region\n        next: stuck\n")
    text += (
        "  - id: stuck\n    kind: free_text\n    text: {'*': again}\n"
        "    max_length: 5\n    next: stuck\n"
    )
    assert errors(text) == [
        f"{at(text, 'stuck', 1)}: node 'stuck' never leads to a handover or end node "
        "(a dead end or a loop without exit)"
    ]


def test_loop_of_message_nodes_is_reported_once() -> None:
    text = mutate("      - id: region\n", "      - id: region\n        next: m1\n")
    text += (
        "  - id: m1\n    kind: message\n    text: {'*': a}\n    next: m2\n"
        "  - id: m2\n    kind: message\n    text: {'*': b}\n    next: m1\n"
    )
    found = errors(text)
    loop = f"{at(text, 'm1', 1)}: message/branch nodes loop without asking anything: m1 -> m2 -> m1"
    assert loop in found
    assert sum("loop without asking" in e for e in found) == 1


def test_missing_translation_points_at_the_text() -> None:
    text = mutate("label: {de: Stadt, en: City}", "label: {de: Stadt}")
    assert errors(text) == [f"{at(text, '{de: Stadt}')}: missing translation: en"]


@pytest.mark.parametrize("empty", ['""', '"  "'])
def test_an_empty_text_is_an_error_in_its_language(empty: str) -> None:
    """An emptied question reaches the person as an empty bubble above bare buttons."""
    text = mutate("text: {de: Wann, en: When}", f"text: {{de: {empty}, en: When}}")
    assert errors(text) == [f"{at(text, empty)}: the 'de' text is empty"]


def test_text_in_undeclared_language_points_at_its_key() -> None:
    text = mutate("label: {de: Stadt, en: City}", "label: {de: Stadt, en: City, fr: Ville}")
    assert errors(text) == [f"{at(text, 'fr:')}: language 'fr' is not declared in languages"]


def test_any_language_must_stand_alone() -> None:
    text = mutate('back: {"*": back}', 'back: {"*": back, de: zurueck}')
    assert errors(text) == [
        at(text, '"*": back') + ": '*' (same text in every language) cannot be combined "
        "with other languages"
    ]


def test_ui_must_have_exactly_the_engine_texts() -> None:
    text = mutate('  skip: {"*": skip}\n', '  skipp: {"*": skip}\n')
    assert errors(text) == [
        f"{at(text, 'back:')}: ui lacks texts: skip",
        f"{at(text, 'skipp')}: unknown ui text 'skipp' (known: back, restart, done, skip, "
        "invalid_choice, too_long, too_few, too_many, invalid_date, future_date, empty_text, "
        "only_alone, not_understood)",
    ]


def test_crisis_words_for_every_language() -> None:
    text = mutate("words: {de: [nicht mehr leben], en: [kill myself]}", "words: {de: [x], tr: [y]}")
    assert errors(text) == [
        f"{at(text, '{de: [x]')}: no crisis words for: en",
        f"{at(text, 'tr:')}: language 'tr' is not declared in languages",
    ]


def test_crisis_word_without_letters() -> None:
    text = mutate("en: [kill myself]", "en: [kill myself, '!!']")
    assert errors(text) == [
        f"{at(text, chr(39) + '!!')}: crisis word '!!' has no letters or digits and can never match"
    ]


def test_crisis_message_must_be_translated() -> None:
    text = mutate("message: {de: Hilfe 110, en: Help 110}", "message: {de: Hilfe 110}")
    assert errors(text) == [f"{at(text, '{de: Hilfe 110}')}: missing translation: en"]


def test_default_language_must_be_offered() -> None:
    text = mutate("default_language: de", "default_language: tr")
    assert errors(text) == [
        f"{at(text, 'tr')}: default_language 'tr' is not one of languages: de, en"
    ]


def test_single_choice_without_any_next() -> None:
    text = mutate(
        "        label: {de: Region, en: Region}\n    next: grounds\n",
        "        label: {de: Region, en: Region}\n",
        mutate("      - id: city\n", "      - id: city\n        next: grounds\n"),
    )
    assert errors(text) == [
        f"{at(text, 'id: region')}: choice 'region' has no next and node 'place' has no next"
    ]


def test_next_on_a_multi_choice_choice() -> None:
    text = mutate("      - id: age\n", "      - id: age\n        next: anon\n")
    assert errors(text) == [
        f"{at(text, 'next: anon')}: choices of a multi_choice cannot have next; "
        "use the node's next and a branch node"
    ]


def test_handover_placeholder_outside_handover() -> None:
    text = mutate("text: {de: Hallo, en: Hello}", "text: {de: 'Hallo {case_code}', en: Hello}")
    assert errors(text) == [
        f"{at(text, chr(39) + 'Hallo')}: placeholder {{case_code}} may only be used in "
        "handover and end texts"
    ]


def test_unknown_placeholder_and_literal_braces() -> None:
    text = mutate('en: "Code {case_code}"', 'en: "Code {name} and }"')
    assert errors(text) == [
        f"{at(text, chr(34) + 'Code {name}')}: literal braces {{ }} are not allowed in texts",
        f"{at(text, chr(34) + 'Code {name}')}: unknown placeholder {{name}} "
        "(known: {case_code}, {case_code_note}, {office_contact}, {response_time}, {way_back})",
    ]


def test_the_channel_placeholder_goes_in_any_nodes_text_but_not_in_a_choice() -> None:
    # {way_back} is filled for the person's channel, so it may stand in a question.
    text = mutate("text: {de: Hallo, en: Hello}", "text: {de: 'Hallo {way_back}', en: Hello}")
    parse_flow(text, "f.yaml")
    # A typed answer is compared with the label as written: never a placeholder there.
    label = mutate("label: {de: Stadt, en: City}", "label: {de: 'Stadt {way_back}', en: City}")
    assert errors(label) == [
        f"{at(label, chr(39) + 'Stadt')}: placeholder {{way_back}} may only be used in the "
        "text of a node, not in a choice or ui text"
    ]


def test_end_text_may_use_handover_placeholders() -> None:
    text = mutate("text: {de: Tschuess, en: Bye}", "text: {'*': 'Bye {response_time}'}")
    parse_flow(text, "f.yaml")


def test_condition_field_must_be_an_earlier_input() -> None:
    text = mutate("field: grounds", "field: story")
    assert errors(text) == [
        f"{at(text, 'story')}: condition field 'story' is not the store key of an earlier input "
        "that leads to this branch"
    ]


def test_condition_field_must_be_an_input_key() -> None:
    text = mutate("field: grounds", "field: nothing")
    assert errors(text) == [
        f"{at(text, 'nothing')}: condition field 'nothing' is not the store key of an input node "
        "that leads to this branch"
    ]


@pytest.mark.parametrize(
    ("op", "value", "needle", "message"),
    [
        ("in", "city", "city\n", "op 'in' needs a list value"),
        ("includes", "racism", "racism\n", "op 'includes' needs a list value"),
        ("equals", "[city]", "[city]", "op 'equals' needs a single text value"),
        ("not_equals", "[city]", "[city]", "op 'not_equals' needs a single text value"),
        ("answered", "[x]", "value: [x]", "op 'answered' takes no value"),
        ("is_true", "x", "value: x", "op 'is_true' takes no value"),
    ],
)
def test_condition_op_value_shapes(op: str, value: str, needle: str, message: str) -> None:
    field = "grounds" if op == "includes" else "place"
    text = mutate(
        "          - field: grounds\n            op: includes\n            value: [racism]\n",
        f"          - field: {field}\n            op: {op}\n            value: {value}\n",
    )
    assert errors(text) == [f"{at(text, needle, text.count(needle) - 1)}: {message}"]


def test_condition_op_must_suit_the_answer() -> None:
    text = mutate(
        "            op: includes\n            value: [racism]\n", "            op: is_true\n"
    )
    assert errors(text) == [
        f"{at(text, 'is_true')}: op 'is_true' does not apply to 'grounds', the answer of a "
        "multi_choice node (use it with yes_no or consent or crisis_check)"
    ]


def test_condition_value_must_be_a_choice_id() -> None:
    text = mutate("value: [racism]", "value: [racism, gender]")
    assert errors(text) == [
        f"{at(text, 'gender')}: 'gender' is not an answer of 'grounds' (one of: racism, age)"
    ]


def test_incident_date_from_must_name_a_when_node() -> None:
    text = mutate("incident_date_from: incident", "incident_date_from: place")
    assert errors(text) == [
        f"{at(text, 'place', 3)}: incident_date_from 'place' is not the store key of a when node"
    ]


def test_team_by_must_name_a_single_choice() -> None:
    text = mutate("by: place", "by: grounds")
    assert errors(text) == [
        f"{at(text, 'grounds', 3)}: team.by 'grounds' is not the store key of a single_choice node"
    ]


def test_team_routes_must_be_choices() -> None:
    text = mutate("routes: {city: city_team}", "routes: {city: city_team, town: city_team}")
    assert errors(text) == [
        f"{at(text, 'town')}: route 'town' is not a choice of 'place' (one of: city, region)"
    ]


def test_sets_language_choices_must_be_flow_languages() -> None:
    text = mutate("    kind: single_choice\n", "    kind: single_choice\n    sets_language: true\n")
    text = mutate("- id: city", "- id: de", text)
    text = mutate("routes: {city: city_team}", "routes: {de: city_team}", text)
    assert errors(text) == [
        f"{at(text, 'region', 0)}: choice 'region' sets the language but is not one of "
        "languages (give it a `language` that is): de, en"
    ]
    # "Another language": a choice that sets a language of the flow for the questions.
    other = mutate("- id: region", "- id: other\n        language: en", text)
    other = mutate("label: {de: Region, en: Region}", "label: {de: Andere, en: Other}", other)
    assert validate_flow(parse_flow(other, "f.yaml")) == []
    wrong = mutate("language: en", "language: fr", other)
    assert errors(wrong) == [
        f"{at(wrong, 'fr')}: choice 'other' sets the language but is not one of "
        "languages (give it a `language` that is): de, en"
    ]


@pytest.mark.parametrize(
    ("limits", "needle", "message"),
    [
        ("min: 2\n    max: 1", "1\n", "max (1) is smaller than min (2)"),
        ("max: 3", "3\n", "max (3) exceeds the number of choices (2)"),
        ("min: 3\n    max: 2", "3\n", "min (3) exceeds the number of choices (2)"),
    ],
)
def test_multi_choice_limits(limits: str, needle: str, message: str) -> None:
    text = mutate("    max: 2\n", f"    {limits}\n")
    found = errors(text)
    assert f"{at(text, needle)}: {message}" in found


def test_store_keys_are_unique() -> None:
    text = mutate("    kind: single_choice\n", "    kind: single_choice\n    store: incident\n")
    text = mutate("by: place", "by: incident", text)
    found = errors(text)
    assert (
        f"{at(text, 'incident', 1)}: store key 'incident' is already used by node 'when'" in found
    )


def test_all_problems_are_reported_at_once_in_order() -> None:
    text = mutate("default_language: de", "default_language: tr")
    text = mutate("on_yes: check", "on_yes: nowhere", text)
    found = errors(text)
    assert [e.split(": ", 1)[1] for e in found] == [
        "default_language 'tr' is not one of languages: de, en",
        "unknown node 'nowhere'",
    ]


def test_validate_a_flow_built_in_code_reports_line_one() -> None:
    flow = parse_flow(MINI, "f.yaml").model_copy(update={"start": "nowhere"})
    found = [str(e) for e in validate_flow(flow)]
    assert "<flow mini>:1:1: unknown node 'nowhere'" in found
    assert all(e.startswith("<flow mini>:1:1: ") for e in found)


TALK_NOW = """\
  talk_now:
    handover: handover
    talk: {de: Jetzt sprechen, en: Talk now}
    go_on: {de: Weiter, en: Go on}
    open: {de: "Jemand ist benachrichtigt. Code {case_code}", en: "Someone is alerted. {case_code}"}
    closed: {de: "Wir sind bald da. {case_code}", en: "We will be back. {case_code}"}
    code_shown: {de: oben, en: above}
"""
WITH_TALK_NOW = mutate("nodes:\n", TALK_NOW + "nodes:\n")


def test_the_danger_path_is_valid_and_its_texts_are_translations() -> None:
    flow = parse_flow(WITH_TALK_NOW, "f.yaml")
    assert validate_flow(flow) == []
    ids = {e.id for e in entries(flow)}
    assert {"crisis:talk_now:talk", "crisis:talk_now:open", "crisis:talk_now:code_shown"} <= ids


def test_the_danger_path_names_a_handover_node() -> None:
    text = mutate("    handover: handover", "    handover: story", WITH_TALK_NOW)
    assert errors(text) == [
        f"{at(text, 'story')}: 'story' is not a handover node (its team routing picks the team "
        "of a case created at once)"
    ]


def test_the_danger_path_texts_need_every_language_and_only_open_closed_get_the_code() -> None:
    text = mutate("go_on: {de: Weiter, en: Go on}", "go_on: {de: Weiter}", WITH_TALK_NOW)
    assert errors(text) == [f"{at(text, '{de: Weiter}')}: missing translation: en"]
    text = mutate(
        "code_shown: {de: oben, en: above}", 'code_shown: {"*": "{case_code}"}', WITH_TALK_NOW
    )
    where = at(text, '"{case_code}"')
    assert errors(text) == [
        f"{where}: placeholder {{case_code}} may only be used in handover and end texts"
    ]


def test_a_short_label_is_translated_and_fits_a_button() -> None:
    long = "Stadt Hannover mit allen ihren Stadtteilen und Ortschaften"
    text = mutate(
        "label: {de: Stadt, en: City}",
        f"label: {{de: Stadt, en: City}}\n        short: {{de: {long}}}",
    )
    found = errors(text)
    assert f"{at(text, '{de: ' + long + '}')}: missing translation: en" in found
    assert f"{at(text, long)}: a short label has at most 40 characters, this one 58" in found
    ok = mutate(
        "label: {de: Stadt, en: City}",
        "label: {de: Stadt, en: City}\n        short: {de: Stadt, en: City}",
    )
    assert validate_flow(parse_flow(ok, "f.yaml")) == []
    assert "node:place:choice:city:short" in {e.id for e in entries(parse_flow(ok, "f.yaml"))}
