"""The audit log: ids and actions, never content. Append-only by construction (no update API)."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import AuditEntry
from storage.store import Tx


async def record(
    tx: Tx, actor: str, action: str, case_id: int | None = None, detail: str = ""
) -> None:
    tx.session.add(
        AuditEntry(at=tx.now, actor=actor, action=action, case_id=case_id, detail=detail)
    )


async def entries(tx: Tx, limit: int = 200) -> list[tuple[str, str, int | None, str]]:
    rows = await tx.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
    return [(r.actor, r.action, r.case_id, r.detail) for r in rows]
