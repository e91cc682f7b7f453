"""The statistics rules without a database: hiding small cells, order, labels, charts, CSV."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.console.statistics import (
    SECONDARY_TEXT,
    SMALL_TEXT,
    Period,
    bar_chart,
    build_table,
    csv_rows,
    dimension_tables,
    flow_labels,
    merge_labels,
    month_table,
    parse_period,
    suppress,
    total_cell,
)
from dialogs.loader import load_flow

INTAKE = Path(__file__).parents[2] / "dialogs" / "flows" / "intake.yaml"


def test_counts_below_five_are_hidden_and_zero_is_not() -> None:
    assert suppress({"a": 5, "b": 0, "c": 12}) == {"a": (5, ""), "b": (0, ""), "c": (12, "")}
    assert suppress({"a": 4, "b": 1}) == {"a": (None, "small"), "b": (None, "small")}


def test_one_hidden_cell_hides_the_next_smallest_too() -> None:
    # Total 30 is shown: 30 - 20 - 7 would give the 3 away, so the 7 goes too.
    assert suppress({"big": 20, "mid": 7, "tiny": 3}) == {
        "big": (20, ""),
        "mid": (None, "secondary"),
        "tiny": (None, "small"),
    }
    # Zero is never the one picked: hiding it would still leave the small cell known.
    assert suppress({"big": 9, "none": 0, "tiny": 2})["big"] == (None, "secondary")
    # Two small cells already cover each other.
    assert suppress({"big": 20, "a": 3, "b": 2})["big"] == (20, "")
    # A lone small cell has nothing to hide alongside.
    assert suppress({"tiny": 2}) == {"tiny": (None, "small")}


def test_hidden_cells_carry_no_count_and_come_last_by_label() -> None:
    table = build_table(
        "grounds",
        "Merkmale",
        {"racism": 30, "age": 4, "gender": 7, "religion": 1, "disability": 12},
        {"racism": "Rassismus", "age": "Alter", "religion": "Religion"},
    )
    assert [(c.label, c.text) for c in table.cells] == [
        ("Rassismus", "30"),
        ("disability", "12"),
        ("gender", "7"),
        ("Alter", SMALL_TEXT),
        ("Religion", SMALL_TEXT),
    ]
    assert all(c.number is None for c in table.cells if c.hidden)
    months = month_table({"2026-02": 3, "2026-03": 8}, Period(2026, 1, 4))
    assert [(c.label, c.text) for c in months.cells] == [
        ("Januar 2026", "0"),
        ("Februar 2026", SMALL_TEXT),
        ("März 2026", SECONDARY_TEXT),
        ("April 2026", "0"),
    ]


def test_dimensions_in_fixed_order_then_unknown_ones_total_apart() -> None:
    totals = {
        "zz_new": {"x": 5},
        "outcome": {"referral": 6},
        "cases": {"closed": 6},
        "channel": {"webchat": 6},
        "aa_new": {"y": 5},
        "grounds": {},
    }
    tables = dimension_tables(totals, {})
    assert [t.dimension for t in tables] == ["channel", "outcome", "aa_new", "zz_new"]
    assert [t.heading for t in tables] == ["Kanal", "Ergebnis", "aa_new", "zz_new"]
    assert total_cell(totals).text == "6"
    assert total_cell({"cases": {"closed": 2}}).text == SMALL_TEXT
    assert total_cell({}).text == "0"


def test_labels_come_from_the_shipped_intake_flow() -> None:
    labels = flow_labels(load_flow(INTAKE))
    assert labels["municipality"]["hannover"] == "Hannover"
    assert labels["language"]["ls"] == "Leichte Sprache"
    assert "grounds" in labels and "life_area" in labels and "wishes" in labels
    assert flow_labels(None) == {}
    merged = merge_labels({"team": {"region": "Region"}}, {"team": {"region": "x", "stadt": "S"}})
    assert merged == {"team": {"region": "Region", "stadt": "S"}}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, Period(2026)),
        ({"year": "2025"}, Period(2025)),
        ({"year": "2026", "from": "3", "to": "5"}, Period(2026, 3, 5)),
        ({"from": "", "to": ""}, Period(2026)),
    ],
)
def test_periods(query: dict[str, str], expected: Period) -> None:
    assert parse_period(query, 2026) == expected


@pytest.mark.parametrize(
    "query",
    [{"year": "x"}, {"year": "-1"}, {"from": "0"}, {"from": "6", "to": "2"}, {"to": "13"}],
)
def test_bad_periods(query: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="not a"):
        parse_period(query, 2026)


def test_period_labels() -> None:
    assert Period(2026).label == "2026"
    assert Period(2026, 2, 2).label == "Februar 2026"
    assert Period(2026, 1, 3).label == "Januar bis März 2026"
    assert Period(2026, 11, 12).months == ["2026-11", "2026-12"]


def test_the_chart_is_accessible_svg_and_never_draws_a_hidden_count() -> None:
    table = build_table(
        "municipality",
        "Gemeinde <b>",
        {"hannover": 40, "garbsen": 10, "uetze": 2},
        {"hannover": "Hannover", "garbsen": "Garbsen & Umland", "uetze": "Uetze"},
    )
    svg = str(bar_chart(table, "c1"))
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Balkendiagramm: Gemeinde &lt;b&gt;</title>' in svg
    assert "Garbsen &amp; Umland" in svg and "<b>" not in svg
    assert "Hannover: 40; Garbsen &amp; Umland: verdeckt; Uetze: &lt; 5" in svg
    assert " style=" not in svg and "<script" not in svg
    bars = re.findall(r'class="bar"[^>]*width="(\d+)"', svg)
    assert bars == ["520"]  # only Hannover is drawn to length
    markers = re.findall(r'class="marker"[^>]*width="(\d+)"[^>]*fill="url\(#c1-hatch\)"', svg)
    assert markers == ["36", "36"]  # verdeckt and < 5: the same short hatched marker
    values = re.findall(r'class="chart-value"[^>]*>([^<]*)<', svg)
    assert values == ["40", "verdeckt", "&lt; 5"]


def test_csv_rows_leave_hidden_counts_empty_and_defuse_formulas() -> None:
    table = build_table("source", "Quelle", {"flyer": 9, "=cmd()": 7, "x": 1}, {})
    rows = csv_rows(Period(2026), total_cell({"cases": {"closed": 17}}), [table])
    assert rows[0] == ["von", "bis", "dimension", "wert", "bezeichnung", "anzahl", "hinweis"]
    body = {r[3]: (r[5], r[6]) for r in rows[1:]}
    assert body["closed"] == ("17", "")
    assert body["flyer"] == ("9", "")
    assert body["'=cmd()"] == ("", SECONDARY_TEXT)
    assert body["x"] == ("", SMALL_TEXT)
