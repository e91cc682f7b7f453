"""`anlaufstelle flows translations | export-po | import-po`: translations on the command line.

These work on flow files alone (no settings, no database), like `flows validate`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from dialogs import po
from dialogs import translations as tr
from dialogs.errors import FlowErrors
from dialogs.loader import parse_flow

COMMANDS = ("translations", "export-po", "import-po")

MARKS = {
    tr.Status.OK: "ok",
    tr.Status.MISSING: "MISSING",
    tr.Status.OUTDATED: "OUTDATED",
    tr.Status.UNREVIEWED: "UNREVIEWED",
}


class TranslationCommandError(Exception):
    """A file cannot be read or written; printed as one line."""


def add_parsers(fsub: Any) -> None:
    """Add the subcommands to the `flows` subparsers (`fsub`)."""
    t = fsub.add_parser(
        "translations", help="list every text per language, missing and outdated ones marked"
    )
    t.add_argument("file", type=Path, help="flow YAML file")
    t.add_argument("--problems", action="store_true", help="only texts missing or outdated")
    e = fsub.add_parser("export-po", help="print one language as a gettext PO file")
    e.add_argument("file", type=Path, help="flow YAML file")
    e.add_argument("--lang", required=True, help="language to export, e.g. en")
    i = fsub.add_parser("import-po", help="write the translations of a PO file into a flow file")
    i.add_argument("file", type=Path, help="flow YAML file to write the texts into")
    i.add_argument("po_file", type=Path, help="PO file with the translations")
    i.add_argument("--lang", required=True, help="language of the PO file, e.g. en")
    i.add_argument("--add-language", action="store_true", help="add --lang to the flow's languages")


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run one of COMMANDS; problems go to standard error, exit status 1."""
    try:
        if args.flows_command == "translations":
            return _table(args, out)
        if args.flows_command == "export-po":
            return _export(args, out)
        return _import(args, out)
    except (TranslationCommandError, po.TranslationError) as exc:
        print(f"anlaufstelle: error: {exc}", file=sys.stderr)
    except po.PoErrors as exc:
        for err in exc.errors:
            print(str(err), file=sys.stderr)
    except FlowErrors as exc:
        for flow_err in exc.errors:
            print(str(flow_err), file=sys.stderr)
    return 1


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise TranslationCommandError(f"cannot read {path} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise TranslationCommandError(f"{path} is not UTF-8 text") from None


def _table(args: argparse.Namespace, out: TextIO) -> int:
    flow = parse_flow(_read(args.file), str(args.file), complete=False)
    rows = tr.table(flow)
    languages = tr.translated_languages(flow)
    shown = [r for r in rows if r.has_problem] if args.problems else rows
    width = max([len("text"), *(len(r.entry.id) for r in shown)])
    out.write(f"{'text':<{width}}  " + "  ".join(f"{lang:<10}" for lang in languages) + "\n")
    for row in shown:
        marks = "  ".join(f"{MARKS[c.status]:<10}" for c in row.cells)
        out.write(f"{row.entry.id:<{width}}  {marks}".rstrip() + "\n")
    summary = tr.counts(rows)
    for lang in languages:
        per = summary.get(lang, {})
        out.write(
            f"{lang}: {per.get(tr.Status.MISSING, 0)} missing, "
            f"{per.get(tr.Status.OUTDATED, 0)} outdated, "
            f"{per.get(tr.Status.UNREVIEWED, 0)} unreviewed of {len(rows)} texts\n"
        )
    return 0


def _export(args: argparse.Namespace, out: TextIO) -> int:
    flow = parse_flow(_read(args.file), str(args.file), complete=False)
    out.write(po.export_po(flow, args.lang))
    return 0


def _import(args: argparse.Namespace, out: TextIO) -> int:
    source = _read(args.file)
    try:
        done = po.import_po(
            source,
            str(args.file),
            _read(args.po_file),
            str(args.po_file),
            args.lang,
            add_language=args.add_language,
        )
    except FlowErrors:
        print(f"{args.file}: not changed; the flow would have these problems:", file=sys.stderr)
        raise
    if done.source != source:
        _replace(args.file, done.source)
    out.write(
        f"{args.file}: {args.lang}: {done.changed} translations changed, {done.added} added\n"
    )
    return 0


def _replace(path: Path, text: str) -> None:
    """Write `text` to `path` at once: a crash leaves the old file or the new, never half."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except OSError as exc:
        raise TranslationCommandError(f"cannot write {path} ({exc.strerror})") from None
