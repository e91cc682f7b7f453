"""The SQLite backup and restore of docs/operations.md, run as written against a running
service: the restored data directory opens a handed-over case with the counsellor's password.

The commands are read from the document (paths under /srv/backup/ and /media/key-escrow/
are pointed at temporary folders), so the guide cannot drift from what works.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.bootstrap import open_store
from bot.settings import Settings
from storage import cases, teams
from tests.integration.test_cli import (
    CANARY,
    CASE_WAITING,
    DB_NAME,
    INTAKE,
    Cli,
    intake_answers,
    write,
)
from tests.serve import Server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = ROOT / "docs" / "operations.md"
PASSWORD = "ein langes Passwort für die Sicherung"
BIN = Path(sys.executable).parent


def _shell_lines() -> list[str]:
    text = OPERATIONS.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def backup_commands() -> list[str]:
    """The one-line online backups of the SQLite section."""
    return [
        line
        for line in _shell_lines()
        if "var/anlaufstelle.sqlite3" in line
        and re.search(r"/srv/backup/anlaufstelle\.sqlite3'?\"?$", line)
    ]


def _block_after(heading: str, first_word: str) -> list[str]:
    """The lines of the first sh block after ``heading`` that starts with ``first_word``."""
    text = OPERATIONS.read_text(encoding="utf-8")
    rest = text[text.index(heading) :]
    for block in re.findall(r"```sh\n(.*?)```", rest, flags=re.DOTALL):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and lines[0].startswith(first_word):
            return lines
    raise AssertionError(f"no block starting with {first_word!r} after {heading!r}")


def _run(line: str, cwd: Path, backup: Path, escrow: Path) -> None:
    line = line.replace("/srv/backup/", f"{backup}/").replace("/media/key-escrow/", f"{escrow}/")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANLAUFSTELLE_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONIOENCODING"] = "utf-8"
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", line],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"


def _needs(tool: str, line: str) -> None:
    if line.startswith(tool) and shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (scripts/install-test-deps installs it)")


@pytest.fixture(scope="module")
def used(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Server, int]]:
    """A running service whose data dir holds a counsellor and a handed-over case."""
    root = tmp_path_factory.mktemp("used")
    server = Server(root / "var")
    (root / "var").mkdir(mode=0o700)
    server.start()
    try:
        cli = Cli(root, root / "var")
        key_file = write(root / "recovery", server.recovery_key() + "\n", mode=0o600)
        password_file = write(root / "password", PASSWORD + "\n", mode=0o600)
        added = cli(
            "counsellor",
            "add",
            "anna",
            "--team",
            "region",
            "--recovery-key-file",
            key_file,
            "--password-file",
            password_file,
        )
        assert added.returncode == 0, added.stderr
        answers = "".join(f"{a}\n" for a in intake_answers("de", f"Beim Amt. {CANARY}"))
        played = cli("flows", "simulate", INTAKE, "--lang", "de", stdin=answers)
        assert played.returncode == 0, played.stdout[-2000:] + played.stderr
        waiting = CASE_WAITING.search(played.stdout)
        assert waiting, played.stdout[-2000:]
        yield root, server, int(waiting.group(1))
    finally:
        server.stop()


async def _read_case(data_dir: Path, case_id: int) -> list[str]:
    """What the counsellor reads after logging in with their password, through the same
    start-up path as the service (server key checks, fingerprint check, migrations)."""
    settings = Settings(data_dir=data_dir, kdf_memory_kib=1024, kdf_time_cost=1)
    store, first = await open_store(settings, create=False)
    try:
        assert first is None
        async with store.tx() as tx:
            keys = await teams.unlock(tx, "anna", PASSWORD)
            assert keys is not None, "the counsellor's password no longer opens their keys"
            private = await cases.private_key_for_team(tx, case_id, keys.team_keys)
            assert private is not None
            content = await cases.read(tx, case_id, private)
    finally:
        await store.db.dispose()
    return [json.dumps(line.body, ensure_ascii=False) for line in content.transcript]


def test_the_guide_documents_three_online_backups() -> None:
    commands = backup_commands()
    assert len(commands) == 3, commands
    assert any(".backup" in c for c in commands)
    assert any("VACUUM INTO" in c and c.startswith("sqlite3") for c in commands)
    assert any(c.startswith("python3") for c in commands)


@pytest.mark.parametrize("command", backup_commands(), ids=["backup", "vacuum-into", "python"])
def test_backup_of_a_running_service_restores_into_a_fresh_data_dir(
    used: tuple[Path, Server, int], tmp_path: Path, command: str
) -> None:
    root, server, case_id = used
    _needs("sqlite3", command)
    assert server.proc is not None and server.proc.poll() is None, "the service must be running"
    backup, escrow, fresh = tmp_path / "backup", tmp_path / "escrow", tmp_path / "fresh"
    for folder in (backup, escrow, fresh):
        folder.mkdir(mode=0o700)

    _run(command, root, backup, escrow)
    (escrow_line,) = _block_after("### Key escrow", "install -m 600 var/server.key")
    _run(escrow_line, root, backup, escrow)
    assert server.proc.poll() is None  # the backup did not disturb the service

    copy = backup / DB_NAME
    assert CANARY.encode() not in copy.read_bytes(), "a backup must hold ciphertext only"
    assert not (backup / "server.key").exists()

    for line in _block_after("### SQLite", "install -d -m 700 var"):
        _run(line, fresh, backup, escrow)  # the last line is `anlaufstelle doctor`
    assert (fresh / "var" / "server.key").stat().st_mode & 0o777 == 0o600

    transcript = asyncio.run(_read_case(fresh / "var", case_id))
    assert any(CANARY in text for text in transcript), transcript
