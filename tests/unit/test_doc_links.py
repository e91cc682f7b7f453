"""Every relative link in the README and the documents leads somewhere: the file exists,
and an anchor (#section) names a heading of that file, slugged as GitHub does."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted(
    [
        ROOT / "README.md",
        ROOT / "SECURITY.md",
        ROOT / "CHANGELOG.md",
        *(ROOT / "docs").rglob("*.md"),
    ]
)
FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)


def _prose(text: str) -> str:
    """The text without code blocks, where a `# comment` is no heading and `[a](b)` no link."""
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: formatting dropped, lower case, punctuation removed,
    spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links keep their text
    text = re.sub(r"[`*]", "", text)  # code and emphasis marks; an underscore stays, as on GitHub
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: Counter[str] = Counter()
    out = set()
    for match in HEADING.finditer(_prose(path.read_text(encoding="utf-8"))):
        base = slug(match.group(2))
        out.add(base if not seen[base] else f"{base}-{seen[base]}")
        seen[base] += 1
    return out


def links(path: Path) -> list[str]:
    text = INLINE_CODE.sub("", _prose(path.read_text(encoding="utf-8")))
    return [match.group(1) for match in LINK.finditer(text)]


def test_the_documents_exist_and_link_to_each_other() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in DOCUMENTS}
    for required in ("README.md", "docs/operations.md", "docs/configuration.md"):
        assert required in names
    assert len(links(ROOT / "README.md")) >= 10


def test_slugs_follow_github() -> None:
    assert slug("Backup and restore") == "backup-and-restore"
    assert slug("Editing the dialogs (admins)") == "editing-the-dialogs-admins"
    assert slug("`[webchat]`") == "webchat"
    assert slug("2a. The launcher script (recommended)") == "2a-the-launcher-script-recommended"
    assert slug("Translations with PO files") == "translations-with-po-files"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(document: Path) -> None:
    broken = []
    for target in links(document):
        parts = urlsplit(target)
        if parts.scheme or parts.netloc:
            continue  # an address on the web; not checked offline
        path = unquote(parts.path)
        where = (document.parent / path).resolve() if path else document
        if not where.exists():
            broken.append(f"{target}: no such file")
            continue
        if parts.fragment and where.suffix == ".md" and parts.fragment not in anchors(where):
            broken.append(f"{target}: no heading with anchor #{parts.fragment}")
    assert not broken, f"{document.relative_to(ROOT)}:\n" + "\n".join(broken)


def test_a_broken_link_is_found(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n\n## Good part\n\n[ok](#good-part) [bad](#nope) [gone](missing.md)\n"
        "```sh\n# not a heading\necho [x](y)\n```\n",
        encoding="utf-8",
    )
    assert links(page) == ["#good-part", "#nope", "missing.md"]
    assert anchors(page) == {"title", "good-part"}
