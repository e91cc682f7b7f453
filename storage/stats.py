"""Anonymous statistics counters, incremented when a case is closed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
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
