from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, check_environment, load_settings


def test_the_database_password_comes_from_its_secret_file(tmp_path: Path) -> None:
    secret = tmp_path / "postgres_password"
    secret.write_text("s3cr&t/pw\n")
    settings = Settings(
        database_url="postgresql+asyncpg://anlaufstelle@db/anlaufstelle",
        database_password_file=secret,
    )
    url = settings.resolved_database_url
    assert url.startswith("postgresql+asyncpg://anlaufstelle:")
    assert url.endswith("@db/anlaufstelle")
    assert "s3cr%26t%2Fpw" in url  # quoted, so special characters cannot break the URL


REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ANLAUFSTELLE_* variable of the machine running the tests."""
    for name in list(os.environ):
        if name.upper().startswith("ANLAUFSTELLE_"):
            monkeypatch.delenv(name)
    return monkeypatch


NAMED = re.compile(r"\bANLAUFSTELLE_[A-Z0-9_]*[A-Z0-9]\b")


def _names_in_the_repository() -> set[str]:
    """Every ANLAUFSTELLE_* name the docs, deployment files, scripts and tests mention."""
    files = [REPO / name for name in ("README.md", "Dockerfile", "docker-compose.yml")]
    for folder in ("docs", "config", "scripts", ".ci", "tests", "bot", "bench"):
        files += [
            path
            for path in (REPO / folder).rglob("*")
            if path.is_file() and "node_modules" not in path.parts and path.suffix != ".pyc"
        ]
    # These two spell wrong names on purpose, to see them refused.
    typos = {REPO / "tests" / "unit" / "test_settings.py", REPO / "tests/integration/test_cli.py"}
    names: set[str] = set()
    for path in files:
        if path.exists() and path not in typos:
            names |= set(NAMED.findall(path.read_text(encoding="utf-8", errors="replace")))
    return names


def test_no_variable_the_project_itself_uses_is_refused() -> None:
    names = _names_in_the_repository()
    assert {"ANLAUFSTELLE_PORT", "ANLAUFSTELLE_DATABASE_PASSWORD_FILE"} <= names
    refused = []
    for name in sorted(names):
        try:
            check_environment({name: "1"})
        except SettingsError as exc:
            refused.append(str(exc))
    # A complaint about the JSON form of "1" is fine here; an unknown name is not.
    assert [text for text in refused if "is not a setting" in text] == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "ANLAUFSTELLE_PROT",
            "ANLAUFSTELLE_PROT is not a setting; did you mean ANLAUFSTELLE_PORT?",
        ),
        ("ANLAUFSTELLE_BRIDGE__SECRETFILE", "did you mean ANLAUFSTELLE_BRIDGE__SECRET_FILE?"),
        ("ANLAUFSTELLE_PORT__X", "ANLAUFSTELLE_PORT__X is not a setting"),
        ("anlaufstelle_prot", "anlaufstelle_prot is not a setting"),
    ],
)
def test_unknown_variables_are_refused(
    clean_env: pytest.MonkeyPatch, name: str, message: str
) -> None:
    clean_env.setenv(name, "1")
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings()


def test_table_entries_and_sections_may_be_given_one_by_one(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("ANLAUFSTELLE_NOTIFICATIONS__EMAIL_RECIPIENTS__REGION", '["a@example.org"]')
    clean_env.setenv("ANLAUFSTELLE_WEBCHAT", '{"enabled": false}')
    settings = load_settings()
    assert settings.notifications.email_recipients == {"region": ["a@example.org"]}
    assert settings.webchat.enabled is False


def test_the_accepted_form_of_an_office_hours_list() -> None:
    with pytest.raises(SettingsError) as caught:
        check_environment({"ANLAUFSTELLE_OFFICE_HOURS__SATURDAY": "10:00-12:00"})
    assert str(caught.value) == (
        "environment variable ANLAUFSTELLE_OFFICE_HOURS__SATURDAY is a list and must be written "
        """as JSON, e.g. ANLAUFSTELLE_OFFICE_HOURS__SATURDAY='["10:00-12:00"]'"""
    )
