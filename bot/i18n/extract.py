"""Babel's extraction of every text for people from their German source declarations, and
the PO files brought in line with it.

    python -m bot.i18n.extract        # after adding, changing or removing a text

adds an empty entry for a new text to every language's PO file (the console and the
catalog test then show it as missing), drops entries of texts that no longer exist and
keeps every translation (a changed German text shows as outdated until it is translated
again). Extraction reads the sources like any gettext project: the keywords `text` and
`plural` with the key as context (`msgctxt`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polib
from babel.messages.extract import extract_from_dir

from bot.i18n.catalog import PO_DIR, TRANSLATED
from bot.i18n.plurals import rule

SOURCES: Final = Path(__file__).parent / "sources"
KEYWORDS: Final = {"text": ((1, "c"), 2), "plural": ((1, "c"), 2, 3)}
METHODS: Final = [("**.py", "python")]


@dataclass(frozen=True)
class Extracted:
    key: str
    source: str
    source_plural: str | None
    file: str
    line: int


def extract(directory: Path = SOURCES) -> list[Extracted]:
    found = []
    for filename, line, message, _comments, context in extract_from_dir(
        str(directory), method_map=METHODS, keywords=KEYWORDS
    ):
        if context is None:
            continue
        if isinstance(message, tuple):
            one, other = str(message[0]), str(message[1])
            found.append(Extracted(context, one, other, filename, line))
        else:
            found.append(Extracted(context, str(message), None, filename, line))
    return found


def update_po(language: str, texts: list[Extracted], directory: Path = PO_DIR) -> tuple[int, int]:
    """Bring one language's PO file in line with `texts`; (added, dropped)."""
    path = directory / f"{language}.po"
    po = polib.pofile(str(path), wrapwidth=0)
    by_key = {e.msgctxt: e for e in po if e.msgctxt}
    wanted = {t.key for t in texts}
    dropped = [e for e in po if e.msgctxt not in wanted]
    for entry in dropped:
        po.remove(entry)
    added = 0
    for t in texts:
        if t.key in by_key:
            continue
        entry = polib.POEntry(msgctxt=t.key, msgid=t.source)
        if t.source_plural is not None:
            entry.msgid_plural = t.source_plural
            entry.msgstr_plural = dict.fromkeys(range(rule(language).count), "")
        po.append(entry)
        added += 1
    po.save(str(path))
    return added, len(dropped)


def main() -> int:
    texts = extract()
    for language in TRANSLATED:
        added, dropped = update_po(language, texts)
        sys.stdout.write(f"{language}.po: {added} new texts to translate, {dropped} dropped\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
