"""The data-protection documents (docs/dsgvo/) prove what they claim: every relative link
resolves to an existing file, a `#name` on a Python file names a function or class defined
there (a test or the code that shows the claim), and a `#section` on a Markdown file names a
heading. A renamed test or a moved module fails here, so the officer never follows a dead
link."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.unit.test_doc_links import anchors, links

ROOT = Path(__file__).resolve().parents[2]
DSGVO = ROOT / "docs" / "dsgvo"
DOCUMENTS = sorted(DSGVO.glob("*.md"))
REQUIRED = (
    "README.md",
    "verzeichnis-verarbeitungstaetigkeiten.md",
    "dsfa.md",
    "toms-sdm.md",
    "auftragsverarbeitung-203.md",
)


def defined(path: Path, name: str) -> bool:
    pattern = rf"^\s*(async\s+def|def|class)\s+{re.escape(name)}\b"
    return re.search(pattern, path.read_text(encoding="utf-8"), re.MULTILINE) is not None


def broken_links(document: Path) -> list[str]:
    broken = []
    for target in links(document):
        parts = urlsplit(target)
        if parts.scheme or parts.netloc:
            continue
        path = unquote(parts.path)
        where = (document.parent / path).resolve() if path else document
        if not where.exists():
            broken.append(f"{target}: no such file")
        elif parts.fragment and where.suffix == ".py" and not defined(where, parts.fragment):
            broken.append(f"{target}: no def or class {parts.fragment} in {path}")
        elif parts.fragment and where.suffix == ".md" and parts.fragment not in anchors(where):
            broken.append(f"{target}: no heading with anchor #{parts.fragment}")
    return broken


def test_the_documents_for_the_data_protection_officer_exist() -> None:
    assert {p.name for p in DOCUMENTS} >= set(REQUIRED)
    for name in REQUIRED[1:]:
        assert f"]({name})" in (DSGVO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_link_resolves_to_a_file_a_test_or_a_heading(document: Path) -> None:
    assert not broken_links(document), f"{document.name}:\n" + "\n".join(broken_links(document))
    # The claims are backed: each document links code or tests, not only prose.
    code_links = [t for t in links(document) if urlsplit(t).path.endswith((".py", ".yaml"))]
    assert len(code_links) >= 5, document.name


def test_a_renamed_test_is_found(tmp_path: Path) -> None:
    code = tmp_path / "test_x.py"
    code.write_text("async def test_here() -> None:\n    pass\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# T\n[ok](test_x.py#test_here) [gone](test_x.py#test_renamed) [no](nope.py)\n",
        encoding="utf-8",
    )
    assert broken_links(page) == [
        "test_x.py#test_renamed: no def or class test_renamed in test_x.py",
        "nope.py: no such file",
    ]
