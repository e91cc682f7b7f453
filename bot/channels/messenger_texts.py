"""A messenger adapter's own texts (Telegram, Signal) from the catalog: the adapter's area
(`telegram.`, `signal.`) first, then the lines every messenger shares (`messenger.`: the web
chat as the more private way, the privacy notice, the imprint), so no two channels say them
differently."""

from __future__ import annotations

from typing import Final

from bot.i18n.catalog import UI

SHARED: Final = "messenger."


def text(area: str, key: str, language: str | None, **values: object) -> str:
    own = f"{area}.{key}"
    return UI.get(language, own if own in UI.texts else SHARED + key, **values)


def keys(area: str) -> tuple[str, ...]:
    """Every text key an adapter can say (its own and the shared ones)."""
    prefixes = (f"{area}.", SHARED)
    return tuple(
        key.split(".", 1)[1]
        for key in UI.texts
        if key.startswith(prefixes) and not key.startswith(f"{area}.words.")
    )
