"""Every text shown to a person, in every language: German sources, shipped translations
(bot/i18n/po/<language>.po) and the translations an admin imported in the console.

A translation is found by its text's key (the PO `msgctxt`), not by the German wording, so
a German text edited since keeps its translation visible to people until it is updated;
the console shows it as outdated (the PO entry's `msgid` is the German text it was made
from). A language without a translation of a text shows the German one.

One catalog per process (`UI`): the app installs the imported translations from the
database at startup and again when an admin imports a file on any replica
(bot/i18n/ui_sync.py).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polib

from bot.i18n import declared
from bot.i18n.languages import LANGUAGES, SOURCE_LANGUAGE, language_of
from bot.i18n.plurals import rule
from bot.i18n.text import Text

PO_DIR: Final = Path(__file__).parent / "po"
TRANSLATED: Final = tuple(lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE)


@dataclass(frozen=True)
class Translation:
    forms: tuple[str, ...]
    """One text, or the plural forms in the order of the language's gettext rule."""
    source: str
    """The German text it was translated from (for plurals: the singular)."""
    reviewed: bool
    """Read and approved by someone who speaks the language (not `#, fuzzy` in the PO)."""


class Status(enum.StrEnum):
    OK = "ok"
    MISSING = "missing"
    OUTDATED = "outdated"
    UNREVIEWED = "unreviewed"


Translations = Mapping[str, Translation]
"""A language's translations by text key."""


class Catalog:
    def __init__(self, texts: Sequence[Text], shipped: Mapping[str, Translations]) -> None:
        self.texts: Final = {t.key: t for t in texts}
        self.shipped: Final = shipped
        self._imported: dict[str, Translations] = {}

    # ------------------------------------------------------------ looking up

    def translation(self, language: str, key: str) -> Translation | None:
        found = self._imported.get(language, {}).get(key) or self.shipped.get(language, {}).get(key)
        return found if found is not None and any(found.forms) else None

    def get(self, language: str | None, key: str, **values: object) -> str:
        """The text in `language` (German when it has none), formatted with `values`."""
        lang = language_of(language)
        found = self.translation(lang, key) if lang != SOURCE_LANGUAGE else None
        said = found.forms[0] if found is not None else self.texts[key].source
        return said.format(**values) if values else said

    def plural(self, language: str | None, key: str, n: int, /, **values: object) -> str:
        """The form of a plural text for the count `n`; `{n}` is `n` unless `values` say
        otherwise ("{n} von {max} Zeichen" takes its form from `max`)."""
        lang = language_of(language)
        source = self.texts[key]
        found = self.translation(lang, key) if lang != SOURCE_LANGUAGE else None
        if found is not None:
            forms = found.forms
            said = forms[min(rule(lang).index(n), len(forms) - 1)] or forms[-1]
        else:
            said = source.source if n == 1 else (source.source_plural or source.source)
        return said.format(**{"n": n, **values})

    def by_category(self, language: str | None, key: str) -> dict[str, str]:
        """A plural text's forms by CLDR category, for `Intl.PluralRules` in the browser."""
        lang = language_of(language)
        source = self.texts[key]
        found = self.translation(lang, key) if lang != SOURCE_LANGUAGE else None
        if found is None:
            return {"one": source.source, "other": source.source_plural or source.source}
        return {
            category: form or found.forms[-1]
            for category, form in zip(rule(lang).categories, found.forms, strict=False)
        }

    def area(self, language: str | None, prefix: str) -> dict[str, str]:
        """Every text of one area (`web.`, …) without its prefix, plural texts left out."""
        return {
            key.removeprefix(prefix): self.get(language, key)
            for key, t in self.texts.items()
            if key.startswith(prefix) and not t.is_plural
        }

    def plurals(self, language: str | None, prefix: str) -> dict[str, dict[str, str]]:
        return {
            key.removeprefix(prefix): self.by_category(language, key)
            for key, t in self.texts.items()
            if key.startswith(prefix) and t.is_plural
        }

    # ------------------------------------------------------------ review state

    def status(self, language: str, key: str) -> Status:
        found = self.translation(language, key)
        if found is None:
            return Status.MISSING
        if found.source != self.texts[key].source:
            return Status.OUTDATED
        return Status.OK if found.reviewed else Status.UNREVIEWED

    def imported(self, language: str) -> Translations:
        return self._imported.get(language, {})

    def install(self, imported: Mapping[str, Translations]) -> None:
        """Replace the imported translations (all languages at once: the database's state)."""
        self._imported = {lang: dict(t) for lang, t in imported.items() if lang in TRANSLATED}


def read_po(po: polib.POFile) -> dict[str, Translation]:
    found: dict[str, Translation] = {}
    for entry in po:
        if entry.obsolete or not entry.msgctxt:
            continue
        forms = (
            tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
            if entry.msgid_plural
            else (entry.msgstr,)
        )
        found[entry.msgctxt] = Translation(forms, entry.msgid, "fuzzy" not in entry.flags)
    return found


def load_shipped(directory: Path = PO_DIR) -> dict[str, dict[str, Translation]]:
    return {
        lang: read_po(polib.pofile(str(directory / f"{lang}.po"), wrapwidth=0))
        for lang in TRANSLATED
        if (directory / f"{lang}.po").exists()
    }


def all_texts(groups: Iterable[Sequence[Text]] = declared.ALL) -> tuple[Text, ...]:
    return tuple(t for group in groups for t in group)


UI: Final = Catalog(all_texts(), load_shipped())
"""The process's catalog."""
