"""The `anlaufstelle` command as an operator meets it: the real console script in a subprocess.

Every expected failure (bad configuration, a missing or wrong server key, a database that is
down, an unreadable flow) must end as one line on standard error and a non-zero exit status,
never a traceback. `flows simulate` must play the shipped intake from piped answers in every
language and leave a sealed case in the queue, with nothing the person typed readable in the
database files.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from bot.cli.main import run as run_command
from bot.settings import Settings, load_settings
from storage import teams
from storage.crypto import ServerKey
from storage.kdf import slow_kdf
from tests.serve import free_port

# one worker for the module: `installed` and `simulation_dir` are made once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cli")]

REPO = Path(__file__).resolve().parents[2]
ANLAUFSTELLE = Path(sys.executable).with_name("anlaufstelle")
INTAKE = REPO / "dialogs" / "flows" / "intake.yaml"
EXAMPLE_CONFIG = REPO / "config" / "anlaufstelle.example.toml"
DB_NAME = "anlaufstelle.sqlite3"

CASE_CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
CASE_WAITING = re.compile(r"Case (\d+) is waiting in the queue of team 'region'")
# Ordinary log records (alembic reports its migration steps at INFO) are not error output.
LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?:DEBUG|INFO) ")
FLOW_ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<msg>\S.*)$")

# Distinctive text typed as the person's account; it must never reach the disk readable.
CANARY = "Zitronenfalter-Quokka-4711-canary"


@dataclass
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def error_lines(self) -> list[str]:
        return [
            line for line in self.stderr.splitlines() if line.strip() and not LOG_RECORD.match(line)
        ]

    def one_error(self) -> str:
        """The single meaningful stderr line of a failed command (checked: no traceback)."""
        assert "Traceback" not in self.stderr, self.stderr
        assert self.returncode != 0, f"{self.args} succeeded:\n{self.stdout}"
        lines = self.error_lines()
        assert len(lines) == 1, f"expected one error line, got:\n{self.stderr}"
        return lines[0]


@dataclass
class Cli:
    """Runs the console script in `cwd` with a clean environment and its own data dir."""

    cwd: Path
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)

    def __call__(
        self,
        *args: str | Path,
        stdin: str | None = None,
        timeout: float = 60,
        **env: str,
    ) -> Result:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("ANLAUFSTELLE_")}
        environ.update(
            ANLAUFSTELLE_DATA_DIR=str(self.data_dir),
            ANLAUFSTELLE_KDF_MEMORY_KIB="1024",
            ANLAUFSTELLE_KDF_TIME_COST="1",
            PYTHONIOENCODING="utf-8",
        )
        environ.update(self.env)
        environ.update(env)
        argv = tuple(str(a) for a in args)
        started = time.monotonic()
        proc = subprocess.run(
            [str(ANLAUFSTELLE), *argv],
            cwd=self.cwd,
            env=environ,
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
            check=False,
        )
        return Result(argv, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)

    def with_env(self, **env: str) -> Cli:
        """The same runner with more environment variables (names computed by a test)."""
        return Cli(self.cwd, self.data_dir, {**self.env, **env})


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path, tmp_path / "data")


@dataclass
class Installed:
    cli: Cli
    first_output: str
    region_recovery_key: str
    stadt_recovery_key: str

    @property
    def server_key(self) -> Path:
        return self.cli.data_dir / "server.key"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """`init` plus a second team `stadt`, shared by the tests that only read (or add names)."""
    root = tmp_path_factory.mktemp("installed")
    run = Cli(root, root / "data")
    first = run("init")
    assert first.returncode == 0, first.stderr
    region = re.search(r"recovery key.*\n\s+(\S+)", first.stdout)
    assert region, first.stdout
    team = run("team", "add", "stadt", "Stadt Hannover")
    assert team.returncode == 0, team.stderr
    stadt = re.search(r"recovery key.*\n\s+(\S+)", team.stdout)
    assert stadt, team.stdout
    return Installed(run, first.stdout, region.group(1), stadt.group(1))


def query(database: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Rows from the service's SQLite file; the connection is closed at once (an open one
    would lose its locks when this process reads the same file's bytes)."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        return db.execute(sql, params).fetchall()


def write(path: Path, content: str | bytes, mode: int | None = None) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    if mode is not None:
        path.chmod(mode)
    return path


# ------------------------------------------------------------------------- configuration


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param("port = \n", ["bad.toml", "not valid TOML", "line 1"], id="invalid-toml"),
        pytest.param(
            "prot = 8080\n",
            ["bad.toml:1: prot", "Extra inputs", "did you mean 'port'"],
            id="unknown-key",
        ),
        pytest.param('port = "x"\n', ["bad.toml:1: port", "integer"], id="wrong-type"),
        pytest.param(
            "[bridge]\nsecrets = 'x'\n", ["bad.toml:2: bridge.secrets"], id="unknown-nested-key"
        ),
        pytest.param(
            "# origins\n[webchat]\nallowed_origins = 'https://a.example'\n",
            ["bad.toml:3: webchat.allowed_origins", "valid list"],
            id="string-for-list",
        ),
    ],
)
def test_bad_config_file_is_one_line_and_exit_2(
    cli: Cli, content: str, expected: list[str], where: str
) -> None:
    write(cli.cwd / "bad.toml", content)
    config = ("--config", "bad.toml")
    args = (*config, "doctor") if where == "before" else ("doctor", *config)
    result = cli(*args)
    message = result.one_error()
    assert result.returncode == 2
    assert message.startswith("anlaufstelle: error: ")
    for part in expected:
        assert part in message


def test_config_from_environment_variable_is_checked_too(cli: Cli) -> None:
    write(cli.cwd / "bad.toml", "nope = 1\n")
    result = cli("doctor", ANLAUFSTELLE_CONFIG="bad.toml")
    message = result.one_error()
    assert result.returncode == 2
    assert "bad.toml" in message
    assert "nope" in message


def test_missing_config_file(cli: Cli) -> None:
    result = cli("--config", "missing.toml", "doctor")
    message = result.one_error()
    assert result.returncode == 2
    assert "missing.toml: no such configuration file" in message


def test_wrong_type_in_environment_names_the_setting(cli: Cli) -> None:
    result = cli("doctor", ANLAUFSTELLE_PORT="x")
    message = result.one_error()
    assert result.returncode == 2
    assert "environment variable ANLAUFSTELLE_PORT: " in message


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        pytest.param(
            "ANLAUFSTELLE_WEBCHAT__ALLOWED_ORIGINS",
            "https://a.example",
            """ANLAUFSTELLE_WEBCHAT__ALLOWED_ORIGINS='["https://a.example"]'""",
            id="list",
        ),
        pytest.param(
            "ANLAUFSTELLE_FLOWS",
            "a.yaml,b.yaml",
            """ANLAUFSTELLE_FLOWS='["a.yaml", "b.yaml"]'""",
            id="list-with-commas",
        ),
        pytest.param(
            "ANLAUFSTELLE_RESPONSE_TIME",
            "two days",
            """ANLAUFSTELLE_RESPONSE_TIME='{"key": "two days"}'""",
            id="table",
        ),
    ],
)
def test_list_or_table_in_the_environment_in_the_wrong_form(
    cli: Cli, name: str, value: str, accepted: str
) -> None:
    result = cli.with_env(**{name: value})("doctor")
    message = result.one_error()
    assert result.returncode == 2
    assert message.startswith(f"anlaufstelle: error: environment variable {name} ")
    assert "JSON" in message
    assert message.endswith(accepted)


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("ANLAUFSTELLE_PROT", "did you mean ANLAUFSTELLE_PORT?"),
        ("ANLAUFSTELLE_WEBCHAT_ENABLED", "did you mean ANLAUFSTELLE_WEBCHAT__ENABLED?"),
        ("ANLAUFSTELLE_SOMETHING_ELSE_ENTIRELY", ""),
    ],
)
def test_unknown_variable_in_the_environment_is_refused_by_name(
    cli: Cli, name: str, hint: str
) -> None:
    result = cli.with_env(**{name: "1"})("doctor")
    message = result.one_error()
    assert result.returncode == 2
    assert f"environment variable {name} is not a setting" in message
    assert message.endswith(hint or "is not a setting")
    assert not cli.data_dir.exists()


# ------------------------------------------------------------------------- server key


@pytest.mark.parametrize("command", ["serve", "doctor"])
def test_missing_server_key_file(installed: Installed, tmp_path: Path, command: str) -> None:
    missing = tmp_path / "secrets" / "server.key"
    result = installed.cli(command, ANLAUFSTELLE_SERVER_KEY_FILE=str(missing), timeout=30)
    message = result.one_error()
    assert result.returncode == 1
    assert f"server key file {missing} is missing" in message
    assert not missing.exists()  # a configured key file is never made up


def test_the_first_start_names_the_server_key_to_escrow(installed: Installed) -> None:
    said = installed.first_output
    assert f"Server key: {installed.server_key} — copy it to your key backup now" in said


@pytest.mark.parametrize("command", ["serve", "init"])
def test_a_database_restored_without_its_key_file_leaves_no_new_key_behind(
    installed: Installed, tmp_path: Path, command: str
) -> None:
    """A restore that forgot the key file: refused, named as a missing key file, and no new
    random key is left in its place, which a later escrow would copy as if it were right."""
    restored = Cli(tmp_path, tmp_path / "restored")
    restored.data_dir.mkdir(mode=0o700)
    shutil.copyfile(
        installed.cli.data_dir / "anlaufstelle.sqlite3", restored.data_dir / "anlaufstelle.sqlite3"
    )
    result = restored(command, timeout=60)
    assert result.returncode == 1
    key = restored.data_dir / "server.key"
    assert f"server key file {key} is missing" in result.one_error()
    assert not key.exists()


def test_server_key_with_bad_content(installed: Installed, tmp_path: Path) -> None:
    key = write(tmp_path / "server.key", "not a key at all\n", mode=0o600)
    result = installed.cli("doctor", ANLAUFSTELLE_SERVER_KEY_FILE=str(key))
    message = result.one_error()
    assert result.returncode == 1
    assert f"server key file {key}" in message
    assert "not a key at all" not in message


def test_server_key_readable_by_others_is_refused(installed: Installed, tmp_path: Path) -> None:
    key = tmp_path / "server.key"
    shutil.copyfile(installed.server_key, key)
    key.chmod(0o644)
    result = installed.cli("doctor", ANLAUFSTELLE_SERVER_KEY_FILE=str(key))
    message = result.one_error()
    assert result.returncode == 1
    assert "mode 0644" in message
    assert f"chmod 600 {key}" in message


def test_server_key_of_another_installation_is_refused(
    installed: Installed, tmp_path: Path
) -> None:
    other = tmp_path / "other.key"
    ServerKey.generate().save(other)
    result = installed.cli("doctor", ANLAUFSTELLE_SERVER_KEY_FILE=str(other))
    message = result.one_error()
    assert result.returncode == 1
    assert "server key is not the one this database was created with" in message
    assert "database: ok" not in result.stdout
    # The key file reads fine, but it does not fit: never called "ok" beforehand.
    assert "server key: ok" not in result.stdout


def test_doctor_on_a_healthy_installation(installed: Installed) -> None:
    result = installed.cli("doctor")
    assert result.returncode == 0, result.stderr
    assert result.error_lines() == []
    checked = re.search(
        r"server key: ok \((\w+)\), the one this database was made with", result.stdout
    )
    assert checked and checked.group(1) == ServerKey.load(installed.server_key).fingerprint()
    assert "database: ok (sqlite, schema current)" in result.stdout
    assert "database pages: ok (SQLite quick_check read every page)" in result.stdout
    assert f"flow {INTAKE}: ok" in result.stdout
    # What `serve` will have for chat sockets under the machine's open-files limit.
    assert re.search(r"open files: limit \S+, hard limit \S+; serve raises it to", result.stdout)


def test_doctor_warns_about_missing_legal_pages_without_failing(installed: Installed) -> None:
    result = installed.cli("doctor")
    assert result.returncode == 0, result.stderr
    warnings = [
        line.strip()
        for line in result.stdout.splitlines()
        if "warning:" in line and "kdf_" not in line  # the test install's costs: see below
    ]
    assert warnings == [
        "warning: the office's privacy notice is not configured "
        "(set legal.privacy_url or legal.privacy_text)",
        "warning: the office's imprint is not configured "
        "(set legal.imprint_url or legal.imprint_text)",
        "warning: the contact for accessibility feedback is not configured "
        "(set webchat.accessibility_contact)",
        "warning: the office's phone, e-mail, web address or postal address, for people who "
        "do not consent to the chat is not configured "
        "(set office_contact.phone, .email, .web_url or .address)",
    ]


def test_doctor_warns_when_key_derivation_is_too_cheap(installed: Installed) -> None:
    # The test install runs with 1 MiB and one pass, as an office must not.
    result = installed.cli("doctor")
    assert result.returncode == 0, result.stderr
    assert (
        "warning: kdf_memory_kib/kdf_time_cost are below Argon2id's recommended minimum "
        "(19456 KiB, 2 passes)"
    ) in result.stdout
    result = installed.cli(
        "doctor", ANLAUFSTELLE_KDF_MEMORY_KIB="65536", ANLAUFSTELLE_KDF_TIME_COST="3"
    )
    assert "warning: kdf_" not in result.stdout


def test_doctor_is_quiet_once_the_legal_pages_are_configured(
    installed: Installed, tmp_path: Path
) -> None:
    config = write(
        tmp_path / "office.toml",
        "[webchat]\naccessibility_contact = 'barrierefreiheit@region.example'\n"
        "[legal]\nprivacy_url = 'https://www.region.example/datenschutz'\n"
        "imprint_text = { de = 'Region Hannover, Hildesheimer Straße 20, 30169 Hannover' }\n"
        "[office_contact]\nemail = 'beratung@region.example'\n",
    )
    result = installed.cli(
        "doctor",
        "--config",
        config,
        ANLAUFSTELLE_KDF_MEMORY_KIB="19456",
        ANLAUFSTELLE_KDF_TIME_COST="2",
    )
    assert result.returncode == 0, result.stderr
    assert "warning:" not in result.stdout
    # Telegram on with an imprint given as text: the notice needs our public address.
    result = installed.cli(
        "doctor",
        "--config",
        config,
        ANLAUFSTELLE_TELEGRAM__TOKEN="1:x",
        ANLAUFSTELLE_TELEGRAM__MODE="polling",
    )
    assert "warning: this service's public address" in result.stdout
    assert "(set legal.public_url)" in result.stdout


def test_doctor_shows_the_settings_in_effect(installed: Installed, tmp_path: Path) -> None:
    config = write(
        tmp_path / "office.toml",
        "retention_days = 30\n[console]\npublic_url = 'https://beratung.example'\n"
        "[office_hours]\nfriday = []\nsaturday = ['10:00-12:00']\n",
    )
    result = installed.cli(
        "doctor",
        "--config",
        config,
        ANLAUFSTELLE_PORT="18181",
        ANLAUFSTELLE_BRIDGE__ENABLED="true",
        ANLAUFSTELLE_BRIDGE__SECRET="a bridge secret",
    )
    assert result.returncode == 0, result.stderr
    shown = dict(
        line.strip().split(":", 1)
        for line in result.stdout.split("\nchecks:\n")[0].splitlines()[1:]
    )
    shown = {key: value.strip() for key, value in shown.items()}
    assert shown["config file"] == str(config)
    assert shown["data dir"] == str(installed.cli.data_dir)
    assert shown["database"] == f"sqlite+aiosqlite:///{installed.cli.data_dir / DB_NAME}"
    assert shown["listen address"] == "127.0.0.1:18181"
    assert shown["public URL"] == "https://beratung.example"
    assert "web chat on" in shown["channels"]
    assert "bridge on" in shown["channels"]
    assert "telegram off" in shown["channels"]
    assert "Fri closed" in shown["office hours"]
    assert "Sat 10:00-12:00" in shown["office hours"]
    assert "(Europe/Berlin)" in shown["office hours"]
    assert shown["retention"] == "closed cases 30 days"
    assert "a bridge secret" not in result.stdout


def test_doctor_never_shows_the_database_password(installed: Installed, tmp_path: Path) -> None:
    password = write(tmp_path / "pw", "Geheim-Passwort-4711\n", mode=0o600)
    url = f"postgresql+asyncpg://anlaufstelle:inline-secret@127.0.0.1:{free_port()}/x"
    result = installed.cli(
        "doctor", ANLAUFSTELLE_DATABASE_URL=url, ANLAUFSTELLE_DATABASE_PASSWORD_FILE=str(password)
    )
    assert result.returncode == 1
    assert "database:         postgresql+asyncpg://anlaufstelle:***@127.0.0.1:" in result.stdout
    for secret in ("inline-secret", "Geheim-Passwort-4711"):
        assert secret not in result.stdout + result.stderr


def test_doctor_on_an_empty_directory_creates_nothing(cli: Cli) -> None:
    cli.data_dir.mkdir()
    result = cli("doctor")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = result.error_lines()
    assert any(line.startswith("anlaufstelle: error: no database here: ") for line in errors)
    assert "database: ok" not in result.stdout
    assert list(cli.data_dir.iterdir()) == []


@pytest.mark.parametrize("command", [("doctor",), ("stats",), ("purge",)])
def test_commands_that_only_open_leave_an_empty_database_file_alone(
    installed: Installed, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """An empty file where the database should be is not migrated into a new installation."""
    database = write(tmp_path / DB_NAME, b"")
    url = f"sqlite+aiosqlite:///{database}"
    result = installed.cli(*command, ANLAUFSTELLE_DATABASE_URL=url)
    assert result.returncode == 1
    assert f"no Anlaufstelle database here: {url} (it has no tables)" in result.stderr
    assert query(database, "SELECT name FROM sqlite_master") == []


@pytest.mark.parametrize(
    ("setting", "needed_by"),
    [
        ("TELEGRAM__TOKEN_FILE", {}),
        ("BRIDGE__SECRET_FILE", {"ANLAUFSTELLE_BRIDGE__ENABLED": "true"}),
        ("NOTIFICATIONS__SMTP_PASSWORD_FILE", {}),
        ("RASA__ACTION_TOKEN_FILE", {}),
    ],
)
def test_doctor_checks_every_secret_file(
    installed: Installed, tmp_path: Path, setting: str, needed_by: dict[str, str]
) -> None:
    name = setting.lower().replace("__", ".")
    missing = tmp_path / "missing-secret"
    result = installed.cli.with_env(**{f"ANLAUFSTELLE_{setting}": str(missing)}, **needed_by)(
        "doctor"
    )
    message = result.one_error()
    assert result.returncode == 1
    assert message == (
        f"anlaufstelle: error: {name}: cannot read {missing} (No such file or directory)"
    )
    present = write(tmp_path / "secret", "a secret of 16 or more characters\n", mode=0o600)
    result = installed.cli.with_env(**{f"ANLAUFSTELLE_{setting}": str(present)}, **needed_by)(
        "doctor"
    )
    assert result.returncode == 0, result.stderr
    assert f"secret file {name} ({present}): ok" in result.stdout


# ------------------------------------------------------------------------- database


@pytest.mark.parametrize("command", ["serve", "doctor"])
def test_database_down_at_start(installed: Installed, command: str) -> None:
    port = free_port()  # nothing listens here
    url = f"postgresql+asyncpg://nobody@127.0.0.1:{port}/x"
    result = installed.cli(command, ANLAUFSTELLE_DATABASE_URL=url, timeout=30)
    message = result.one_error()
    assert result.returncode == 1
    assert f"cannot connect to the postgresql database at {url}" in message
    assert result.seconds < 20
    assert "running on" not in result.stdout


def test_sqlite_database_in_a_directory_that_cannot_be_created(
    installed: Installed, tmp_path: Path
) -> None:
    blocker = write(tmp_path / "a-regular-file", "")
    database = blocker / "sub" / DB_NAME
    result = installed.cli("init", ANLAUFSTELLE_DATABASE_URL=f"sqlite+aiosqlite:///{database}")
    message = result.one_error()
    assert result.returncode == 1
    assert f"cannot create the directory {database.parent} for the SQLite database" in message


@pytest.mark.parametrize("command", ["serve", "init"])
def test_data_dir_that_cannot_be_created(cli: Cli, command: str) -> None:
    blocker = write(cli.cwd / "a-regular-file", "")
    result = cli(command, ANLAUFSTELLE_DATA_DIR=str(blocker / "data"), timeout=30)
    message = result.one_error()
    assert result.returncode == 1
    assert f"cannot create the data directory {blocker / 'data'}" in message


def test_database_url_with_a_sync_driver(installed: Installed) -> None:
    result = installed.cli("doctor", ANLAUFSTELLE_DATABASE_URL="sqlite:///x.sqlite3")
    message = result.one_error()
    assert result.returncode == 1
    assert "unsupported database URL sqlite://" in message
    assert "sqlite+aiosqlite://" in message


def _copy_of(installed: Installed, tmp_path: Path) -> Cli:
    """The installation's database, copied as the backup guide does, and its key."""
    copy = Cli(tmp_path, tmp_path / "copy")
    copy.data_dir.mkdir(mode=0o700)
    with (
        contextlib.closing(sqlite3.connect(installed.cli.data_dir / DB_NAME)) as source,
        contextlib.closing(sqlite3.connect(copy.data_dir / DB_NAME)) as target,
    ):
        source.backup(target)
    shutil.copy2(installed.server_key, copy.data_dir / "server.key")
    return copy


