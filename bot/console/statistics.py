"""The anonymous statistics, ready to show: small cells hidden, labels, order, SVG charts.

Pure: no I/O, no clock. The numbers come from the counters written at case close
(`storage.stats`), never from transcripts.

Small cells — the rule, also in docs/statistics.md:

1. **Primary:** a count from 1 to 4 is never shown. Tables and charts say "< 5"; the chart
   draws a short hatched marker, not a bar of the true length; the CSV leaves the number
   empty. A rare combination (one person from a small municipality with a rare ground)
   could otherwise single a person out. Zero is shown: it singles nobody out.
2. **Secondary:** if exactly one cell of a table is hidden by rule 1, the smallest other
   non-zero cell is hidden too ("verdeckt"), so that the total shown above the tables minus
   the visible cells cannot reveal the hidden one. It is applied to every table, also to
   those with several answers per case whose cells do not add up to the total: it costs
   little and errs on the side of hiding.
3. **Order:** visible cells by count (largest first), then the hidden ones by label, so the
   place of a hidden cell says nothing about its size. Month series stay in calendar order.

What this does not prevent: an admin comparing two overlapping periods (January to March with
January to April) can narrow a hidden cell down. Admins are trusted with that; what leaves the
office — the CSV and the printed yearly report — covers one period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from babel.dates import get_month_names
from markupsafe import Markup, escape

from bot.console.channel_names import CHANNEL_NAMES
from dialogs.model import Flow, MultiChoiceNode, SingleChoiceNode

SMALL_CELL: Final = 5
SMALL_TEXT: Final = f"< {SMALL_CELL}"
SECONDARY_TEXT: Final = "verdeckt"

TOTAL: Final = ("cases", "closed")
"""The counter every closed case adds to once: the total of a period."""

DIMENSIONS: Final[tuple[tuple[str, str], ...]] = (
    ("channel", "Kanal"),
    ("language", "Sprache"),
    ("team", "Team"),
    ("municipality", "Gemeinde"),
    ("grounds", "Diskriminierungsmerkmale"),
    ("life_area", "Lebensbereiche"),
    ("form", "Formen der Diskriminierung"),
    ("wishes", "Was die Person sich gewünscht hat"),
    ("intervention", "Interventionen"),
    ("outcome", "Ergebnis"),
    ("reporter", "Wer sich gemeldet hat"),
    ("heard_of", "Wie die Person von uns erfahren hat"),
    ("source", "Outreach-Quelle (Link)"),
    ("crisis", "Krise angegeben"),
)
"""Known dimensions in the order the page shows them, with German headings. A dimension not
listed here (a newer counter) still shows, after these, under its id."""

FIXED_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "channel": CHANNEL_NAMES,
    "crisis": {"yes": "Ja", "no": "Nein"},
}
"""Labels that no flow knows; flows, teams and outcomes bring the rest."""

MONTHS: Final = tuple(get_month_names("wide", "format", locale="de")[m] for m in range(1, 13))
"""The console speaks German; the month names come from CLDR (Babel)."""

Hidden = Literal["", "small", "secondary"]


@dataclass(frozen=True)
class Cell:
    """One value of a table. A hidden cell does not carry its true count at all, so no
    template or export can show it by mistake."""

    value: str
    label: str
    number: int | None
    hidden: Hidden = ""

    @property
    def text(self) -> str:
        if self.hidden == "small":
            return SMALL_TEXT
        if self.hidden == "secondary":
            return SECONDARY_TEXT
        return str(self.number)


@dataclass(frozen=True)
class Table:
    dimension: str
    heading: str
    cells: tuple[Cell, ...]

    @property
    def any_hidden(self) -> bool:
        return any(c.hidden for c in self.cells)


@dataclass(frozen=True)
class Period:
    """A year, or a range of months in one year (both ends included)."""

    year: int
    first_month: int = 1
    last_month: int = 12

    @property
    def first(self) -> str:
        return f"{self.year:04d}-{self.first_month:02d}"

    @property
    def last(self) -> str:
        return f"{self.year:04d}-{self.last_month:02d}"

    @property
    def months(self) -> list[str]:
        return [f"{self.year:04d}-{m:02d}" for m in range(self.first_month, self.last_month + 1)]

    @property
    def whole_year(self) -> bool:
        return self.first_month == 1 and self.last_month == 12

    @property
    def label(self) -> str:
        if self.whole_year:
            return str(self.year)
        if self.first_month == self.last_month:
            return f"{MONTHS[self.first_month - 1]} {self.year}"
        return f"{MONTHS[self.first_month - 1]} bis {MONTHS[self.last_month - 1]} {self.year}"


def parse_period(query: Mapping[str, str], default_year: int) -> Period:
    """`year`, and optionally `from` and `to` (month numbers), from a query string.

    Raises ValueError for anything that is not a sensible period."""
    year = _int(query.get("year"), default_year)
    first = _int(query.get("from"), 1)
    last = _int(query.get("to"), 12)
    if not 2000 <= year <= 2999 or not 1 <= first <= last <= 12:
        raise ValueError("not a period")
    return Period(year, first, last)


def _int(raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 4:
        raise ValueError("not a number")
    return int(raw)


def month_label(period: str) -> str:
    year, month = period.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


# ---------------------------------------------------------------- hiding small cells


def suppress(counts: Mapping[str, int]) -> dict[str, tuple[int | None, Hidden]]:
    """Each value's (number shown, why hidden) under rules 1 and 2 of the module docstring."""
    shown: dict[str, tuple[int | None, Hidden]] = {}
    for value, n in counts.items():
        shown[value] = (None, "small") if 0 < n < SMALL_CELL else (n, "")
    small = [v for v, (_, why) in shown.items() if why == "small"]
    if len(small) == 1:
        others = [(n, v) for v, (n, _) in shown.items() if n]  # visible and non-zero
        if others:
            _, smallest = min(others)
            shown[smallest] = (None, "secondary")
    return shown


