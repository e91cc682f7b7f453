"""The files a public body looks for before using open-source software: the licence text,
how to report a vulnerability, a changelog, and a publiccode.yml that follows the standard."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from jsonschema.validators import Draft202012Validator

ROOT = Path(__file__).resolve().parents[2]
PUBLICCODE = ROOT / "publiccode.yml"
SCHEMA = ROOT / "tests" / "publiccode.schema.json"


def _pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        project: dict[str, Any] = tomllib.load(f)["project"]
    return project


@pytest.fixture(scope="module")
def publiccode() -> dict[str, Any]:
    data = yaml.safe_load(PUBLICCODE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_license_is_the_full_agpl_3_text() -> None:
    assert _pyproject()["license"] == "AGPL-3.0-or-later"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.lstrip().startswith("GNU AFFERO GENERAL PUBLIC LICENSE")
    assert "Version 3, 19 November 2007" in text
    # every section of the terms, through the last one, and the closing text
    for number in range(18):
        assert re.search(rf"^\s*{number}\. \S", text, re.MULTILINE), f"section {number} missing"
    assert "END OF TERMS AND CONDITIONS" in text
    assert "13. Remote Network Interaction; Use with the GNU General Public License." in text
    assert len(text) > 30_000


def test_security_policy_says_how_to_report_and_what_is_in_scope() -> None:
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    for heading in ("## Reporting a vulnerability", "## Scope", "## Supported versions"):
        assert heading in text
    assert "do not open a public issue" in text.lower()


def test_changelog_keeps_a_changelog_with_an_unreleased_section() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    assert "Keep a Changelog" in text
    sections = re.findall(r"^## \[([^\]]+)\]", text, re.MULTILINE)
    assert sections and sections[0] == "Unreleased"
    unreleased = text.split("## [Unreleased]", 1)[1].split("\n## [", 1)[0]
    kinds = re.findall(r"^### (\w+)", unreleased, re.MULTILINE)
    allowed = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    assert kinds and set(kinds) <= allowed


def test_publiccode_follows_the_standard(
    validator: Draft202012Validator, publiccode: dict[str, Any]
) -> None:
    errors = sorted(validator.iter_errors(publiccode), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors
    )


def test_publiccode_agrees_with_the_package(publiccode: dict[str, Any]) -> None:
    project = _pyproject()
    assert publiccode["legal"]["license"] == project["license"]
    assert publiccode["softwareVersion"] == project["version"]
    assert set(publiccode["description"]) == {"de", "en"}
    for shot in publiccode["description"]["de"]["screenshots"]:
        assert (ROOT / shot).is_file()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("publiccodeYmlVersion",), "0.3"),
        (("categories",), ["chat"]),
        (("developmentStatus",), "alpha"),
        (("description", "en", "shortDescription"), "x" * 151),
        (("description", "de", "longDescription"), "zu kurz"),
        (("maintenance", "contacts"), None),
        (("legal", "licence"), "MIT"),
        (("intendedAudience", "scope"), ["anti-discrimination"]),
    ],
    ids=[
        "version",
        "category",
        "status",
        "short-too-long",
        "long-too-short",
        "internal-without-contacts",
        "legal-typo",
        "scope",
    ],
)
def test_the_schema_refuses_what_the_standard_forbids(
    validator: Draft202012Validator,
    publiccode: dict[str, Any],
    path: tuple[str, ...],
    value: Any,
) -> None:
    broken = copy.deepcopy(publiccode)
    node = broken
    for key in path[:-1]:
        node = node[key]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)
