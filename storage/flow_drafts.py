"""Flow drafts: one working copy per flow, saved with optimistic locking.

Every save names the revision the admin started from; the UPDATE matches only that revision,
so when two admins edit the same draft the second save changes no row and is refused. That
works the same on SQLite (one writer) and PostgreSQL (the row lock makes the second UPDATE
wait and then re-check the revision), without holding a lock while someone types.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.models import FlowDraft
from storage.store import Tx


@dataclass(frozen=True)
class FlowDraftRef:
    flow_id: str
    source: str
    base_version_id: int | None
    revision: int
    updated_by: str
    updated_at: datetime


def _ref(row: FlowDraft) -> FlowDraftRef:
    return FlowDraftRef(
        row.flow_id, row.source, row.base_version_id, row.revision, row.updated_by, row.updated_at
    )


async def get(tx: Tx, flow_id: str) -> FlowDraftRef | None:
    row = await tx.session.scalar(select(FlowDraft).where(FlowDraft.flow_id == flow_id))
    return None if row is None else _ref(row)


async def all_drafts(tx: Tx) -> list[FlowDraftRef]:
    rows = await tx.session.scalars(select(FlowDraft).order_by(FlowDraft.flow_id))
    return [_ref(r) for r in rows]


async def create(
    tx: Tx, flow_id: str, source: str, base_version_id: int | None, by: str
) -> FlowDraftRef | None:
    """Start the flow's draft at revision 1; None when it already has one (kept as it is)."""
    insert = pg_insert if tx.backend == "postgresql" else sqlite_insert
    stmt = (
        insert(FlowDraft)
        .values(
            flow_id=flow_id,
            source=source,
            base_version_id=base_version_id,
            revision=1,
            updated_by=by[:64],
            updated_at=tx.now,
        )
        .on_conflict_do_nothing(index_elements=["flow_id"])
    )
    result = await tx.session.execute(stmt)
    if result.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an INSERT
        return None
    return await get(tx, flow_id)


async def save(
    tx: Tx, flow_id: str, source: str, seen_revision: int, by: str
) -> FlowDraftRef | None:
    """Store `source` as the next revision if the draft is still at `seen_revision`;
    None when someone else saved (or published) it in the meantime."""
    result = await tx.session.execute(
        update(FlowDraft)
        .where(FlowDraft.flow_id == flow_id, FlowDraft.revision == seen_revision)
        .values(
            source=source,
            revision=seen_revision + 1,
            updated_by=by[:64],
            updated_at=tx.now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        return None
    return await get(tx, flow_id)


async def remove(tx: Tx, flow_id: str, seen_revision: int) -> bool:
    """Delete the draft (it was published or discarded) if still at `seen_revision`."""
    result = await tx.session.execute(
        delete(FlowDraft)
        .where(FlowDraft.flow_id == flow_id, FlowDraft.revision == seen_revision)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