def total_cell(totals: Mapping[str, Mapping[str, int]]) -> Cell:
    n = totals.get(TOTAL[0], {}).get(TOTAL[1], 0)
    if 0 < n < SMALL_CELL:
        return Cell(TOTAL[1], "Abgeschlossene Fälle", None, "small")
    return Cell(TOTAL[1], "Abgeschlossene Fälle", n)


def build_table(
    dimension: str,
    heading: str,
    counts: Mapping[str, int],
    labels: Mapping[str, str],
    *,
    chronological: bool = False,
) -> Table:
    """A table with small cells hidden; sorted by rule 3 unless `chronological` (months)."""
    shown = suppress(counts)
    cells = [Cell(v, labels.get(v, v), n, why) for v, (n, why) in shown.items()]
    if not chronological:
        visible = sorted(
            (c for c in cells if not c.hidden), key=lambda c: (-(c.number or 0), c.label)
        )
        hidden = sorted((c for c in cells if c.hidden), key=lambda c: (c.label, c.value))
        cells = visible + hidden
    return Table(dimension, heading, tuple(cells))


def dimension_tables(
    totals: Mapping[str, Mapping[str, int]], labels: Mapping[str, Mapping[str, str]]
) -> list[Table]:
    """One table per dimension: the known ones in their fixed order, then any other."""
    known = dict(DIMENSIONS)
    names = [d for d, _ in DIMENSIONS if totals.get(d)]
    names += sorted(d for d in totals if d not in known and d != TOTAL[0] and totals[d])
    return [build_table(d, known.get(d, d), totals[d], labels.get(d, {})) for d in names]


def month_table(series: Mapping[str, int], period: Period) -> Table:
    """Closed cases month by month, every month of the period (zero where none)."""
    counts = {m: series.get(m, 0) for m in period.months}
    labels = {m: month_label(m) for m in period.months}
    return build_table("month", "Abgeschlossene Fälle je Monat", counts, labels, chronological=True)


# ---------------------------------------------------------------- labels


def flow_labels(flow: Flow | None) -> dict[str, dict[str, str]]:
    """German labels of the flow's choices, by the answer's store key (= the dimension)."""
    labels: dict[str, dict[str, str]] = {}
    if flow is None:
        return labels
    for node in flow.nodes:
        if isinstance(node, SingleChoiceNode | MultiChoiceNode):
            language = "de" if "de" in flow.languages else flow.languages[0]
            opts = labels.setdefault(node.key, {})
            for choice in node.choices:
                opts.setdefault(choice.id, flow.text(choice.label, language))
    return labels


