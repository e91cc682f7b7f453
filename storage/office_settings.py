"""Office settings changed in the console: one JSON value per key.

Storage only keeps them; what a key means and which values are valid is decided by the
service (bot/office/config.py), which validates before it calls `put`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from storage.models import OfficeSetting
from storage.store import Tx


@dataclass(frozen=True)
class Stored:
    value: Any
    updated_by: str
    updated_at: datetime


async def all_settings(tx: Tx) -> dict[str, Stored]:
    rows = await tx.session.scalars(select(OfficeSetting))
    return {r.key: Stored(r.value, r.updated_by, r.updated_at) for r in rows}


async def put(tx: Tx, key: str, value: Any, actor: str) -> None:
    """Set `key` to `value` (JSON-serialisable), replacing an earlier value."""
    row = await tx.session.get(OfficeSetting, key)
    if row is None:
        tx.session.add(OfficeSetting(key=key, value=value, updated_by=actor, updated_at=tx.now))
    else:
        row.value = value
        row.updated_by = actor
        row.updated_at = tx.now


async def remove(tx: Tx, key: str) -> bool:
    """Forget the console's value of `key` (the settings file's applies again); True if
    there was one."""
    result = await tx.session.execute(delete(OfficeSetting).where(OfficeSetting.key == key))
    return bool(getattr(result, "rowcount", 0))
