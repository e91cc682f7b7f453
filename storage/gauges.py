"""Counts across the whole database for the metrics endpoint: clear metadata only (team ids,
statuses, times, incident dates), never anything sealed or a channel address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from storage.models import Case, OutboxItem
from storage.store import Tx


@dataclass(frozen=True)
class Snapshot:
    waiting_per_team: dict[str, int]
    """Cases in each team's queue that nobody has claimed yet."""
    outbox_backlog: int
    outbox_oldest: datetime | None
    open_incident_dates: list[date]
    """The incident dates of open cases that have one (for the AGG deadline)."""


async def snapshot(tx: Tx) -> Snapshot:
    waiting = await tx.session.execute(
        select(Case.team_id, func.count(Case.id))
        .where(Case.status == "waiting")
        .group_by(Case.team_id)
    )
    backlog = await tx.session.execute(
        select(func.count(OutboxItem.id), func.min(OutboxItem.created_at))
    )
    count, oldest = backlog.one()
    dates = await tx.session.scalars(
        select(Case.incident_date).where(Case.status != "closed", Case.incident_date.is_not(None))
    )
    return Snapshot(
        waiting_per_team={team: int(n) for team, n in waiting.all()},
        outbox_backlog=int(count or 0),
        outbox_oldest=oldest,
        open_incident_dates=[d for d in dates if d is not None],
    )
