"""Export one language of a flow as a gettext PO file, and import a translated one.

Translators work in their own tools (Poedit, Weblate, Lokalize, OmegaT), which all read PO:

    #. node:consent:text
    #, fuzzy
    msgctxt "node:consent:text"
    msgid "Dürfen wir Ihre Angaben speichern?"     <- the source (default language)
    msgstr "May we store your answers?"            <- the translation ('' when missing)

`msgctxt` is the text id (dialogs.translations), `#, fuzzy` marks an outdated translation
and every translation of a language no speaker has reviewed yet (`unreviewed` in the flow),
the header names the language. On import:

- a translated entry that is not fuzzy records the hash of its `msgid`: the translation was
  made from that text, so if the German text has changed since the export, the imported
  translation is still shown as outdated (the translator saw the old text);
- a fuzzy entry's text is taken over but its record is not touched (not reviewed yet);
- an empty `msgstr` leaves the flow's text as it is (an import never deletes a text);
- unknown ids, differing placeholders, plural forms, a file for another language and a
  file polib cannot read are refused with the PO line, and nothing is changed;
- the updated flow must pass the full validation, or the import is refused with its errors.

Pure: takes and returns strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polib

from dialogs import translations as tr
from dialogs import yaml_patch
from dialogs.errors import START, FlowError, FlowErrors
from dialogs.loader import parse_flow
from dialogs.messages import Params, english
from dialogs.model import ANY_LANGUAGE, Flow

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PLACEHOLDER = re.compile(r"\{(" + _NAME + r")\}")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}([_-][A-Za-z0-9]{2,8})?$")
_SYNTAX_LINE = re.compile(r"\(line (\d+)\)")
_KEYWORD_LINE = re.compile(
    r"^(?:#~\s*)?(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)(?:\s+(.*))?$"
)
_QUOTED = re.compile(r'^"(?:[^"\\]|\\.)*"$')


class TranslationError(Exception):
    """A request that cannot be met, e.g. a language the flow does not have."""


@dataclass(frozen=True)
class PoError:
    """One problem in a PO file, at a 1-based line.

    `message` is English; `code` and `params` say the same for a tool that words it in
    another language (see `dialogs.messages`, and the German console)."""

    file: str
    line: int
    message: str
    code: str | None = None
    params: Params = ()

    @classmethod
    def of(cls, file: str, line: int, code: str, **params: str | int) -> PoError:
        """The error `code` at `line`, its English message filled in from `params`."""
        values = tuple(params.items())
        return cls(file, line, english(code, values), code, values)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class PoErrors(Exception):
    """Every problem found in one PO file, by line."""

    def __init__(self, errors: list[PoError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.line, e.message))
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass(frozen=True)
class Imported:
    source: str
    """The updated flow YAML."""
    flow: Flow
    changed: int
    """Translations whose text changed."""
    added: int
    """Translations that were missing."""


# ---------------------------------------------------------------- export


_FUZZY = frozenset({tr.Status.OUTDATED, tr.Status.UNREVIEWED})


def export_po(flow: Flow, language: str) -> str:
    """The PO file of `language`: every text, its translation or '' and the outdated or
    unreviewed ones fuzzy."""
    if language == flow.default_language:
        raise TranslationError(
            f"'{language}' is the source language of flow '{flow.id}'; export a translation"
        )
    if language not in flow.languages:
        raise TranslationError(
            f"flow '{flow.id}' has no language '{language}' (it has {', '.join(flow.languages)})"
        )
    po = polib.POFile(wrapwidth=78)
    po.header = (
        f"Translation of the flow '{flow.id}' from '{flow.default_language}' into '{language}'.\n"
        "msgctxt is the id of the text: keep it. Keep every {placeholder} as it is.\n"
        "Entries marked fuzzy: the source text changed since this translation was made,\n"
        "or no speaker of the language has reviewed the translation yet."
    )
    po.metadata = {
        "Project-Id-Version": flow.id,
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "X-Source-Language": flow.default_language,
    }
    for entry in tr.entries(flow):
        state = tr.status(flow, entry, language)
        po.append(
            polib.POEntry(
                msgctxt=entry.id,
                msgid=entry.source,
                msgstr=entry.translation(language),
                flags=["fuzzy"] if state in _FUZZY else [],
                comment=_note(entry.source),
            )
        )
    return str(po)


def _note(source: str) -> str:
    names = sorted(set(_PLACEHOLDER.findall(source)))
    if not names:
        return ""
    listed = ", ".join(f"{{{n}}}" for n in names)
    return f"Keep {listed} unchanged: the bot fills it in."


# ---------------------------------------------------------------- import


def import_po(
    flow_source: str,
    flow_file: str,
    po_text: str,
    po_file: str,
    language: str,
    *,
    add_language: bool = False,
) -> Imported:
    """Apply the PO file `po_text` for `language` to the flow; the updated flow and counts.

    Raises PoErrors (problems of the PO file, by PO line; nothing applied) or FlowErrors
    (the flow cannot be read, or would be invalid after the import)."""
    # The flow may still lack texts (a language being added): structure is enough here.
    flow = parse_flow(flow_source, flow_file, complete=False)
    lines = po_text.splitlines()
    _check_language(flow, language, add_language, lines, po_file)
    po = parse(po_text, po_file)
    header_language = po.metadata.get("Language", "").strip()
    if header_language and header_language != language:
        raise PoErrors(
            [
                PoError.of(
                    po_file,
                    header_line(lines, "Language"),
                    "po_other_language",
                    found=header_language,
                    language=language,
                )
            ]
        )
    known = {e.id: e for e in tr.entries(flow)}
    errors: list[PoError] = []
    seen: dict[str, int] = {}
    taken: list[tuple[tr.Entry, polib.POEntry]] = []
    for item in po:
        if item.obsolete:
            continue
        start = item.linenum or 1
        if item.msgid_plural:
            errors.append(PoError.of(po_file, start, "po_plural_in_flow"))
            continue
        if not item.msgctxt:
            errors.append(PoError.of(po_file, start, "po_no_msgctxt"))
            continue
        ctxt_line = keyword_line(lines, start, "msgctxt")
        if item.msgctxt in seen:
            errors.append(
                PoError.of(
                    po_file, ctxt_line, "po_id_twice", id=item.msgctxt, first=seen[item.msgctxt]
                )
            )
            continue
        seen[item.msgctxt] = ctxt_line
        entry = known.get(item.msgctxt)
        if entry is None:
            errors.append(
                PoError.of(
                    po_file, ctxt_line, "po_unknown_id_in_flow", id=item.msgctxt, flow=flow.id
                )
            )
            continue
        if item.msgstr.strip():
            problem = placeholder_problem(item.msgid, item.msgstr)
            if problem:
                at = keyword_line(lines, start, "msgstr")
                errors.append(PoError.of(po_file, at, problem.code, **dict(problem.params)))
                continue
            taken.append((entry, item))
    if errors:
        raise PoErrors(errors)
    return _apply(flow, flow_source, flow_file, language, add_language, taken)


def _check_language(
    flow: Flow, language: str, add_language: bool, lines: list[str], po_file: str
) -> None:
    line = header_line(lines, "Language")
    if language == flow.default_language:
        error = PoError.of(po_file, line, "po_source_language", language=language, flow=flow.id)
    elif language in flow.languages:
        return
    elif not add_language:
        error = PoError.of(
            po_file,
            line,
            "po_language_missing",
            flow=flow.id,
            language=language,
            languages=", ".join(flow.languages),
        )
    elif language == ANY_LANGUAGE or not _LANGUAGE_CODE.match(language):
        error = PoError.of(po_file, line, "po_not_language_code", language=language)
    else:
        return
    raise PoErrors([error])


def parse(po_text: str, po_file: str) -> polib.POFile:
    """Read PO text; PoErrors with the line of the first problem (also used for the
    service's UI catalog, bot/i18n/po_files.py)."""
    # polib.pofile() reads a *file* when its argument names one; text that ends in a line
    # break names no file, so an uploaded "/etc/passwd" is parsed as (bad) PO text.
    text = po_text if po_text.endswith("\n") else po_text + "\n"
    # polib takes a string with a missing closing quote as it is; a cut-off file must not
    # become a translation without a word of warning.
    for n, line in enumerate(po_text.splitlines(), start=1):
        stripped = line.strip()
        keyword = _KEYWORD_LINE.match(stripped)
        quoted = (keyword.group(1) or "") if keyword else stripped
        if (keyword or stripped.startswith('"')) and not _QUOTED.match(quoted.rstrip()):
            raise PoErrors([PoError.of(po_file, n, "po_unquoted")])
    try:
        return polib.pofile(text, encoding="utf-8")
    except OSError as exc:
        found = _SYNTAX_LINE.search(str(exc))
        at = int(found.group(1)) if found else 1
        detail = str(exc).split("): ", 1)[1] if "): " in str(exc) else "syntax error"
        raise PoErrors([PoError.of(po_file, at, "po_syntax", detail=detail)]) from None
    except (ValueError, KeyError, IndexError):
        # polib's parser is a state machine that may fail in other ways on odd input.
        raise PoErrors([PoError.of(po_file, 1, "po_unreadable")]) from None


@dataclass(frozen=True)
class Problem:
    """What is wrong with a translation's text, as an error code and its values."""

    code: str
    params: Params = ()


def placeholder_problem(msgid: str, msgstr: str) -> Problem | None:
    rest = _PLACEHOLDER.sub("", msgstr)
    if "{" in rest or "}" in rest:
        return Problem("po_stray_brace")
    source = sorted(_PLACEHOLDER.findall(msgid))
    target = sorted(_PLACEHOLDER.findall(msgstr))
    if source != target:
        show = ", ".join(f"{{{p}}}" for p in source) or "none"
        got = ", ".join(f"{{{p}}}" for p in target) or "none"
        return Problem("po_placeholders_differ", (("source", show), ("translation", got)))
    return None


def _apply(
    flow: Flow,
    flow_source: str,
    flow_file: str,
    language: str,
    add_language: bool,
    taken: list[tuple[tr.Entry, polib.POEntry]],
) -> Imported:
    patch = yaml_patch.FlowPatch()
    languages = list(flow.languages)
    if language not in languages and add_language:
        patch.add_language = language
        languages.append(language)
    recorded = dict(flow.translation_sources.get(language, {}))
    changed = added = 0
    for entry, item in taken:
        old = entry.translation(language)
        if item.msgstr != old:
            patch.texts[entry.path] = {language: item.msgstr}
            if old:
                changed += 1
            else:
                added += 1
        if not item.fuzzy:
            recorded[entry.id] = tr.source_hash(item.msgid)
    sources = _sources(flow, languages, language, recorded)
    if sources != flow.translation_sources:
        patch.translation_sources = sources
    try:
        new_source = yaml_patch.apply(flow_source, patch)
    except yaml_patch.PatchError as exc:
        raise FlowErrors([FlowError.of(flow_file, START, "not_applied", detail=str(exc))]) from None
    new_flow = parse_flow(new_source, flow_file)
    _check_applied(new_flow, language, patch)
    return Imported(new_source, new_flow, changed, added)


def _sources(
    flow: Flow, languages: list[str], language: str, recorded: dict[str, str]
) -> dict[str, dict[str, str]]:
    """The whole map in flow order, without entries of texts that no longer exist."""
    ids = [e.id for e in tr.entries(flow)]
    out: dict[str, dict[str, str]] = {}
    for lang in languages:
        have = recorded if lang == language else flow.translation_sources.get(lang, {})
        kept = {i: have[i] for i in ids if i in have}
        if kept:
            out[lang] = kept
    return out


def _check_applied(flow: Flow, language: str, patch: yaml_patch.FlowPatch) -> None:
    """The edited YAML reads back as intended (a guard against a bug in the text edits)."""
    by_path = {e.path: e for e in tr.entries(flow)}
    for path, values in patch.texts.items():
        entry = by_path.get(path)
        if entry is None or entry.translation(language) != values[language]:
            raise RuntimeError(f"the edited flow does not read back the text at {path}")


def header_line(lines: list[str], field: str) -> int:
    for n, line in enumerate(lines, start=1):
        if line.startswith(f'"{field}:'):
            return n
    return 1


def keyword_line(lines: list[str], start: int, keyword: str) -> int:
    """The line of `keyword` in the entry that begins at line `start` (1-based)."""
    for n in range(max(start, 1), len(lines) + 1):
        if lines[n - 1].startswith(keyword + " "):
            return n
    return start
