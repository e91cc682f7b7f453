"""The Docker story holds together: the documented key commands make a key file the service
accepts, and docker-compose.yml speaks the settings model's language.

Docker itself is not needed: the commands of docs/docker.md run in a temporary folder (the
`chown` to the container's user is checked against the Dockerfile instead of run), and the
compose file's environment is fed to the settings model as the container would see it.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import Settings
from bot.settings_reference import entries
from storage.crypto import ServerKey

ROOT = Path(__file__).resolve().parents[2]
DOCKER_DOC = ROOT / "docs" / "docker.md"
PROXY_DOC = ROOT / "docs" / "reverse-proxy.md"
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
PUBLIC_URL = "https://beratung.example.org"
_INTERPOLATION = re.compile(r"\$\{(\w+)(?:(:?-)([^}]*)|:?\?[^}]*)?\}")


def _code_blocks(path: Path, language: str) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def _key_commands() -> list[str]:
    (block,) = [b for b in _code_blocks(DOCKER_DOC, "sh") if "secrets/server_key" in b]
    return [line for line in block.splitlines() if line.strip()]


def _container_uid() -> int:
    match = re.search(r"useradd[^\n]*--uid (\d+)", DOCKERFILE.read_text(encoding="utf-8"))
    assert match, "the Dockerfile creates no user with a fixed uid"
    return int(match.group(1))


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}` with the given .env."""

    def one(match: re.Match[str]) -> str:
        name, default, fallback = match.group(1), match.group(2), match.group(3)
        if default is not None and not env.get(name):  # ${VAR:-x}: optional, x without it
            return fallback
        assert name in env, f"{name} is needed by docker-compose.yml; docs/docker.md sets it"
        return env[name]

    return _INTERPOLATION.sub(one, value)


def _dot_env() -> dict[str, str]:
    """The `.env` that docs/docker.md writes."""
    for block in _code_blocks(DOCKER_DOC, "sh"):
        match = re.search(r'echo "(\w+)=(\S+)" > \.env', block)
        if match:
            return {match.group(1): match.group(2)}
    raise AssertionError("docs/docker.md does not say how to write .env")


def _service_env(name: str) -> dict[str, str]:
    env = _compose()["services"][name].get("environment") or {}
    return {str(k): _interpolate(str(v), _dot_env()) for k, v in env.items()}


@pytest.mark.slow  # runs the documented shell commands
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_documented_key_commands_make_a_key_the_service_accepts(tmp_path: Path) -> None:
    uid = _container_uid()
    ran = []
    for line in _key_commands():
        if line.startswith("sudo chown"):
            # Run as the owner the container would be: the check that matters is the uid.
            assert line.split()[2] == f"{uid}:{uid}", f"{line!r} does not name uid {uid}"
            assert line.split()[3] == "secrets/server_key"
            continue
        subprocess.run(["bash", "-euo", "pipefail", "-c", line], cwd=tmp_path, check=True)
        ran.append(line)
    assert any("openssl rand" in line for line in ran)
    key_file = tmp_path / "secrets" / "server_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    key = ServerKey.load(key_file)  # what the service does at start
    assert len(key.fingerprint()) == 16
    password = (tmp_path / "secrets" / "postgres_password").read_text().strip()
    assert len(password) >= 32
    assert stat.S_IMODE((tmp_path / "secrets" / "postgres_password").stat().st_mode) == 0o644


def test_the_compose_file_header_tells_the_same_key_story() -> None:
    header = COMPOSE_FILE.read_text(encoding="utf-8").split("services:", 1)[0]
    for line in _key_commands():
        if "server_key" in line:
            assert line.split("#")[0].strip() in header, f"docker-compose.yml lacks {line!r}"


def test_every_compose_variable_is_a_setting() -> None:
    known = {entry.env for entry in entries()}
    for name, service in _compose()["services"].items():
        for variable in service.get("environment") or {}:
            if variable.startswith("ANLAUFSTELLE_"):
                assert variable in known, f"services.{name}: {variable} is no setting"


def test_the_service_container_gets_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in list(os.environ):
        if variable.startswith("ANLAUFSTELLE_"):
            monkeypatch.delenv(variable)
    compose = _compose()
    environment = _service_env("anlaufstelle")
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    settings = Settings()
    assert settings.console.public_url == PUBLIC_URL
    assert settings.console.trust_forwarded_proto is True
    # the proxy service's connections, carrying those of the host's proxy (the gateway)
    (ipam,) = compose["networks"]["default"]["ipam"]["config"]
    proxy = compose["services"]["proxy"]["networks"]["default"]["ipv4_address"]
    assert settings.webchat.trusted_proxies == [proxy, ipam["gateway"]]
    # every secret file the settings name is a secret mounted into the container
    mounted = {f"/run/secrets/{name}" for name in compose["services"]["anlaufstelle"]["secrets"]}
    assert str(settings.resolved_server_key_file) in mounted
    assert str(settings.database_password_file) in mounted


def test_the_proxy_examples_reach_the_published_port() -> None:
    (port,) = _compose()["services"]["proxy"]["ports"]
    upstream = port.rsplit(":", 1)[0]  # "127.0.0.1:8080"
    (caddy,) = _code_blocks(PROXY_DOC, "caddy")
    assert f"reverse_proxy {upstream}" in caddy
    assert caddy.startswith(PUBLIC_URL.removeprefix("https://") + " {")
    (nginx,) = _code_blocks(PROXY_DOC, "nginx")
    assert f"proxy_pass http://{upstream};" in nginx
    for header in ("Upgrade $http_upgrade", "Connection $connection_upgrade", "Host $host"):
        assert f"proxy_set_header {header};" in nginx
    assert "X-Forwarded-Proto $scheme" in nginx and "access_log off;" in nginx
