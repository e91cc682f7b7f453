"""Reading the close form: the outcome is required and only listed categories are accepted."""

from __future__ import annotations

import pytest

from bot.console.documentation import (
    GROUNDS,
    IncompleteClosing,
    preselected,
    read_closing,
)
from bot.conversation.handover import closing_facts
from storage.records import QueueEntry
from tests.integration.test_conversation import NOW


def test_a_complete_closing_is_read_into_sorted_unique_codes() -> None:
    closing = read_closing(
        {"outcome": ["resolved"], "grounds": ["racism", "age", "racism"], "form": ["direct"]}
    )
    assert closing.outcome == "resolved"
    assert closing.codes == {
        "grounds": ["age", "racism"],
        "life_area": [],
        "form": ["direct"],
        "intervention": [],
    }


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"outcome": ["erfunden"]},
        {"outcome": ["resolved", "open"]},
        {"outcome": ["resolved"], "grounds": ["<script>"]},
        {"outcome": ["resolved"], "intervention": ["not_sure"]},
    ],
)
def test_a_missing_outcome_or_unknown_category_is_refused(form: dict[str, list[str]]) -> None:
    with pytest.raises(IncompleteClosing):
        read_closing(form)


def test_the_form_starts_from_the_persons_categories_without_not_sure() -> None:
    chosen = preselected({"grounds": ["racism", "not_sure"], "life_area": ["work"], "x": "y"})
    assert chosen["grounds"] == {"racism"} and chosen["life_area"] == {"work"}
    assert chosen["form"] == set() and "not_sure" not in GROUNDS


def test_documented_categories_replace_the_intake_answer_in_the_statistics() -> None:
    entry = QueueEntry(1, "region", "claimed", "webchat", "de", False, None, NOW, 1)
    answers = {"grounds": ["not_sure"], "life_area": ["work"], "municipality": "garbsen"}
    documented = read_closing({"outcome": ["open"], "grounds": ["age"]}).as_facts()
    facts = closing_facts(entry, answers, documented)
    assert facts["grounds"] == ["age"]  # re-coded by the counsellor
    assert facts["life_area"] == ["work"]  # nothing re-coded: the person's answer counts
    assert facts["municipality"] == ["garbsen"] and facts["outcome"] == ["open"]
    assert facts["cases"] == ["closed"] and facts["channel"] == ["webchat"]
