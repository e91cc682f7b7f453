"""The team queue: the cases of the counsellor's own teams, most urgent first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo

from aiohttp import web

from bot.console.auth import ConsoleSession
from bot.console.core import NOTICES, Console
from bot.console.deadline import Deadline, deadline
from bot.conversation.handover import by_priority
from bot.web.render import render
from storage import cases, teams
from storage.records import QueueEntry


@dataclass(frozen=True)
class Row:
    """One queue line, ready for the template."""

    case_id: int
    team: str
    status: str
    crisis: bool
    deadline: Deadline
    waiting: str
    channel: str
    language: str
    mine: bool


def waiting_text(since: datetime, now: datetime) -> str:
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} Min."
    hours = minutes // 60
    if hours < 48:
        return f"{hours} Std. {minutes % 60} Min."
    return f"{hours // 24} Tage"


def office_deadline(entry: QueueEntry, now: datetime, tz: tzinfo) -> Deadline:
    """The deadline on the office's calendar day (at 00:30 in Hannover it is already the
    next day, while UTC still shows the previous one)."""
    return deadline(entry.incident_date, now.astimezone(tz).date())


class QueuePages:
    """The team queue, as a page and as JSON for the live update."""

    def __init__(self, console: Console) -> None:
        self.console = console

    async def _rows(self, session: ConsoleSession) -> tuple[list[Row], dict[str, str]]:
        now = self.console.clock()
        async with self.console.store.read(now) as tx:
            team_ids = await teams.team_ids_of(tx, session.counsellor_id)
            names = await teams.team_names(tx)
            entries = await cases.queue(tx, team_ids)
        rows = [
            Row(
                e.case_id,
                names.get(e.team_id, e.team_id),
                e.status,
                e.crisis,
                office_deadline(e, now, self.console.timezone),
                waiting_text(e.waiting_since, now),
                e.channel,
                e.language,
                e.claimed_by == session.counsellor_id,
            )
            for e in by_priority(entries, now)
        ]
        return rows, {t: names.get(t, t) for t in team_ids}

    async def get_queue(self, request: web.Request) -> web.Response:
        session = await self.console.require(request)
        if isinstance(session, web.Response):
            return session
        rows, my_teams = await self._rows(session)
        return self.console.page(
            "queue.html",
            title="Warteschlange",
            session=session,
            csrf=session.csrf,
            rows=rows,
            teams=list(my_teams.values()),
            username=session.keys.username,
            poll_ms=int(self.console.settings.live_poll_seconds * 1000),
            notice=NOTICES.get(request.query.get("notice", "")),
            shown=json.dumps([[r.case_id, r.status, r.mine] for r in rows]),
        )

    async def get_queue_json(self, request: web.Request) -> web.Response:
        """The queue for a live page: case ids with their state, and the table ready to swap
        in (rendered and escaped here, so the page's script never builds HTML from data)."""
        session = await self.console.require(request, touch=False)
        if isinstance(session, web.Response):
            return session
        rows, _ = await self._rows(session)
        table = render(
            "console/queue_table.html", static=lambda name: f"/console/static/{name}", rows=rows
        )
        return web.json_response(
            {
                "cases": [[r.case_id, r.status, r.mine] for r in rows],
                "waiting": sum(1 for r in rows if r.status == "waiting"),
                "html": table,
            },
            headers={"Cache-Control": "no-store"},
        )
