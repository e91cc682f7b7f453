"""No text for people outside the catalogs: Babel's extraction finds every declared text,
no module of the service keeps translations of its own, and the person's templates carry no
words of their own."""

from __future__ import annotations

import ast
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import polib

from bot.i18n import extract
from bot.i18n.catalog import PO_DIR, TRANSLATED, UI, load_shipped
from bot.i18n.languages import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
PERSON_TEMPLATES = (
    "base.html",
    "chat.html",
    "legal.html",
    "accessibility.html",
    "partials/page_languages.html",
)
ALLOWED_WORDS = {
    "(Language)",  # in English on purpose, for who cannot read the page's language
    "A",  # the text-size buttons: A, A+, A++
    "A+",
    "A++",
    "Vorschau",  # the admin's preview banner (console, German)
    "Zurück zum Editor",
}


def test_extraction_finds_every_text_with_its_german_source() -> None:
    found = extract.extract()
    assert len(found) == len({t.key for t in found}), "a key declared twice"
    assert {t.key: (t.source, t.source_plural) for t in found} == {
        key: (t.source, t.source_plural) for key, t in UI.texts.items()
    }


def _language_tables(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            texts = [v for v in node.values if isinstance(v, ast.Constant | ast.JoinedStr)]
            if len(keys & set(LANGUAGES) - {"de"}) >= 2 and texts:
                lines.append(node.lineno)
    return lines


def test_no_module_keeps_translations_outside_the_catalog() -> None:
    """The old way, `{"de": "...", "en": "...", "ar": "..."}`, is gone from the service
    (the flow's texts live in the flow, the console speaks German to the staff)."""
    found = {}
    for path in BOT.rglob("*.py"):
        if path.is_relative_to(BOT / "i18n") or path == BOT / "settings.py":
            continue  # settings.py: the office's own `response_time` per language (config)
        lines = _language_tables(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            found[str(path.relative_to(ROOT))] = lines
    assert found == {}


def test_the_check_would_notice_a_table_of_translations() -> None:
    tree = ast.parse('T = {"de": "Hallo", "en": "Hello", "ar": "مرحبا"}')
    assert _language_tables(tree) == [1]


_JS_TABLE = re.compile(
    r"""\b(?:{})\s*:\s*\[?\s*['"]""".format("|".join(sorted(set(LANGUAGES) - {"de"})))
)
"""A translation keyed by a language in a script (`en: 'Close chat'`)."""


def test_the_person_s_scripts_keep_no_translations_of_their_own() -> None:
    """chat.js takes its texts from /chat/texts/<lang>.json, embed.js from the server that
    serves it: a table of its own would leave out languages, as the launcher's once did."""
    found = [
        path.name
        for path in (BOT / "static").glob("*.js")
        if not path.name.startswith("console") and _JS_TABLE.search(path.read_text("utf-8"))
    ]
    assert found == []


def test_the_script_check_would_notice_a_table_of_translations() -> None:
    assert _JS_TABLE.search("var L = { de: ['Chat'], en: ['Chat'] };")
    assert not _JS_TABLE.search("var L = { de: ['Chat'] };")


class _Words(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skip += tag in ("script", "style")
        for name, value in attrs:
            if name in ("alt", "title", "aria-label", "placeholder") and value:
                self.found.append(value)

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self.skip and re.search(r"[^\W\d_]", data):
            self.found.append(data.strip())


def words_of(template: str) -> list[str]:
    without_jinja = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", "", template, flags=re.S)
    parser = _Words()
    parser.feed(without_jinja)
    return [w for w in parser.found if re.search(r"[^\W\d_]", w) and "data-" not in w]


def test_the_person_s_templates_say_nothing_that_is_not_in_the_catalog() -> None:
    for name in PERSON_TEMPLATES:
        said = words_of((BOT / "templates" / name).read_text(encoding="utf-8"))
        assert set(said) <= ALLOWED_WORDS, name


def test_the_template_check_would_notice_a_bare_word() -> None:
    assert words_of('<p>{{ t.heading }}</p><button aria-label="Senden">→</button>') == ["Senden"]


def test_a_new_text_reaches_every_po_file_as_missing(tmp_path: Path) -> None:
    for language in TRANSLATED:
        shutil.copy(PO_DIR / f"{language}.po", tmp_path / f"{language}.po")
    texts = [*extract.extract()]
    texts.append(extract.Extracted("web.neu", "Ein neuer Text", None, "web.py", 1))
    texts = [t for t in texts if t.key != "web.more"]
    for language in TRANSLATED:
        assert extract.update_po(language, texts, tmp_path) == (1, 1)
    shipped = load_shipped(tmp_path)
    assert all("web.more" not in shipped[lang] for lang in TRANSLATED)
    entry = next(e for e in polib.pofile(str(tmp_path / "tr.po")) if e.msgctxt == "web.neu")
    assert (entry.msgid, entry.msgstr) == ("Ein neuer Text", "")
