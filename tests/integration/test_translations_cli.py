"""`anlaufstelle flows translations | export-po | import-po` as a translator's admin uses them."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import polib
import pytest

from bot.cli.main import run
from tests.integration.test_cli import Cli

REPO = Path(__file__).resolve().parents[2]
MINI = REPO / "tests" / "flows" / "mini.yaml"
INTAKE = REPO / "dialogs" / "flows" / "intake.yaml"


LANGS = ("tr", "ru", "uk", "pl", "ar", "fa")


def call(*argv: str | Path) -> tuple[int, str]:
    out = io.StringIO()
    code = run([str(a) for a in argv], out)
    return code, out.getvalue()


@pytest.fixture
def flow_file(tmp_path: Path) -> Path:
    return Path(shutil.copy(MINI, tmp_path / "mini.yaml"))


def test_table_lists_every_text_and_marks_problems(
    flow_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = call("flows", "translations", INTAKE)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["text", "ls", "en", "tr", "ru", "uk", "pl", "ar", "fa"]
    assert any(
        line.split() == ["node:consent:text", "ok", "ok", *["UNREVIEWED"] * 6] for line in lines
    )
    assert lines[-8:] == [
        # 94 texts, the five of the danger path, ui.only_alone and ui.not_understood, the two
        # "Mehr dazu" details, the 38 short labels for Telegram buttons
        "ls: 0 missing, 0 outdated, 0 unreviewed of 141 texts",
        "en: 0 missing, 0 outdated, 0 unreviewed of 141 texts",
        *(f"{lang}: 0 missing, 0 outdated, 141 unreviewed of 141 texts" for lang in LANGS),
    ]

    flow_file.write_text(
        flow_file.read_text(encoding="utf-8").replace(', en: "Where did it happen?"', ""),
        encoding="utf-8",
    )
    code, out = call("flows", "translations", flow_file, "--problems")
    assert code == 0
    assert out.splitlines()[1].split() == ["node:municipality:text", "MISSING"]
    assert "en: 1 missing, 0 outdated, 0 unreviewed" in out


def test_export_edit_import_writes_the_file(
    flow_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, exported = call("flows", "export-po", flow_file, "--lang", "en")
    assert code == 0
    catalog = polib.pofile(exported)
    assert catalog.metadata["Language"] == "en"
    entry = next(e for e in catalog if e.msgctxt == "node:goodbye:text")
    entry.msgstr = "What a pity. Goodbye."
    po_file = tmp_path / "en.po"
    catalog.save(str(po_file))

    code, out = call("flows", "import-po", flow_file, po_file, "--lang", "en")
    assert code == 0, capsys.readouterr().err
    assert out == f"{flow_file}: en: 1 translations changed, 0 added\n"
    text = flow_file.read_text(encoding="utf-8")
    assert "text: {de: Schade. Auf Wiedersehen., en: What a pity. Goodbye.}" in text
    assert "translation_sources:" in text
    code, out = call("flows", "validate", flow_file)
    assert code == 0


def test_a_broken_po_file_is_reported_by_line_and_the_flow_is_untouched(
    flow_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, exported = call("flows", "export-po", flow_file, "--lang", "en")
    po_file = tmp_path / "en.po"
    po_file.write_text(
        exported.replace('msgctxt "node:goodbye:text"', 'msgctxt "node:adieu:text"').replace(
            "Your case code: {case_code}", "Your case code: {code}"
        ),
        encoding="utf-8",
    )
    before = flow_file.read_bytes()
    capsys.readouterr()
    code, _ = call("flows", "import-po", flow_file, po_file, "--lang", "en")
    assert code == 1
    lines = exported.splitlines()
    unknown = lines.index('msgctxt "node:goodbye:text"') + 1
    placeholder = next(n for n, line in enumerate(lines, 1) if "Your case code:" in line)
    assert capsys.readouterr().err.splitlines() == [
        f"{po_file}:{placeholder}: placeholders differ: the source has {{case_code}}, "
        "{response_time}, the translation {code}, {response_time}",
        f"{po_file}:{unknown}: unknown text id 'node:adieu:text' in flow 'mini'",
    ]
    assert flow_file.read_bytes() == before


def test_unknown_language_and_unreadable_files(
    flow_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = call("flows", "export-po", flow_file, "--lang", "tr")
    assert code == 1
    assert "has no language 'tr'" in capsys.readouterr().err
    code, _ = call("flows", "import-po", flow_file, tmp_path / "nope.po", "--lang", "en")
    assert code == 1
    assert "cannot read" in capsys.readouterr().err
    po_file = tmp_path / "tr.po"
    po_file.write_text('msgid ""\nmsgstr ""\n"Language: tr\\n"\n', encoding="utf-8")
    code, _ = call("flows", "import-po", flow_file, po_file, "--lang", "tr")
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"{po_file}:3: flow 'mini' has no language 'tr'")
    # With --add-language the validator names what the PO file cannot bring.
    code, _ = call("flows", "import-po", flow_file, po_file, "--lang", "tr", "--add-language")
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines()[0] == f"{flow_file}: not changed; the flow would have these problems:"
    assert "no crisis words for: tr" in err


@pytest.mark.slow
def test_the_console_script_round_trip(tmp_path: Path) -> None:
    cli = Cli(tmp_path, tmp_path / "data")
    flow_file = Path(shutil.copy(INTAKE, tmp_path / "intake.yaml"))
    exported = cli("flows", "export-po", flow_file, "--lang", "ls")
    assert exported.returncode == 0, exported.stderr
    (tmp_path / "ls.po").write_text(exported.stdout, encoding="utf-8")
    imported = cli("flows", "import-po", flow_file, tmp_path / "ls.po", "--lang", "ls")
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.endswith("ls: 0 translations changed, 0 added\n")
    assert flow_file.read_text(encoding="utf-8").startswith(INTAKE.read_text(encoding="utf-8"))
    broken = cli("flows", "import-po", flow_file, tmp_path / "missing.po", "--lang", "ls")
    assert broken.one_error().startswith("anlaufstelle: error: cannot read")
