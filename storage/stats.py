"""Anonymous statistics counters, incremented when a case is closed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.models import StatCounter
from storage.store import Tx


@dataclass(frozen=True)
class StatRow:
    period: str
    dimension: str
    value: str
    count: int


async def count(tx: Tx, period: str, facts: dict[str, list[str]]) -> None:
    """Add one to the counter of every (dimension, value) in `facts` for `period`.

    An upsert, so two counsellors closing cases at once on PostgreSQL both count.
    """
    insert = pg_insert if tx.backend == "postgresql" else sqlite_insert
    for dimension, values in facts.items():
        for value in sorted(set(values)):
            stmt = insert(StatCounter).values(
                period=period, dimension=dimension[:32], value=value[:64], count=1
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["period", "dimension", "value"],
                set_={"count": StatCounter.count + 1},
            )
            await tx.session.execute(stmt)


async def table(tx: Tx) -> list[StatRow]:
    rows = await tx.session.scalars(
        select(StatCounter).order_by(StatCounter.period, StatCounter.dimension, StatCounter.value)
    )
    return [StatRow(r.period, r.dimension, r.value, r.count) for r in rows]


async def totals(tx: Tx, first: str, last: str) -> dict[str, dict[str, int]]:
    """Counts per dimension and value, summed over the months `first`..`last` (YYYY-MM,
    both included). Months compare as text, which orders YYYY-MM correctly."""
    rows = await tx.session.execute(
        select(StatCounter.dimension, StatCounter.value, func.sum(StatCounter.count))
        .where(StatCounter.period >= first, StatCounter.period <= last)
        .group_by(StatCounter.dimension, StatCounter.value)
    )
    out: dict[str, dict[str, int]] = {}
    for dimension, value, total in rows:
        out.setdefault(dimension, {})[value] = int(total or 0)
    return out


async def monthly(tx: Tx, first: str, last: str, dimension: str, value: str) -> dict[str, int]:
    """One counter month by month (e.g. closed cases), for the months that have it."""
    rows = await tx.session.execute(
        select(StatCounter.period, StatCounter.count).where(
            StatCounter.period >= first,
            StatCounter.period <= last,
            StatCounter.dimension == dimension,
            StatCounter.value == value,
        )
    )
    return {period: int(n) for period, n in rows}


async def years(tx: Tx) -> list[int]:
    """The years that have any counter, oldest first."""
    periods = await tx.session.scalars(select(StatCounter.period).distinct())
    return sorted({int(p[:4]) for p in periods if p[:4].isdigit()})
