"""A text shown to a person, declared once with its German source.

`text("web.heading", "Chat: Hilfe bei Diskriminierung")` is what Babel's extractor reads
(keywords `text` and `plural`, the key as the gettext context, see bot/i18n/extract.py),
and what the catalog looks a translation up by. German is the source language: the office
works in German and its staff write the texts first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    key: str
    """Unique and stable, `<area>.<name>` (web, telegram, signal, messenger, case, office,
    flyer); the PO files' `msgctxt`."""
    source: str
    """The German text (the singular for a plural text)."""
    source_plural: str | None = None
    """The German plural; None for a text without a count."""

    @property
    def is_plural(self) -> bool:
        return self.source_plural is not None


def text(key: str, source: str) -> Text:
    return Text(key, source)


def plural(key: str, one: str, other: str) -> Text:
    """A text with a count (`{n}`): its form follows the language's CLDR plural rules."""
    return Text(key, one, other)