def _damage(database: Path, *, table: str | None = None, offset: int = 0, data: bytes) -> None:
    """Overwrite bytes of the file: at `offset` of the root page of `table`, or of the header."""
    page = 1
    with contextlib.closing(sqlite3.connect(database)) as db:
        size = db.execute("PRAGMA page_size").fetchone()[0]
        if table is not None:
            (page,) = db.execute(
                "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
            ).fetchone()
    with database.open("r+b") as file:
        file.seek((page - 1) * size + offset)
        file.write(data)


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        # The audit log's page: no start-up query reads it, so opening succeeds.
        pytest.param(
            {"table": "audit_log", "data": b"\xff" * 16},
            "database disk image is malformed",
            id="unread-page",
        ),
        # The header claims free pages the file does not have (how many it has depends on
        # the migrations' table rebuilds).
        pytest.param(
            {"offset": 36, "data": (5).to_bytes(4, "big")},
            r"Main freelist: size is \d+ but should be 5",
            id="free-page-count",
        ),
    ],
)
def test_doctor_reads_every_page_of_a_damaged_database(
    installed: Installed, tmp_path: Path, damage: dict[str, Any], said: str
) -> None:
    copy = _copy_of(installed, tmp_path)
    assert copy("doctor").returncode == 0  # the copy itself is sound
    _damage(copy.data_dir / DB_NAME, **damage)
    result = copy("doctor")
    message = result.one_error()
    assert result.returncode == 1
    url = f"sqlite+aiosqlite:///{copy.data_dir / DB_NAME}"
    assert re.fullmatch(
        re.escape(f"anlaufstelle: error: the sqlite database at {url} is damaged (")
        + said
        + re.escape(
            "): stop the service and restore the last backup with its server key "
            '(docs/operations.md, Backup and restore, "A damaged database")'
        ),
        message,
    ), message
    assert "database: ok" not in result.stdout
    assert "database pages: ok" not in result.stdout


