"""Translations of the service's texts that admins imported in the console, per language.

Storage only keeps them; which keys exist and whether a translation is valid is decided by
the service (bot/i18n/po_files.py), which checks a PO file before it calls `replace`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select

from storage.models import UiTranslation
from storage.store import Tx


@dataclass(frozen=True)
class Stored:
    forms: tuple[str, ...]
    source: str
    reviewed: bool


async def all_languages(tx: Tx) -> dict[str, dict[str, Stored]]:
    rows = await tx.session.scalars(select(UiTranslation))
    found: dict[str, dict[str, Stored]] = {}
    for r in rows:
        found.setdefault(r.language, {})[r.key] = Stored(tuple(r.forms), r.source, r.reviewed)
    return found


async def merge(tx: Tx, language: str, imported: Mapping[str, Stored], actor: str) -> int:
    """Store `imported` over the language's earlier imports (other keys stay); the number of
    translations that changed."""
    existing = {
        r.key: r
        for r in await tx.session.scalars(
            select(UiTranslation).where(UiTranslation.language == language)
        )
    }
    changed = 0
    for key, new in imported.items():
        row = existing.get(key)
        if row is None:
            tx.session.add(
                UiTranslation(
                    language=language,
                    key=key,
                    forms=list(new.forms),
                    source=new.source,
                    reviewed=new.reviewed,
                    updated_by=actor,
                    updated_at=tx.now,
                )
            )
            changed += 1
        elif (tuple(row.forms), row.source, row.reviewed) != (new.forms, new.source, new.reviewed):
            row.forms, row.source, row.reviewed = list(new.forms), new.source, new.reviewed
            row.updated_by, row.updated_at = actor, tx.now
            changed += 1
    return changed


async def forget(tx: Tx, language: str) -> int:
    """Drop every imported translation of `language` (the shipped ones apply again)."""
    result = await tx.session.execute(
        delete(UiTranslation).where(UiTranslation.language == language)
    )
    return int(getattr(result, "rowcount", 0) or 0)
