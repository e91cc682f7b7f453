"""The AGG deadline states as the console words them, on the office's calendar day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from bot.console.deadline import agg_area, deadline
from bot.settings import Settings

TODAY = date(2026, 12, 4)
ROOT = Path(__file__).resolve().parents[2]


def test_four_states_are_distinct() -> None:
    assert deadline(date(2026, 11, 20), TODAY).text == "noch 47 Tage"
    assert deadline(date(2026, 10, 5), TODAY).text == "noch 1 Tag"
    assert deadline(date(2026, 10, 4), TODAY).text == "noch 0 Tage"
    assert deadline(date(2026, 10, 2), TODAY).text == "abgelaufen seit 2 Tagen"
    assert deadline(date(2026, 10, 3), TODAY).text == "abgelaufen seit 1 Tag"
    assert deadline(None, TODAY).text == "Datum unbekannt"
    assert deadline(date(2026, 11, 20), TODAY, in_agg_area=False).text == "kein AGG-Bereich"
    states = {
        deadline(date(2026, 11, 20), TODAY).state,
        deadline(date(2026, 9, 1), TODAY).state,
        deadline(None, TODAY).state,
        deadline(None, TODAY, in_agg_area=False).state,
    }
    assert len(states) == 4
    assert all(deadline(None, TODAY, flag).hint for flag in (None, True, False))


def test_two_weeks_or_less_left_is_soon() -> None:
    # An incident on 2026-10-18: the deadline ends on 2026-12-18, 14 days after TODAY.
    near = deadline(date(2026, 10, 18), TODAY)
    assert (near.text, near.soon) == ("noch 14 Tage", True)
    assert near.hint.startswith("Die Frist endet bald.")
    later = deadline(date(2026, 10, 19), TODAY)
    assert (later.text, later.soon) == ("noch 15 Tage", False)
    assert not later.hint.startswith("Die Frist endet bald.")
    assert not deadline(None, TODAY).soon and not deadline(date(2026, 9, 1), TODAY).soon


def test_agg_area_follows_the_life_areas_named() -> None:
    assert agg_area({"life_area": ["police", "housing"]}) is True
    assert agg_area({"life_area": ["police", "public_authorities"]}) is False
    assert agg_area({}) is None  # not asked: the deadline may run


def test_snippets_exist_for_every_language_of_the_shipped_intake() -> None:
    intake = yaml.safe_load((ROOT / "dialogs/flows/intake.yaml").read_text(encoding="utf-8"))
    offered = {s.language for s in Settings().console.snippets}
    assert set(intake["languages"]) <= offered