@pytest.mark.parametrize("command", ["doctor", "stats", "serve", "init"])
def test_a_damaged_page_every_command_reads_is_one_line(
    installed: Installed, tmp_path: Path, command: str
) -> None:
    copy = _copy_of(installed, tmp_path)
    _damage(copy.data_dir / DB_NAME, table="alembic_version", data=b"\xff" * 16)
    result = copy(command, timeout=30)
    message = result.one_error()
    assert result.returncode == 1
    assert "is damaged (database disk image is malformed): stop the service and restore" in message
    assert "running on" not in result.stdout


# ------------------------------------------------------------------------- command line


def test_every_subcommand_describes_itself_and_its_arguments() -> None:
    from bot.cli.main import _parser

    def walk(parser: argparse.ArgumentParser, words: tuple[str, ...]) -> Iterator[str]:
        yield " ".join(words)
        for action in parser._actions:  # argparse has no public walk over its subcommands
            if isinstance(action, argparse._SubParsersAction):
                described = {choice.dest: choice.help for choice in action._choices_actions}
                for name, child in action.choices.items():
                    assert described.get(name), f"`anlaufstelle {' '.join(words)} {name}`"
                    yield from walk(child, (*words, name))
            elif action.dest != "help":
                assert action.help, f"`anlaufstelle {' '.join(words)}`: {action.dest}"

    commands = list(walk(_parser(), ()))
    assert {"serve", "doctor", "flows validate", "counsellor invite"} <= set(commands)
    assert len(commands) > 20


