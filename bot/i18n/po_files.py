"""The service's texts of one language as a gettext PO file, and a translated file read back.

The same workflow as a flow's texts (dialogs/po.py): `msgctxt` is the text's key, `msgid`
the German source, `#, fuzzy` marks a translation that is outdated or that no speaker of the
language has reviewed yet, and an outdated one carries the German it was made from as
`#| msgid` (what changed is visible in Poedit or Weblate). Texts with a count carry
`msgid_plural` and one `msgstr[i]` per CLDR plural form of the language (the header's
`Plural-Forms`, from Babel).

On import: a non-fuzzy entry counts as reviewed and records the `msgid` it was translated
from (if the German text changed since the export, it is still shown as outdated); a fuzzy
one is taken over as unreviewed; an empty `msgstr` leaves the text as it is; unknown keys,
differing placeholders, a wrong number of plural forms, a file for another language and an
unreadable file are refused with the PO line, and nothing is changed.
"""

from __future__ import annotations

import polib

from bot.i18n.catalog import TRANSLATED, Catalog, Status, Translation
from bot.i18n.plurals import rule
from dialogs.po import (
    PoError,
    PoErrors,
    Problem,
    header_line,
    keyword_line,
    parse,
    placeholder_problem,
)

_FUZZY = frozenset({Status.OUTDATED, Status.UNREVIEWED})


class UnknownLanguage(Exception):
    pass


def export_po(catalog: Catalog, language: str) -> str:
    if language not in TRANSLATED:
        raise UnknownLanguage(language)
    plural = rule(language)
    po = polib.POFile(wrapwidth=78)
    po.header = (
        f"The service's texts for people, from German (de) into '{language}'.\n"
        "msgctxt is the id of the text: keep it. Keep every {placeholder} as it is.\n"
        "Entries marked fuzzy: the German text changed since this translation was made\n"
        "(the old one follows #| msgid), or no speaker of the language has reviewed it yet."
    )
    po.metadata = {
        "Project-Id-Version": "Anlaufstelle",
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": plural.header,
        "X-Source-Language": "de",
    }
    for key, text in catalog.texts.items():
        found = catalog.translation(language, key)
        state = catalog.status(language, key)
        entry = polib.POEntry(
            msgctxt=key,
            msgid=text.source,
            flags=["fuzzy"] if state in _FUZZY else [],
        )
        if state is Status.OUTDATED and found is not None:
            entry.previous_msgid = found.source
        if text.source_plural is not None:
            entry.msgid_plural = text.source_plural
            forms = found.forms if found is not None else ()
            entry.msgstr_plural = {
                i: forms[i] if i < len(forms) else "" for i in range(plural.count)
            }
        else:
            entry.msgstr = found.forms[0] if found is not None else ""
        po.append(entry)
    return str(po)


def import_po(
    catalog: Catalog, language: str, po_text: str, po_file: str
) -> dict[str, Translation]:
    """The translations a PO file changes (empty and unchanged ones left out); PoErrors for
    any problem."""
    if language not in TRANSLATED:
        raise UnknownLanguage(language)
    lines = po_text.splitlines()
    po = parse(po_text, po_file)
    said = po.metadata.get("Language", "").strip()
    if said and said != language:
        raise PoErrors(
            [
                PoError.of(
                    po_file,
                    header_line(lines, "Language"),
                    "po_other_language",
                    found=said,
                    language=language,
                )
            ]
        )
    plural = rule(language)
    errors: list[PoError] = []
    taken: dict[str, Translation] = {}
    seen: dict[str, int] = {}
    for item in po:
        if item.obsolete:
            continue
        start = item.linenum or 1
        if not item.msgctxt:
            errors.append(PoError.of(po_file, start, "po_no_msgctxt"))
            continue
        at = keyword_line(lines, start, "msgctxt")
        if item.msgctxt in seen:
            errors.append(
                PoError.of(po_file, at, "po_id_twice", id=item.msgctxt, first=seen[item.msgctxt])
            )
            continue
        seen[item.msgctxt] = at
        text = catalog.texts.get(item.msgctxt)
        if text is None:
            errors.append(PoError.of(po_file, at, "po_unknown_id", id=item.msgctxt))
            continue
        if text.is_plural != bool(item.msgid_plural):
            wanted = "po_takes_plural" if text.is_plural else "po_takes_one"
            errors.append(PoError.of(po_file, at, wanted, id=item.msgctxt))
            continue
        forms = (
            tuple(item.msgstr_plural[i] for i in sorted(item.msgstr_plural))
            if item.msgid_plural
            else (item.msgstr,)
        )
        if not any(f.strip() for f in forms):
            continue
        if text.is_plural and len(forms) != plural.count:
            errors.append(
                PoError.of(
                    po_file,
                    keyword_line(lines, start, "msgstr[0]"),
                    "po_plural_count",
                    language=language,
                    count=plural.count,
                    found=len(forms),
                )
            )
            continue
        problem = _placeholder_problem(text.source, text.source_plural, forms)
        if problem:
            at = keyword_line(lines, start, "msgstr")
            errors.append(PoError.of(po_file, at, problem.code, **dict(problem.params)))
            continue
        new = Translation(forms, item.msgid, not item.fuzzy)
        if new != catalog.translation(language, item.msgctxt):
            taken[item.msgctxt] = new
    if errors:
        raise PoErrors(errors)
    return taken


def _placeholder_problem(one: str, other: str | None, forms: tuple[str, ...]) -> Problem | None:
    if other is None:
        return placeholder_problem(one, forms[0])
    for form in forms:
        # a form may leave the count out ("eine Antwort") but not any other placeholder
        problem = placeholder_problem(other, form) and placeholder_problem(one, form)
        if problem and placeholder_problem(other.replace("{n}", ""), form):
            return problem
    return None
