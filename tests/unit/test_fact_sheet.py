"""The counsellor's fact sheet: intake order, short labels, values a person reads."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.console.fact_sheet import Fact, crisis_reason, facts, short_question
from bot.console.language_names import language_name
from dialogs.loader import load_flow

INTAKE = load_flow(Path(__file__).resolve().parents[2] / "dialogs" / "flows" / "intake.yaml")
TODAY = date(2026, 3, 10)


def test_answers_come_in_the_order_asked_under_the_flows_labels() -> None:
    # Stored in any order (a JSON object sorted by key, say): shown as the intake asked.
    answers = {
        "wishes": ["counselling", "report_only"],
        "account": "Zeile eins.\nZeile zwei.",
        "life_area": ["housing"],
        "language": "tr",
        "incident_when": {"bucket": "date", "date": "2026-03-07"},
        "consent": True,
        "in_danger": True,
        "heard_of": None,
    }
    sheet = facts(answers, INTAKE, TODAY)
    assert [f.label for f in sheet] == [
        "Sprache",
        "Einwilligung",
        "In Gefahr",
        "Zeitpunkt",
        "Lebensbereich",
        "Bericht der Person",
        "Wünsche",
        "Aufmerksam geworden durch",
    ]
    by_label = {f.label: f for f in sheet}
    assert by_label["Sprache"].value == "Türkisch"
    assert by_label["In Gefahr"] == Fact("In Gefahr", "ja", "danger")
    assert by_label["Zeitpunkt"].value == "vor 3 Tagen (07.03.2026)"
    assert by_label["Lebensbereich"].value == "Wohnen oder Wohnungssuche"
    assert by_label["Bericht der Person"] == Fact(
        "Bericht der Person", "Zeile eins.\nZeile zwei.", "account"
    )
    assert by_label["Wünsche"].value.startswith("Beratung, was ich tun kann, ")
    assert by_label["Aufmerksam geworden durch"] == Fact(
        "Aufmerksam geworden durch", "übersprungen", "skipped"
    )


def test_a_bucket_is_named_and_unknown_answers_keep_their_key() -> None:
    sheet = facts(
        {"incident_when": {"bucket": "not_sure", "date": None}, "retired_question": "x"},
        INTAKE,
        TODAY,
    )
    assert [(f.label, f.value) for f in sheet] == [
        ("Zeitpunkt", "Weiß ich nicht"),
        ("retired_question", "x"),
    ]


def test_a_question_without_label_is_shortened_to_its_first_sentence() -> None:
    assert short_question("Wo ist es passiert? Wenn es im Internet war: wählen Sie …") == (
        "Wo ist es passiert?"
    )
    long = "Was glauben Sie, aus welchem Grund genau Sie so behandelt worden sind?"
    assert short_question(long) == long[:39].rstrip() + "…"


def test_languages_by_their_german_name() -> None:
    names = [language_name(code) for code in INTAKE.languages]
    assert names == [
        "Deutsch",
        "Leichte Sprache",
        "Englisch",
        "Türkisch",
        "Russisch",
        "Ukrainisch",
        "Polnisch",
        "Arabisch",
        "Persisch",
    ]


def test_the_crisis_reason_marks_the_sentence_in_any_language() -> None:
    reason = crisis_reason(
        {"in_danger": False},
        INTAKE,
        ["Alles gut.", "They insulted me. I want to kill myself. Please help."],
    )
    assert reason.answer is None
    assert reason.lines == (
        (
            ("They insulted me. ", False),
            ("I want to kill myself. ", True),
            ("Please help.", False),
        ),
    )
    said_yes = crisis_reason({"in_danger": True}, INTAKE, [])
    assert said_yes.answer is not None and said_yes.answer.startswith("„Ja")