def test_serve_help_names_host_port_and_config(cli: Cli) -> None:
    result = cli("serve", "--help")
    assert result.returncode == 0, result.stderr
    for option in ("--host HOST", "--port PORT", "--workers WORKERS", "--config CONFIG"):
        assert option in result.stdout
    assert "listen port" in result.stdout


def _wait_for(proc: subprocess.Popen[str], pattern: str, seconds: float = 60) -> str:
    """Standard output of `proc` up to the first line matching `pattern`."""
    assert proc.stdout is not None
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if re.search(pattern, line):
            return "".join(seen)
    proc.kill()
    raise AssertionError(f"no {pattern!r} in:\n{''.join(seen)}{proc.stderr and proc.stderr.read()}")


@contextlib.contextmanager
def serving(cli: Cli, *args: str, **env: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`anlaufstelle serve` in the background until it says it runs; stopped afterwards."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ANLAUFSTELLE_")}
    environ.update(
        ANLAUFSTELLE_DATA_DIR=str(cli.data_dir),
        ANLAUFSTELLE_KDF_MEMORY_KIB="1024",
        ANLAUFSTELLE_KDF_TIME_COST="1",
        ANLAUFSTELLE_LOG_LEVEL="WARNING",
        **env,
    )
    proc = subprocess.Popen(
        [str(ANLAUFSTELLE), "serve", *args],
        cwd=cli.cwd,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc, _wait_for(proc, r"^Anlaufstelle is running on ")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def healthy(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as resp:  # noqa: S310
        return bool(resp.status == 200)


def test_serve_host_and_port_on_the_command_line_win(cli: Cli) -> None:
    port = free_port()
    write(cli.cwd / "office.toml", f"port = {free_port()}\nhost = '0.0.0.0'\n")
    with serving(cli, "--host", "127.0.0.1", "--port", str(port), "--config", "office.toml") as (
        _,
        output,
    ):
        assert f"Anlaufstelle is running on http://127.0.0.1:{port}/" in output
        assert healthy(f"http://127.0.0.1:{port}")


def test_doctor_shows_the_listen_address_serve_answers_on(cli: Cli) -> None:
    """An admin who started `serve --port P` reads P in doctor's output: given the same
    options, or named as where the service last listened when doctor was not given them."""
    assert cli("init").returncode == 0
    port = free_port()
    with serving(cli, "--port", str(port)) as (_, output):
        assert f"running on http://127.0.0.1:{port}/" in output
    plain = cli("doctor")
    assert plain.returncode == 0, plain.stderr
    assert re.search(r"listen address: +127\.0\.0\.1:8080\n", plain.stdout)
    assert (
        f"note: the service last listened on http://127.0.0.1:{port}/, not on the listen "
        "address above: it was started with other settings or --host/--port; give doctor "
        "the same ones to check those"
    ) in plain.stdout
    same = cli("doctor", "--port", str(port))
    assert same.returncode == 0, same.stderr
    assert re.search(rf"listen address: +127\.0\.0\.1:{port}\n", same.stdout)
    assert "note: the service last listened" not in same.stdout
    wide = cli("doctor", "--host", "localhost", "--port", "70000")
    assert wide.returncode == 2
    assert "port 70000 is not between 1 and 65535" in wide.stderr


def test_serve_port_out_of_range_is_a_usage_error(cli: Cli) -> None:
    result = cli("serve", "--port", "70000")
    assert result.returncode == 2
    assert "port 70000 is not between 1 and 65535" in result.stderr
    assert not cli.data_dir.exists()


def test_a_busy_metrics_port_is_one_line(cli: Cli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        failed = cli(
            "serve",
            "--port",
            str(free_port()),
            ANLAUFSTELLE_LOG_LEVEL="WARNING",
            ANLAUFSTELLE_METRICS__ENABLED="true",
            ANLAUFSTELLE_METRICS__PORT=str(busy),
        )
    assert failed.one_error() == (
        f"anlaufstelle: error: cannot listen for metrics on 127.0.0.1:{busy} "
        "(Address already in use)"
    )
    assert failed.returncode == 1


def test_several_workers_on_sqlite_are_refused_in_one_line(cli: Cli) -> None:
    result = cli("serve", "--workers", "2", ANLAUFSTELLE_LOG_LEVEL="WARNING")
    assert result.one_error() == (
        "anlaufstelle: error: several workers need PostgreSQL (database_url): an SQLite "
        "database is served by one process"
    )
    assert result.returncode == 1
    assert "Anlaufstelle is running" not in result.stdout
    assert not cli.data_dir.exists()  # refused before anything was made


@pytest.mark.parametrize(
    ("count", "said"),
    [
        ("0", "0 workers: choose between 1 and 64"),
        ("65", "65 workers: choose between 1 and 64"),
        ("zwei", "not a number of workers: 'zwei'"),
    ],
)
def test_a_number_of_workers_out_of_range_is_a_usage_error(cli: Cli, count: str, said: str) -> None:
    result = cli("serve", "--workers", count)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"argument --workers: {said}" in result.stderr
    assert not cli.data_dir.exists()


def test_first_start_on_a_busy_port_keeps_its_secrets_for_the_next_start(cli: Cli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        failed = cli("serve", "--port", str(busy), ANLAUFSTELLE_LOG_LEVEL="WARNING")
    message = failed.one_error()
    assert (
        message
        == f"anlaufstelle: error: cannot listen on 127.0.0.1:{busy} (Address already in use)"
    )
    assert "recovery key" not in failed.stdout
    assert "/console/setup#" not in failed.stdout

    port = free_port()
    with serving(cli, "--port", str(port)) as (_, output):
        assert re.search(r"recovery key.*\n\s+[0-9A-Z-]{20,}", output), output
        assert re.search(rf"http://127\.0\.0\.1:{port}/console/setup#[\w-]{{20,}}", output)
        assert healthy(f"http://127.0.0.1:{port}")
        recovery = re.search(r"recovery key.*\n\s+(\S+)", output)
        assert recovery
        key_file = write(cli.cwd / "recovery", recovery.group(1) + "\n", mode=0o600)
        # A shell without the service's port: the link still points at the running service.
        invited = cli(
            "counsellor", "invite", "erika", "--team", "region", "--recovery-key-file", key_file
        )
        assert invited.returncode == 0, invited.stderr
        assert re.search(
            rf"^  http://127\.0\.0\.1:{port}/console/setup#[\w-]{{20,}}$",
            invited.stdout,
            re.MULTILINE,
        )
        assert "console.public_url is not set" in invited.stdout
        public = cli(
            "counsellor",
            "invite",
            "fritz",
            "--team",
            "region",
            "--recovery-key-file",
            key_file,
            ANLAUFSTELLE_CONSOLE__PUBLIC_URL="https://beratung.example/",
        )
        assert public.returncode == 0, public.stderr
        assert re.search(
            r"^  https://beratung\.example/console/setup#[\w-]{20,}$", public.stdout, re.MULTILINE
        )
        assert "public_url is not set" not in public.stdout


# ------------------------------------------------------------------------- flows


def _unreadable(kind: str, where: Path) -> tuple[Path, str]:
    if kind == "missing":
        return where / "missing.yaml", "cannot read file: No such file or directory"
    if kind == "directory":
        (where / "flowdir").mkdir()
        return where / "flowdir", "cannot read file: Is a directory"
    path = write(where / "latin1.yaml", "id: x\ntitle: {de: Gr\xfc\xdfe}\n".encode("latin-1"))
    return path, "not UTF-8"


@pytest.mark.parametrize("kind", ["missing", "directory", "invalid-utf8"])
@pytest.mark.parametrize("command", ["validate", "simulate"])
def test_unreadable_flow(cli: Cli, kind: str, command: str) -> None:
    path, expected = _unreadable(kind, cli.cwd)
    result = cli("flows", command, path.name)
    message = result.one_error()
    assert result.returncode == 1
    match = FLOW_ERROR.match(message)
    assert match, message
    assert match["file"] == path.name
    assert expected in match["msg"]
    assert not (cli.data_dir / DB_NAME).exists()  # nothing was set up for a flow that failed


BROKEN_FLOW = """\
id: broken
title: {de: Kaputt}
languages: [de]
default_language: de
start: first
ui:
  back: {de: Zurück}
  restart: {de: Neu anfangen}
  done: {de: Fertig}
  skip: {de: Überspringen}
  invalid_choice: {de: Bitte wählen Sie eine Antwort.}
  too_long: {de: Der Text ist zu lang.}
  too_few: {de: Bitte wählen Sie mehr Antworten.}
  too_many: {de: Bitte wählen Sie weniger Antworten.}
  invalid_date: {de: "Bitte schreiben Sie das Datum so: TT.MM.JJJJ"}
  future_date: {de: Das Datum liegt in der Zukunft.}
  empty_text: {de: Bitte schreiben Sie etwas.}
crisis:
  words:
    de: [umbringen]
  message:
    de: "Polizei 110"
nodes:
  - id: first
    kind: single_choice
    text: {de: Frage}
    choices:
      - id: a
        label: {de: A}
    next: nowhere
  - id: second
    kind: message
    text: {en: Hello}
    next: first
"""


def test_validate_reports_every_problem_of_every_file(cli: Cli) -> None:
    write(cli.cwd / "broken.yaml", BROKEN_FLOW)
    write(cli.cwd / "syntax.yaml", "id: broken\nnodes: [\n")
    result = cli("flows", "validate", "broken.yaml", INTAKE, "syntax.yaml")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.error_lines()
    for line in lines:
        assert FLOW_ERROR.match(line), line
    broken = [line for line in lines if line.startswith("broken.yaml:")]
    assert len(broken) >= 3, lines
    # Three independent mistakes, each at the place it was written:
    assert "broken.yaml:30:11: unknown node 'nowhere'" in broken
    assert any(re.match(r"broken\.yaml:33:\d+: missing translation: de$", x) for x in broken)
    assert any(re.match(r"broken\.yaml:33:\d+: language 'en' is not declared", x) for x in broken)
    # The syntax error is reported too, after the good file was checked and found fine:
    assert [x for x in lines if x.startswith("syntax.yaml:")] != []
    assert any(re.match(r"syntax\.yaml:\d+:\d+: YAML syntax error", x) for x in lines)
    assert result.stdout == f"{INTAKE}: ok\n"


def test_validate_the_shipped_intake(cli: Cli) -> None:
    result = cli("flows", "validate", INTAKE)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{INTAKE}: ok\n"
    assert result.stderr == ""


def test_diagram_of_an_unreadable_flow(cli: Cli) -> None:
    result = cli("flows", "diagram", "missing.yaml")
    message = result.one_error()
    assert result.returncode == 1
    assert message.startswith("missing.yaml:1:1: cannot read file")


def test_diagram_prints_mermaid(cli: Cli) -> None:
    result = cli("flows", "diagram", INTAKE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("flowchart ")
    for node in ("consent", "in_danger", "account", "handover"):
        assert node in result.stdout
    assert result.stderr == ""


# ------------------------------------------------------------------------- simulate

LANGUAGE_CHOICE = {"de": "1", "ls": "2", "en": "3"}
HANDOVER = {"de": "Ihr Fall-Code: ", "ls": "Das ist Ihr Fall-Code: ", "en": "Your case code: "}


def intake_answers(language: str, account: str) -> list[str]:
    """The shipped intake from the first question to the handover, one line per answer."""
    return [
        LANGUAGE_CHOICE[language],  # language (asked even with --lang: the person may switch)
        "1",  # consent: yes
        "2",  # in danger right now: no
        "1",  # when: today
        "1",  # life area: work (a deadline note follows)
        "1",  # municipality: Hannover
        "1,2",  # grounds: racism, antisemitism
        account,  # their own account, free text
        "1",  # who: myself
        "1,2",  # wishes: information, counselling
        "1",  # contact: anonymously in this chat
        "1",  # heard of us: family and friends
    ]


@pytest.fixture(scope="module")
def simulation_dir(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    root = tmp_path_factory.mktemp("simulate")
    return Cli(root, root / "data")


@pytest.mark.parametrize("language", ["de", "ls", "en"])
def test_simulate_walks_the_intake_to_a_sealed_case(simulation_dir: Cli, language: str) -> None:
    account = f"Im Laden wurde ich nicht bedient. {CANARY}-{language}"
    stdin = "".join(f"{line}\n" for line in intake_answers(language, account))
    result = simulation_dir("flows", "simulate", INTAKE, "--lang", language, stdin=stdin)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert "Traceback" not in result.stderr
    assert result.error_lines() == []

    handover = result.stdout.index(HANDOVER[language])
    code = CASE_CODE.match(result.stdout, handover + len(HANDOVER[language]))
    assert code, result.stdout[handover:]
    waiting = CASE_WAITING.search(result.stdout, handover)
    assert waiting, result.stdout[handover:]
    case_id = int(waiting.group(1))

    # Raw bytes first: opening the database below would checkpoint the -wal file away.
    database = simulation_dir.data_dir / DB_NAME
    files = sorted(database.parent.glob(f"{DB_NAME}*"))  # the database, -wal, -shm if left
    assert database in files
    for path in files:
        content = path.read_bytes()
        for needle in (CANARY, code.group(0)):
            assert needle.encode() not in content, f"{needle!r} readable in {path.name}"
            assert needle.encode("utf-16-le") not in content, f"{needle!r} in {path.name}"

    row = query(database, "SELECT status, team_id, language FROM cases WHERE id = ?", case_id)
    assert row == [("waiting", "region", language)]


def test_simulate_language_not_in_the_flow(cli: Cli) -> None:
    result = cli("flows", "simulate", INTAKE, "--lang", "it")
    message = result.one_error()
    assert "'it'" in message
    assert "de, ls, en" in message
    assert not (cli.data_dir / DB_NAME).exists()


def test_simulate_input_ends_mid_dialog(cli: Cli) -> None:
    result = cli("flows", "simulate", INTAKE, "--lang", "en", stdin="3\n1\n")
    assert "Traceback" not in result.stderr
    assert result.error_lines() == []
    assert result.returncode == 1  # the conversation is neither handed over nor closed
    assert "no case was created" in result.stdout
    assert query(cli.data_dir / DB_NAME, "SELECT count(*) FROM cases") == [(0,)]


# ------------------------------------------------------------------------- init, teams


def test_first_init_shows_secrets_once_and_second_init_refuses(installed: Installed) -> None:
    assert "First start" in installed.first_output
    assert "Demo counsellor: demo" in installed.first_output
    # No password to pass around: a one-time link to set one and enrol two-factor.
    assert re.search(r"http://127\.0\.0\.1:\d+/console/setup#[\w-]{20,}", installed.first_output)
    assert (installed.server_key.stat().st_mode & 0o777) == 0o600
    again = installed.cli("init")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("Already initialised: sqlite+aiosqlite:///")
    assert installed.region_recovery_key not in again.stdout
    assert "password" not in again.stdout


def _schema_before_the_newest() -> tuple[str, str]:
    """The newest schema version and the one before it, as the migrations name them."""
    from alembic.script import ScriptDirectory

    from storage.migrate import _config, head_revision

    head = head_revision()
    assert head is not None
    previous = ScriptDirectory.from_config(_config()).get_revision(head).down_revision
    assert isinstance(previous, str)
    return previous, head


def test_init_and_serve_say_what_they_did_to_the_schema(cli: Cli) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from storage.migrate import _config

    previous, head = _schema_before_the_newest()
    made = cli("init")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"Database created with schema version {head}.\nFirst start:")
    again = cli("init")
    assert again.returncode == 0, again.stderr
    assert again.stdout.endswith(
        f"Database schema version {head}: already up to date, nothing migrated.\n"
    )

    # A database of the version before, as an upgrade finds it.
    for older in (cli.cwd / "older-init", cli.cwd / "older-serve"):
        older.mkdir(mode=0o700)
        engine = create_engine(f"sqlite:///{older / DB_NAME}")
        with engine.begin() as conn:
            command.upgrade(_config(conn), previous)
        engine.dispose()
    upgraded = cli("init", ANLAUFSTELLE_DATA_DIR=str(cli.cwd / "older-init"))
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"Database migrated from schema version {previous} to {head}.\n" in upgraded.stdout
    served = Cli(cli.cwd, cli.cwd / "older-serve")
    with serving(served, "--port", str(free_port())) as (_, output):
        assert f"Database migrated from schema version {previous} to {head}.\n" in output
    with serving(served, "--port", str(free_port())) as (_, output):
        assert "Database" not in output  # nothing to migrate: nothing said


def _counsellor(
    installed: Installed, tmp_path: Path, name: str, recovery_key: str, password: str
) -> Result:
    key_file = write(tmp_path / "recovery", recovery_key + "\n", mode=0o600)
    password_file = write(tmp_path / "password", password + "\n", mode=0o600)
    return installed.cli(
        "counsellor",
        "add",
        name,
        "--team",
        "stadt",
        "--recovery-key-file",
        key_file,
        "--password-file",
        password_file,
    )


def test_counsellor_add_with_the_team_recovery_key(installed: Installed, tmp_path: Path) -> None:
    result = _counsellor(
        installed, tmp_path, "anna", installed.stadt_recovery_key, "a long enough password"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Counsellor 'anna' added to team 'stadt'.\n"
    again = _counsellor(
        installed, tmp_path, "anna", installed.stadt_recovery_key, "a long enough password"
    )
    assert "exists already" in again.one_error()


def test_counsellor_add_derives_the_password_key_before_it_takes_the_writer(
    installed: Installed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Added while the service runs: the password's hash and key (two Argon2id runs, half a
    second with production costs) are made before the write transaction, so on SQLite no
    person's message waits for them. Here the derivation is held open until another
    connection has taken and released the file's writer without waiting."""
    deriving, release = threading.Event(), threading.Event()

    async def held_open(*args: Any) -> bytes:
        deriving.set()
        await asyncio.to_thread(release.wait, 10)
        return await slow_kdf(*args)

    monkeypatch.setattr(teams, "slow_kdf", held_open)
    for name in [n for n in os.environ if n.startswith("ANLAUFSTELLE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ANLAUFSTELLE_DATA_DIR", str(installed.cli.data_dir))
    monkeypatch.setenv("ANLAUFSTELLE_KDF_MEMORY_KIB", "1024")
    monkeypatch.setenv("ANLAUFSTELLE_KDF_TIME_COST", "1")
    key_file = write(tmp_path / "recovery", installed.stadt_recovery_key + "\n", mode=0o600)
    password_file = write(tmp_path / "password", "a long enough password\n", mode=0o600)
    argv = ["counsellor", "add", "bruno", "--team", "stadt"]
    argv += ["--recovery-key-file", str(key_file), "--password-file", str(password_file)]
    said = io.StringIO()
    codes: list[int] = []
    command = threading.Thread(target=lambda: codes.append(run_command(argv, said)))
    command.start()
    database = installed.cli.data_dir / DB_NAME
    try:
        assert deriving.wait(30), "the command derived no key"
        # timeout=0: a writer held by the command would fail this at once ("locked").
        with contextlib.closing(sqlite3.connect(database, timeout=0, isolation_level=None)) as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("COMMIT")
    finally:
        release.set()
        command.join(30)
    assert codes == [0]
    assert said.getvalue() == "Counsellor 'bruno' added to team 'stadt'.\n"
    assert query(database, "SELECT count(*) FROM counsellors WHERE username = 'bruno'") == [(1,)]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        pytest.param("region", "this recovery key does not belong to the team", id="other-team"),
        pytest.param("typo", "recovery key not accepted", id="typo"),
        pytest.param("short", "recovery key not accepted", id="malformed"),
    ],
)
def test_counsellor_add_with_a_wrong_recovery_key(
    installed: Installed, tmp_path: Path, key: str, expected: str
) -> None:
    if key == "region":
        recovery = installed.region_recovery_key
    elif key == "typo":
        good = installed.stadt_recovery_key
        recovery = good[:-3] + ("A" if good[-3] != "A" else "B") + good[-2:]
    else:
        recovery = "WRONG-KEY"
    result = _counsellor(installed, tmp_path, f"bert-{key}", recovery, "a long enough password")
    message = result.one_error()
    assert result.returncode == 1
    assert expected in message
    assert recovery not in message


def test_counsellor_password_too_short(installed: Installed, tmp_path: Path) -> None:
    result = _counsellor(installed, tmp_path, "carl", installed.stadt_recovery_key, "short")
    message = result.one_error()
    assert result.returncode == 1
    assert "at least 12 characters" in message


def test_counsellor_add_without_a_terminal_asks_for_files(installed: Installed) -> None:
    result = installed.cli("counsellor", "add", "dora", "--team", "stadt")
    message = result.one_error()
    assert "recovery key" in message.lower()
    assert "file option" in message


# ------------------------------------------------------------------------- example settings


def _sections() -> dict[str, type[BaseModel]]:
    """The nested settings tables ([bridge], [delivery], ...), found from the model itself."""
    return {
        name: info.annotation
        for name, info in Settings.model_fields.items()
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
    }


def test_example_config_loads_and_shows_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ANLAUFSTELLE_"):
            monkeypatch.delenv(name)
    loaded = load_settings(EXAMPLE_CONFIG)
    assert loaded.model_dump() == Settings().model_dump()


def test_example_config_names_every_setting_and_its_examples_are_valid(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in list(os.environ):
        if name.startswith("ANLAUFSTELLE_"):
            monkeypatch.delenv(name)
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    setting = re.compile(r"^(?:# )?([a-z][a-z0-9_]*) = ")
    sections = _sections()
    section = ""
    named: dict[str, set[str]] = {name: set() for name in ["", *sections]}
    uncommented = []
    for line in text.splitlines():
        if header := re.match(r"^\[(\w+)\]$", line):
            section = header.group(1)
            named[""].add(section)  # a table is a top-level setting too ([response_time])
        elif match := setting.match(line):
            named.setdefault(section, set()).add(match.group(1))
            line = line.removeprefix("# ")
        uncommented.append(line)
    assert named.pop("") == set(Settings.model_fields)
    for name, model in sections.items():
        assert named[name] == set(model.model_fields), f"[{name}]"
    # Every commented-out example is itself a valid value (the defaults they repeat are dropped).
    lines = [
        x
        for x in uncommented
        if x not in ("flows = []", "allowed_origins = []", "trusted_proxies = []")
    ]
    variant = write(tmp_path / "all.toml", "\n".join(lines) + "\n")
    loaded = load_settings(variant)
    assert loaded.database_url is not None
    assert loaded.bridge.secret_file is not None
    assert loaded.flows == [Path("dialogs/flows/intake.yaml")]
    assert loaded.model_dump() != Settings().model_dump()


def test_stats_hide_small_counts(installed: Installed) -> None:
    empty = installed.cli("stats")
    assert empty.returncode == 0, empty.stderr
    assert "No closed cases counted yet." in empty.stdout
    with sqlite3.connect(installed.cli.data_dir / DB_NAME) as db:
        db.executemany(
            "INSERT INTO stat_counters (period, dimension, value, count) VALUES (?, ?, ?, ?)",
            [
                ("2026-11", "cases", "closed", 9),
                ("2026-11", "grounds", "disability", 2),
                ("2026-11", "grounds", "racism", 7),
                ("2026-11", "grounds", "age", 9),
            ],
        )
    shown = installed.cli("stats")
    assert shown.returncode == 0, shown.stderr
    lines = {
        line.split()[2]: line.split(maxsplit=3)[3].strip() for line in shown.stdout.splitlines()[1:]
    }
    # The lone small cell takes the next smallest with it: 9 - 7 would give the 2 away.
    assert lines == {"closed": "9", "disability": "< 5", "racism": "hidden", "age": "9"}
    with sqlite3.connect(installed.cli.data_dir / DB_NAME) as db:
        db.execute("DELETE FROM stat_counters")


def test_publishing_a_flow_with_outdated_translations_prints_a_warning(
    installed: Installed, tmp_path: Path
) -> None:
    """As the console's publish step says it: the flow is published (an urgent German fix
    does not wait), and the command names the languages that now read an outdated text."""
    cli = _copy_of(installed, tmp_path)
    mini = (REPO / "tests" / "flows" / "mini.yaml").read_text(encoding="utf-8")
    # The English question was translated from another German text than today's.
    outdated = write(
        tmp_path / "mini.yaml",
        mini + "translation_sources:\n  en: {'node:danger:text': '00000000'}\n",
    )
    result = cli("flows", "publish", outdated)
    assert result.returncode == 0, result.stderr
    assert "flow mini: version 1 is published" in result.stdout
    assert (
        "warning: 1 text in 1 language is outdated or missing; people using these languages "
        "see the old text (outdated) or the de text (missing):\n"
        "  en: 1 outdated, 0 missing\n"
        f"  details: anlaufstelle flows translations {outdated}\n"
    ) in result.stdout
    fine = cli("flows", "publish", write(tmp_path / "mini.yaml", mini))
    assert fine.returncode == 0, fine.stderr
    assert "version 2 is published" in fine.stdout and "warning" not in fine.stdout
