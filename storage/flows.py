"""Flow versions: immutable rows; published ones are numbered per flow."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from storage import notify
from storage.models import FlowVersion
from storage.records import FlowVersionRef
from storage.store import Tx


def digest(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


def _ref(row: FlowVersion) -> FlowVersionRef:
    return FlowVersionRef(
        row.id,
        row.flow_id,
        row.number,
        row.source,
        row.digest,
        row.published_at,
        row.published_by,
        row.note,
    )


async def publish(tx: Tx, flow_id: str, source: str, by: str, note: str = "") -> FlowVersionRef:
    """Store `source` as the next numbered version: new conversations start on it (every
    process that caches the published version learns of it when this commits)."""
    last = await tx.session.scalar(
        select(func.max(FlowVersion.number)).where(FlowVersion.flow_id == flow_id)
    )
    row = FlowVersion(
        flow_id=flow_id,
        number=(last or 0) + 1,
        source=source,
        digest=digest(source),
        published_at=tx.now,
        published_by=by,
        note=note,
    )
    tx.session.add(row)
    await tx.session.flush()
    tx.published_flow(flow_id)
    await notify.announce_flow(tx)
    return _ref(row)


async def draft(tx: Tx, flow_id: str, source: str, by: str, note: str = "") -> FlowVersionRef:
    """An unnumbered version (a simulation of an edited file), reused when the text is the same."""
    existing = await tx.session.scalar(
        select(FlowVersion)
        .where(FlowVersion.flow_id == flow_id, FlowVersion.digest == digest(source))
        .order_by(FlowVersion.id.desc())
        .limit(1)
    )
    if existing is not None:
        return _ref(existing)
    row = FlowVersion(
        flow_id=flow_id,
        number=None,
        source=source,
        digest=digest(source),
        published_at=tx.now,
        published_by=by,
        note=note,
    )
    tx.session.add(row)
    await tx.session.flush()
    return _ref(row)


async def current(tx: Tx, flow_id: str) -> FlowVersionRef | None:
    row = await tx.session.scalar(
        select(FlowVersion)
        .where(FlowVersion.flow_id == flow_id, FlowVersion.number.is_not(None))
        .order_by(FlowVersion.number.desc())
        .limit(1)
    )
    return None if row is None else _ref(row)


async def by_id(tx: Tx, version_id: int) -> FlowVersionRef:
    return _ref(await tx.session.get_one(FlowVersion, version_id))


async def publish_if_changed(
    tx: Tx, flow_id: str, source: str, by: str, note: str
) -> FlowVersionRef:
    latest = await current(tx, flow_id)
    if latest is not None and latest.digest == digest(source):
        return latest
    return await publish(tx, flow_id, source, by, note)


async def versions(tx: Tx, flow_id: str) -> list[FlowVersionRef]:
    """The published versions of a flow, newest first."""
    rows = await tx.session.scalars(
        select(FlowVersion)
        .where(FlowVersion.flow_id == flow_id, FlowVersion.number.is_not(None))
        .order_by(FlowVersion.number.desc())
    )
    return [_ref(r) for r in rows]


async def by_number(tx: Tx, flow_id: str, number: int) -> FlowVersionRef | None:
    row = await tx.session.scalar(
        select(FlowVersion).where(FlowVersion.flow_id == flow_id, FlowVersion.number == number)
    )
    return None if row is None else _ref(row)


async def flow_ids(tx: Tx) -> list[str]:
    """Every flow that has a published version."""
    rows = await tx.session.scalars(
        select(FlowVersion.flow_id)
        .where(FlowVersion.number.is_not(None))
        .distinct()
        .order_by(FlowVersion.flow_id)
    )
    return list(rows)


async def was_published(tx: Tx, flow_id: str, source_digest: str) -> bool:
    """Whether a numbered version of the flow ever had exactly this text."""
    found = await tx.session.scalar(
        select(FlowVersion.id)
        .where(
            FlowVersion.flow_id == flow_id,
            FlowVersion.digest == source_digest,
            FlowVersion.number.is_not(None),
        )
        .limit(1)
    )
    return found is not None
