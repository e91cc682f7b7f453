"""docs/configuration.md is the settings model's own output and names every setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.settings import Settings
from bot.settings_reference import NOTES, Entry, entries, render

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "configuration.md"
REGENERATE = "python -m bot.settings_reference > docs/configuration.md"


def _leaf_names(model: type[BaseModel], prefix: str = "") -> list[str]:
    names: list[str] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += _leaf_names(annotation, f"{prefix}{name}.")
        else:
            names.append(prefix + name)
    return names


def test_the_committed_reference_is_the_generated_one() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render(), f"run `{REGENERATE}`"


def test_every_setting_is_in_the_reference_with_its_environment_name() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    names = _leaf_names(Settings)
    assert {entry.name for entry in entries()} == set(names)
    for name in names:
        section, _, short = name.rpartition(".")
        env = "ANLAUFSTELLE_" + name.replace(".", "__").upper()
        row = next((line for line in text.splitlines() if f"| `{env}` |" in line), None)
        assert row is not None, f"{name} ({env}) is not in docs/configuration.md"
        assert row.startswith(f"| `{short}` |")
        if section:
            assert f"## `[{section}]`" in text


@pytest.mark.parametrize("entry", list(entries()), ids=lambda entry: entry.name)
def test_every_setting_has_a_type_a_default_and_a_description(entry: Entry) -> None:
    assert entry.type and entry.default
    assert len(entry.description) >= 10, (
        f"{entry.name}: write a docstring under the field in bot/settings.py, then `{REGENERATE}`"
    )


def test_the_reference_shows_the_values_the_model_uses() -> None:
    by_name = {entry.name: entry for entry in entries()}
    assert by_name["port"].default == "8080"
    assert by_name["port"].type == "int, ≥ 1, ≤ 65535"
    assert by_name["webchat.allowed_origins"].default == "[]"
    assert by_name["telegram.mode"].type == '"webhook" or "polling"'
    assert by_name["console.public_url"].default == "(not set)"
    assert by_name["retention_days"].type == "int, ≥ 0"


def test_notes_only_describe_settings_that_exist_and_have_no_docstring() -> None:
    by_name = {entry.name: entry for entry in entries()}
    for name, note in NOTES.items():
        assert name in by_name, f"NOTES[{name!r}] describes a setting that no longer exists"
        # A docstring written later takes over; the note is then dead text to remove.
        assert by_name[name].description == " ".join(note.split()), f"remove NOTES[{name!r}]"
