"""The audit log: ids and actions, never content.

Append-only twice over: this module has no update or delete, and the database refuses both
(triggers of migration 0002), so even a bug elsewhere cannot rewrite history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from storage.models import AuditEntry, Case, Counsellor
from storage.store import Tx

PAGE_SIZE = 100


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    case_id: int | None
    detail: str
    case_team: str | None
    """The case's team while the case still exists (None once it was deleted)."""


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    older: int | None
    """The id to pass as `before` for the next (older) page; None on the last page."""


async def record(
    tx: Tx, actor: str, action: str, case_id: int | None = None, detail: str = ""
) -> None:
    tx.session.add(
        AuditEntry(at=tx.now, actor=actor, action=action, case_id=case_id, detail=detail)
    )


async def reopened(tx: Tx, case_ids: list[int]) -> set[int]:
    """Which of these cases were ever reopened by the person writing after close (the log is
    the record of it, so the queue can mark them without a column of its own)."""
    return await with_action(tx, "case.reopened", case_ids)


async def with_action(tx: Tx, action: str, case_ids: list[int]) -> set[int]:
    """Which of these cases the log records `action` for, at least once."""
    if not case_ids:
        return set()
    rows = await tx.session.scalars(
        select(AuditEntry.case_id)
        .where(AuditEntry.action == action, AuditEntry.case_id.in_(case_ids))
        .distinct()
    )
    return {int(r) for r in rows if r is not None}


async def entries(tx: Tx, limit: int = 200) -> list[tuple[str, str, int | None, str]]:
    rows = await tx.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
    return [(r.actor, r.action, r.case_id, r.detail) for r in rows]


async def page(
    tx: Tx,
    *,
    before: int | None = None,
    case_id: int | None = None,
    actor: str | None = None,
    limit: int = PAGE_SIZE,
) -> AuditPage:
    """Entries newest first, filtered by case and/or actor, `limit` at a time.

    Paged by id ("older than entry N"), not by offset: new entries arriving while an admin
    reads never shift a page, and every page is an index range scan however old it is.
    """
    query = select(AuditEntry, Case.team_id).outerjoin(Case, Case.id == AuditEntry.case_id)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    if case_id is not None:
        query = query.where(AuditEntry.case_id == case_id)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    result = await tx.session.execute(query.order_by(AuditEntry.id.desc()).limit(limit + 1))
    rows = [
        AuditRow(e.id, e.at, e.actor, e.action, e.case_id, e.detail, team)
        for e, team in result.all()
    ]
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(rows, rows[-1].id if more else None)


async def actor_names(tx: Tx) -> dict[str, str]:
    """Account names by the actor string the log uses for them ("counsellor:<id>")."""
    result = await tx.session.execute(select(Counsellor.id, Counsellor.username))
    return {f"counsellor:{cid}": name for cid, name in result.all()}
