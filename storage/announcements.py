"""Which new cases the alert channels have announced, kept in `server_meta`.

One row per alert channel ("new_case_alerts.email", ...): per team, the highest case id
announced and when the last alert went out. Kept in the database, not in a process, so a
restart neither repeats nor loses an alert, and any replica can carry on.

Several replicas on PostgreSQL: `claim` row-locks the channel's row with FOR UPDATE SKIP
LOCKED. The replica holding it announces and saves in the same transaction; the others get
None and skip the round instead of sending the same alert again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import Case, ServerMeta
from storage.store import Tx

KEY_PREFIX = "new_case_alerts."


@dataclass
class Cursor:
    start: int
    """Cases up to this id existed before alerts began on this channel: never announced."""
    teams: dict[str, tuple[int, float]] = field(default_factory=dict)
    """team id -> (highest case id announced, POSIX time of the last alert sent)."""

    def after(self, team_id: str) -> int:
        return self.teams.get(team_id, (self.start, 0.0))[0]

    def last_alert(self, team_id: str) -> float | None:
        sent = self.teams.get(team_id, (0, 0.0))[1]
        return sent or None

    def dumps(self) -> str:
        return json.dumps({"start": self.start, "teams": self.teams}, separators=(",", ":"))

    @classmethod
    def loads(cls, raw: str) -> Cursor:
        data = json.loads(raw)
        teams = {t: (int(v[0]), float(v[1])) for t, v in data.get("teams", {}).items()}
        return cls(int(data["start"]), teams)


@dataclass(frozen=True)
class NewCases:
    """A team's cases after its cursor that existed long enough to be surely committed."""

    team_id: str
    highest_id: int
    waiting: int
    """How many of them still wait in the queue (already claimed ones need no alert)."""


async def claim(tx: Tx, channel: str) -> Cursor | None:
    """The channel's cursor, row-locked until `tx` ends; None while another replica holds it.

    Made on first use, starting after the newest existing case: switching alerts on
    announces what comes, not the backlog.
    """
    key = KEY_PREFIX + channel
    newest = await tx.session.scalar(select(func.coalesce(func.max(Case.id), 0)))
    insert = postgresql.insert if tx.backend == "postgresql" else sqlite.insert
    await tx.session.execute(
        insert(ServerMeta)
        .values(key=key, value=Cursor(int(newest or 0)).dumps())
        .on_conflict_do_nothing(index_elements=["key"])
    )
    query = select(ServerMeta.value).where(ServerMeta.key == key)
    if tx.locks_rows:
        query = query.with_for_update(skip_locked=True)
    raw = await tx.session.scalar(query)
    return None if raw is None else Cursor.loads(raw)


async def save(tx: Tx, channel: str, cursor: Cursor) -> None:
    row = await tx.session.get_one(ServerMeta, KEY_PREFIX + channel)
    row.value = cursor.dumps()


async def new_cases(tx: Tx, cursor: Cursor, settled_before: datetime) -> list[NewCases]:
    """Per team, the cases after the cursor that were created before `settled_before`.

    Why the settling time: on PostgreSQL case ids are handed out when a handover flushes,
    but its transaction commits later (after the Argon2id wrap), so a higher id can become
    visible before a lower one. A cursor that jumped past an uncommitted case would never
    announce it; waiting until every transaction begun before `settled_before` is long
    done avoids that.
    """
    lowest = min([cursor.start, *(v[0] for v in cursor.teams.values())])
    rows = await tx.session.execute(
        select(Case.team_id, Case.id, Case.status)
        .where(Case.id > lowest, Case.created_at < settled_before)
        .order_by(Case.id)
    )
    found: dict[str, tuple[int, int]] = {}
    for team_id, case_id, status in rows.all():
        if case_id <= cursor.after(team_id):
            continue
        _, waiting = found.get(team_id, (0, 0))
        found[team_id] = (case_id, waiting + (status == "waiting"))
    return [NewCases(t, highest, waiting) for t, (highest, waiting) in sorted(found.items())]
