"""The team queue: the cases of the counsellor's own teams, most urgent first."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from aiohttp import web

from bot.console.auth import ConsoleSession
from bot.console.channel_names import channel_name
from bot.console.core import NOTICES, Console
from bot.console.deadline import Deadline, agg_area, deadline
from bot.console.fact_sheet import Fact, queue_facts
from bot.console.language_names import language_name
from bot.web.render import render
from dialogs.model import Flow
from storage import audit, cases, teams
from storage.crypto import CryptoError
from storage.records import QueueEntry
from storage.store import Tx

log = logging.getLogger(__name__)


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
    reopened: bool
    """The person wrote after the case was closed, which put it back in the queue."""
    about: list[Fact]
    """What the case is about: the answers the flow marks `in_queue` (life area, grounds)."""


def waiting_text(since: datetime, now: datetime) -> str:
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} Min."
    hours = minutes // 60
    if hours < 48:
        return f"{hours} Std. {minutes % 60} Min."
    return f"{hours // 24} Tage"


def office_deadline(
    entry: QueueEntry, now: datetime, tz: tzinfo, in_agg_area: bool | None
) -> Deadline:
    """The deadline on the office's calendar day (at 00:30 in Hannover it is already the
    next day, while UTC still shows the previous one)."""
    return deadline(entry.incident_date, now.astimezone(tz).date(), in_agg_area)


def priority(entry: QueueEntry, due: Deadline) -> tuple[int, int, datetime]:
    """Crisis first, then the days left of a running AGG deadline, then the waiting time; a
    case outside the AGG has no deadline to run out, whatever its date."""
    days = due.days_left if due.days_left is not None else 10_000
    return (0 if entry.crisis else 1, days, entry.waiting_since)


async def sealed_answers(
    tx: Tx, entries: list[QueueEntry], team_keys: dict[int, bytes]
) -> dict[int, dict[str, Any] | None]:
    """Each case's intake answers, opened with the counsellor's team keys (None where they
    cannot be read): what decides whether the AGG deadline runs and what the case is about."""
    found: dict[int, dict[str, Any] | None] = {}
    for e in entries:
        found[e.case_id] = None
        key = await cases.private_key_for_team(tx, e.case_id, team_keys)
        if key is None:
            continue
        try:
            found[e.case_id] = await cases.answers_of(tx, e.case_id, key)
        except CryptoError:
            log.error("case %s: answers failed their integrity check", e.case_id)
    return found


async def _current_flow(console: Console, tx: Tx) -> Flow | None:
    """The published flow, for the labels of the answers; the queue still shows without it."""
    try:
        version = await console.service.catalog.current(tx)
        return await console.service.catalog.flow(tx, version.id)
    except Exception:
        log.exception("queue: the published flow could not be loaded; answers shown without")
        return None


def _agg(answers: dict[str, Any] | None) -> bool | None:
    return None if answers is None else agg_area(answers)


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
            reopened = await audit.reopened(tx, [e.case_id for e in entries])
            answers = await sealed_answers(tx, entries, session.keys.team_keys)
            flow = await _current_flow(self.console, tx) if entries else None
        due = {
            e.case_id: office_deadline(e, now, self.console.timezone, _agg(answers[e.case_id]))
            for e in entries
        }
        rows = [
            Row(
                e.case_id,
                names.get(e.team_id, e.team_id),
                e.status,
                e.crisis,
                due[e.case_id],
                waiting_text(e.waiting_since, now),
                channel_name(e.channel),
                language_name(e.language),
                e.claimed_by == session.counsellor_id,
                e.case_id in reopened,
                queue_facts(answers[e.case_id] or {}, flow),
            )
            for e in sorted(entries, key=lambda e: priority(e, due[e.case_id]))
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
            show_team=len(my_teams) > 1,
            teams=list(my_teams.values()),
            username=session.keys.username,
            poll_ms=int(self.console.settings.live_poll_seconds * 1000),
            notice=NOTICES.get(request.query.get("notice", "")),
            shown=json.dumps([[r.case_id, r.status, r.mine] for r in rows]),
        )

    async def get_next(self, request: web.Request) -> web.Response:
        """The most urgent waiting case of the counsellor's teams (the shortcut "n")."""
        session = await self.console.require(request)
        if isinstance(session, web.Response):
            return session
        rows, _ = await self._rows(session)
        waiting = [r for r in rows if r.status == "waiting"]
        if not waiting:
            raise web.HTTPSeeOther("/console?notice=none_waiting#status")
        raise web.HTTPSeeOther(f"/console/cases/{waiting[0].case_id}")

    async def get_queue_json(self, request: web.Request) -> web.Response:
        """The queue for a live page: case ids with their state, and the table ready to swap
        in (rendered and escaped here, so the page's script never builds HTML from data)."""
        session = await self.console.require(request, touch=False)
        if isinstance(session, web.Response):
            return session
        rows, my_teams = await self._rows(session)
        table = render(
            "console/queue_table.html",
            static=lambda name: f"/console/static/{name}",
            rows=rows,
            show_team=len(my_teams) > 1,
        )
        return web.json_response(
            {
                "cases": [[r.case_id, r.status, r.mine] for r in rows],
                "waiting": sum(1 for r in rows if r.status == "waiting"),
                "html": table,
            },
            headers={"Cache-Control": "no-store"},
        )
