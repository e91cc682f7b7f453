"""The translations admins imported, brought into the process's catalog (bot/i18n/catalog.py):
at startup, after an import here, and when another replica says it imported some
(`storage.notify.UI_TEXTS_CHANNEL`, or a reconnect of the listener that may have missed it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.i18n.catalog import UI, Translation
from storage import notify
from storage import ui_translations as stored
from storage.store import Store

log = logging.getLogger(__name__)


async def reload(store: Store) -> None:
    async with store.read() as tx:
        found = await stored.all_languages(tx)
    UI.install(
        {
            language: {key: Translation(s.forms, s.source, s.reviewed) for key, s in by_key.items()}
            for language, by_key in found.items()
        }
    )


async def save(store: Store, language: str, imported: Mapping[str, Translation], actor: str) -> int:
    """Store an import, use it here at once and tell the other replicas; the number of
    translations that changed."""
    async with store.tx() as tx:
        changed = await stored.merge(
            tx,
            language,
            {k: stored.Stored(t.forms, t.source, t.reviewed) for k, t in imported.items()},
            actor,
        )
    await reload(store)
    if changed:
        await notify.publish(store.db, notify.UI_TEXTS_CHANNEL, language)
    return changed
