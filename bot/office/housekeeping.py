"""Data minimisation on a schedule: idle bot conversations and expired closed cases go."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage import audit, cases, conversations
from storage.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Swept:
    idle_conversations: int
    deleted_cases: int
    pseudonyms: tuple[str, ...] = ()
    """The contacts of the deleted cases, for the driving dialog manager's copies (Rasa's
    trackers), which the caller deletes after our transactions committed."""


async def sweep(store: Store, *, idle_hours: float, retention_days: int, now: datetime) -> Swept:
    """Close idle bot conversations (wiping their answers) and crypto-shred every case closed
    longer ago than the retention period. One case per transaction, so a long sweep never
    holds the database for long."""
    async with store.tx(now) as tx:
        idle = await conversations.expire_idle(tx, timedelta(hours=idle_hours))
    async with store.read(now) as tx:
        due = await cases.closed_before(tx, now - timedelta(days=retention_days))
    pseudonyms = []
    for case_id in due:
        async with store.tx(now) as tx:
            pseudonym = await cases.pseudonym_of(tx, case_id)
            if pseudonym is not None:
                pseudonyms.append(pseudonym)
            await cases.delete_case(tx, case_id)
            await audit.record(tx, "system", "case.deleted", case_id, "retention")
    if idle or due:
        log.info("housekeeping: %s idle conversations closed, %s cases deleted", idle, len(due))
    return Swept(idle, len(due), tuple(pseudonyms))