def merge_labels(*sources: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """Label maps by dimension; an earlier source wins over a later one."""
    merged: dict[str, dict[str, str]] = {}
    for source in reversed(sources):
        for dimension, values in source.items():
            merged.setdefault(dimension, {}).update(values)
    return merged


# ---------------------------------------------------------------- SVG bar charts

_WIDTH: Final = 640
_ROW: Final = 46
_BAR_MAX: Final = 520
_MARKER: Final = 36
_LABEL_CHARS: Final = 70


def bar_chart(table: Table, chart_id: str) -> Markup:
    """A horizontal bar chart as inline SVG, readable without colour.

    role="img" with <title> and <desc> (the desc lists every value, so a screen reader gets
    the whole chart); each bar is labelled with its text and number in the chart itself.
    A hidden cell is a short hatched, outlined marker with its "< 5" or "verdeckt" text —
    never a bar of its true length. Colours come from console.css by class (light, dark
    and print); the presentation attributes are the fallback. No inline style: the
    console's CSP allows none.
    """
    cid = escape(chart_id)
    largest = max((c.number or 0 for c in table.cells if not c.hidden), default=0)
    height = max(_ROW * len(table.cells), _ROW) + 8
    desc = "; ".join(f"{c.label}: {c.text}" for c in table.cells) or "keine Werte"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{_WIDTH}" height="{height}" viewBox="0 0 {_WIDTH} {height}" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-size="14">',
        f'<title id="{cid}-title">Balkendiagramm: {escape(table.heading)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}. Die Tabelle nennt dieselben Zahlen.</desc>',
        f'<defs><pattern id="{cid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect class="hatch-bg" width="6" height="6" '
        'fill="#ffffff"/><line class="hatch-line" x1="0" y1="0" x2="0" y2="6" '
        'stroke="#1b1b1f" stroke-width="2"/></pattern></defs>',
    ]
    for i, cell in enumerate(table.cells):
        top = i * _ROW + 4
        label = cell.label if len(cell.label) <= _LABEL_CHARS else cell.label[:69] + "…"
        parts.append(
            f'<text class="chart-label" x="0" y="{top + 15}" fill="#1b1b1f">{escape(label)}</text>'
        )
        if cell.hidden:
            width = _MARKER
            parts.append(
                f'<rect class="marker" x="0" y="{top + 21}" width="{width}" height="18" '
                f'fill="url(#{cid}-hatch)" stroke="#1b1b1f" stroke-width="1.5"/>'
            )
        else:
            n = cell.number or 0
            width = round(_BAR_MAX * n / largest) if largest else 0
            if n and width < 2:
                width = 2  # a count of 5 among thousands must still be visible
            parts.append(
                f'<rect class="bar" x="0" y="{top + 21}" width="{width}" height="18" '
                'fill="#0b57a4"/>'
            )
        parts.append(
            f'<text class="chart-value" x="{width + 6}" y="{top + 35}" fill="#1b1b1f">'
            f"{escape(cell.text)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - built here, every text escaped


def slug(dimension: str) -> str:
    """An id-safe form of a dimension name, for element ids."""
    return "".join(ch if ch.isalnum() else "-" for ch in dimension.lower()) or "x"


def csv_rows(period: Period, total: Cell, tables: Sequence[Table]) -> list[list[str]]:
    """The rows of the CSV export, header first; see `bot.console.statistics_pages`."""
    rows = [["von", "bis", "dimension", "wert", "bezeichnung", "anzahl", "hinweis"]]
    tables = [Table(TOTAL[0], "Abgeschlossene Fälle", (total,)), *tables]
    for table in tables:
        for cell in table.cells:
            rows.append(
                [
                    period.first,
                    period.last,
                    table.dimension,
                    cell.value,
                    cell.label,
                    "" if cell.hidden else str(cell.number),
                    cell.text if cell.hidden else "",
                ]
            )
    return [[_no_formula(v) for v in row] for row in rows]


def _no_formula(text: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula; labels come from flows
    that admins edit, so such a cell gets a leading apostrophe (OWASP's CSV injection advice)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
