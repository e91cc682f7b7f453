"""Admin pages for the anonymous statistics: the overview, the CSV export and the yearly
report for the funding body.

Admins only: without a session a GET goes to the login (like every console page), a
counsellor gets 403. The numbers are the counters written at case close
(`storage.stats`); nothing here opens a case or reads a transcript. Small cells are hidden
by the rule in `bot.console.statistics`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Final

from aiohttp import web
from markupsafe import Markup

from bot.console.auth import ConsoleSession
from bot.console.core import Console
from bot.console.documentation import FIELDS, OUTCOMES
from bot.console.statistics import (
    FIXED_LABELS,
    MONTHS,
    SECONDARY_TEXT,
    SMALL_TEXT,
    TOTAL,
    Cell,
    Period,
    Table,
    bar_chart,
    csv_rows,
    dimension_tables,
    flow_labels,
    merge_labels,
    month_table,
    parse_period,
    slug,
    total_cell,
)
from bot.conversation.flows import NoPublishedFlow
from dialogs.model import Flow
from storage import audit, stats, teams

MULTIPLE: Final = frozenset({"grounds", "life_area", "wishes", "form", "intervention"})
"""Dimensions with several answers per case: their cells need not add up to the total."""


@dataclass(frozen=True)
class Figures:
    """Everything one period's pages show, small cells already hidden."""

    period: Period
    total: Cell
    months: Table
    tables: list[Table]
    years: list[int]


class StatisticsPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def _admin(self, request: web.Request) -> ConsoleSession | web.Response:
        return await self.console.require_admin(
            request, "Die Statistik sehen nur Konten mit Administrationsrechten."
        )

    def _bad_period(self, session: ConsoleSession) -> web.Response:
        return self.console.page(
            "message.html",
            status=400,
            title="Zeitraum ungültig",
            message="Bitte wählen Sie ein Jahr und die Monate von … bis in diesem Jahr.",
            link=("/console/statistics", "Zur Statistik"),
            session=session,
            csrf=session.csrf,
        )

    async def _figures(self, period: Period) -> Figures:
        async with self.console.store.read(self.console.clock()) as tx:
            totals = await stats.totals(tx, period.first, period.last)
            series = await stats.monthly(tx, period.first, period.last, *TOTAL)
            years = await stats.years(tx)
            team_names = await teams.team_names(tx)
            flow: Flow | None
            try:
                catalog = self.console.service.catalog
                flow = await catalog.flow(tx, (await catalog.current(tx)).id)
            except NoPublishedFlow:
                flow = None  # labels fall back to the ids
        labels = merge_labels(
            FIXED_LABELS,
            {**FIELDS, "outcome": OUTCOMES, "team": team_names},
            flow_labels(flow),
        )
        this_year = self.console.clock().year
        shown_years = sorted({*years, this_year, period.year})
        return Figures(
            period,
            total_cell(totals),
            month_table(series, period),
            dimension_tables(totals, labels),
            shown_years,
        )

    async def get_overview(self, request: web.Request) -> web.Response:
        session = await self._admin(request)
        if isinstance(session, web.Response):
            return session
        try:
            period = parse_period(request.query, self.console.clock().year)
        except ValueError:
            return self._bad_period(session)
        figures = await self._figures(period)
        query = f"year={period.year}&from={period.first_month}&to={period.last_month}"
        return self.console.page(
            "statistics.html",
            title=f"Statistik {period.label}",
            session=session,
            csrf=session.csrf,
            f=figures,
            charts=_charts(figures),
            months=list(enumerate(MONTHS, start=1)),
            multiple=MULTIPLE,
            small_text=SMALL_TEXT,
            secondary_text=SECONDARY_TEXT,
            csv_url=f"/console/statistics.csv?{query}",
            report_url=f"/console/statistics/report?year={period.year}",
            slug=slug,
        )

    async def get_csv(self, request: web.Request) -> web.StreamResponse:
        """The period's tables as CSV (UTF-8 with a byte order mark, so that spreadsheet
        programs show umlauts; comma-separated, RFC 4180).

        A hidden cell keeps its row with an **empty** `anzahl` and the reason ("< 5" or
        "verdeckt") in `hinweis`. Empty rather than omitted: an omitted row could not be
        told apart from a category nobody named, and a spreadsheet that sums the column
        skips an empty cell instead of failing on text. The row says no more than the page
        does, and the true count is never in the file.
        """
        session = await self._admin(request)
        if isinstance(session, web.Response):
            return session
        try:
            period = parse_period(request.query, self.console.clock().year)
        except ValueError:
            return self._bad_period(session)
        figures = await self._figures(period)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerows(csv_rows(period, figures.total, [figures.months, *figures.tables]))
        async with self.console.store.tx(self.console.clock()) as tx:
            await audit.record(tx, session.actor, "statistics.exported", detail=period.label)
        name = f"statistik-{period.first}-bis-{period.last}.csv"
        return web.Response(
            body=("\ufeff" + buffer.getvalue()).encode("utf-8"),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def get_report(self, request: web.Request) -> web.Response:
        """The whole year on one printable page: totals, months, every dimension."""
        session = await self._admin(request)
        if isinstance(session, web.Response):
            return session
        try:
            year = parse_period({"year": request.query.get("year", "")}, self.console.clock().year)
        except ValueError:
            return self._bad_period(session)
        figures = await self._figures(year)
        return self.console.page(
            "statistics_report.html",
            title=f"Jahresbericht {year.year}",
            session=session,
            csrf=session.csrf,
            f=figures,
            month_chart=bar_chart(figures.months, "report-months"),
            multiple=MULTIPLE,
            small_text=SMALL_TEXT,
            secondary_text=SECONDARY_TEXT,
            generated=self.console.clock().strftime("%d.%m.%Y"),
            slug=slug,
        )


def _charts(figures: Figures) -> dict[str, Markup]:
    charts = {"": bar_chart(figures.months, "chart-months")}  # "" is no dimension's name
    for table in figures.tables:
        charts[table.dimension] = bar_chart(table, f"chart-{slug(table.dimension)}")
    return charts


def add_statistics_routes(app: web.Application, console: Console) -> None:
    pages = StatisticsPages(console)
    r = app.router
    r.add_get("/console/statistics", pages.get_overview, name="console-statistics")
    r.add_get("/console/statistics.csv", pages.get_csv)
    r.add_get("/console/statistics/report", pages.get_report)
