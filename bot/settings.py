"""Typed settings: an optional TOML file, overridden by ANLAUFSTELLE_* environment variables.

Nested values use a double underscore in the environment, e.g.
ANLAUFSTELLE_BRIDGE__SECRET. Secrets can come from files (Docker secrets) through the
`*_file` settings so they never need to sit in the environment or the TOML file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from storage.db import url_with_password

DEFAULT_DATA_DIR = Path("var")


class SettingsError(Exception):
    """The configuration cannot be used; the message says what to change."""


class BridgeSettings(BaseModel):
    """The HTTP bridge channel: another system posts messages in and receives replies."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    callback_url: str | None = None
    secret: str | None = None
    secret_file: Path | None = None

    def resolved_secret(self) -> str:
        if self.secret_file is not None:
            return _read_secret_file(self.secret_file, "bridge.secret_file")
        if not self.secret:
            raise SettingsError(
                "bridge.enabled is set, but neither bridge.secret nor bridge.secret_file is"
            )
        return self.secret


class WebChatSettings(BaseModel):
    """The web chat at /chat and its embedding in other sites."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    allowed_origins: list[str] = Field(default_factory=list)
    """Sites (scheme://host[:port]) that may embed the chat and open its WebSocket."""
    exit_url: str = "https://www.google.com/"
    """Where the quick-exit button leaves to: a neutral page that gives nothing away."""
    office_name: str = "Antidiskriminierungsstelle Region Hannover"
    new_chats_per_10_minutes: int = Field(default=30, ge=1)
    """New conversations one client network may open; a script cannot fill the database."""
    frames_burst: float = Field(default=10, gt=0)
    frames_per_second: float = Field(default=2, gt=0)
    """Flood limit per WebSocket connection; a person never types faster than this."""
    trusted_proxies: list[str] = Field(default_factory=list)
    """Addresses of the reverse proxies in front of the service (e.g. ["127.0.0.1"]), whose
    X-Forwarded-For header names the real client for rate limits."""
    accessibility_contact: str = "barrierefreiheit@example.org"
    """Where people report accessibility barriers (required by Niedersachsen's NBGG)."""


class Snippet(BaseModel):
    """A reusable reply a counsellor can insert and adapt before sending."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=80)
    language: str = Field(min_length=2, max_length=8)
    text: str = Field(min_length=1, max_length=4000)


def _default_snippets() -> list[Snippet]:
    return [
        Snippet(
            title="Begrüßung",
            language="de",
            text="Guten Tag, ich bin Beraterin/Berater der Antidiskriminierungsstelle und habe "
            "Ihre Nachricht gelesen. Danke, dass Sie sich gemeldet haben. Ich bin jetzt für "
            "Sie da.",
        ),
        Snippet(
            title="Nachfrage",
            language="de",
            text="Damit ich Sie gut beraten kann: Können Sie mir noch etwas mehr darüber "
            "erzählen, was passiert ist? Sie entscheiden, was Sie erzählen möchten.",
        ),
        Snippet(
            title="Begrüßung",
            language="ls",
            text="Hallo. Ich arbeite bei der Antidiskriminierungs-Stelle. "
            "Ich habe Ihre Nachricht gelesen. Danke. Ich helfe Ihnen jetzt.",
        ),
        Snippet(
            title="Greeting",
            language="en",
            text="Hello, I am a counsellor at the anti-discrimination office and I have read "
            "your message. Thank you for getting in touch. I am here for you now.",
        ),
    ]


class ConsoleSettings(BaseModel):
    """The counsellors' console at /console."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    idle_minutes: float = Field(default=30, gt=0)
    """A console session unused this long is ended and its keys dropped from memory."""
    public_url: str | None = None
    """Where counsellors reach the console (e.g. https://beratung.example); used for the
    setup links the CLI prints. Default: http://HOST:PORT."""
    trust_forwarded_proto: bool = False
    """Behind a TLS-terminating reverse proxy: trust its X-Forwarded-Proto header."""
    live_poll_seconds: float = Field(default=3.0, ge=1, le=60)
    """How often an open queue or case page asks for news (new cases, messages, typing)."""
    snippets: list[Snippet] = Field(default_factory=_default_snippets)
    """Text snippets per language, offered in the reply box of a case in that language."""


class DeliverySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    poll_seconds: float = Field(default=1.0, gt=0)
    backoff_initial_seconds: float = Field(default=1.0, gt=0)
    backoff_max_seconds: float = Field(default=300.0, gt=0)
    lease_seconds: float = Field(default=60.0, gt=0)
    """How long a worker may hold a message before another worker may try it again."""


class RasaSettings(BaseModel):
    """The optional Rasa integration (Rasa always runs as its own service; see README)."""

    model_config = ConfigDict(extra="forbid")

    actions_enabled: bool = False
    """Mount our Rasa custom actions at /rasa/webhook in this service (needs a token)."""
    action_token: SecretStr | None = None
    action_token_file: Path | None = None
    """The token Rasa sends as ?token= (from its endpoints.yml); one of the two is required
    when actions are enabled, here or for `anlaufstelle rasa actions`."""
    actions_host: str = "127.0.0.1"
    """Where `anlaufstelle rasa actions` listens: loopback, not rasa-sdk's 0.0.0.0."""
    actions_port: int = Field(default=5055, ge=1, le=65535)
    nlu_url: str | None = None
    """Base URL of a Rasa server whose NLU (POST /model/parse) suggests answers to flow nodes
    marked `understand: true`; unset: no suggestions."""
    nlu_token: SecretStr | None = None
    nlu_token_file: Path | None = None
    nlu_timeout: float = Field(default=2.0, gt=0, le=30)
    """Seconds to wait for Rasa's NLU before going on without a suggestion."""
    nlu_min_confidence: float = Field(default=0.6, ge=0, le=1)
    drive_conversations: bool = False
    """Let Rasa run the bot phase on our channels (web chat, bridge, …): each message goes to
    Rasa's REST channel under the contact's pseudonym; after the handover, never again."""
    rest_url: str | None = None
    """Base URL of the Rasa server whose REST channel (POST /webhooks/rest/webhook) drives
    conversations; required when drive_conversations is set."""
    rest_timeout: float = Field(default=10.0, gt=0, le=60)
    """Seconds to wait for Rasa's answer before telling the person it is unavailable."""

    def resolved_rest_url(self) -> str:
        if not self.rest_url:
            raise SettingsError("rasa.drive_conversations is set, but rasa.rest_url is not")
        return self.rest_url

    def resolved_action_token(self) -> str:
        return _token(self.action_token, self.action_token_file, "rasa.action_token")

    def resolved_nlu_token(self) -> str | None:
        if self.nlu_token is None and self.nlu_token_file is None:
            return None
        return _token(self.nlu_token, self.nlu_token_file, "rasa.nlu_token")


def _token(value: SecretStr | None, path: Path | None, name: str) -> str:
    if path is not None:
        token = _read_secret_file(path, f"{name}_file")
    elif value is not None:
        token = value.get_secret_value()
    else:
        raise SettingsError(f"{name} or {name}_file is required for the Rasa integration")
    if len(token) < 16:
        raise SettingsError(f"{name} must have at least 16 characters")
    return token


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ANLAUFSTELLE_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    """SQLAlchemy URL; default: an SQLite file in data_dir."""
    database_password_file: Path | None = None
    server_key_file: Path | None = None
    """Default: data_dir/server.key, created by `anlaufstelle init` (kept outside the database)."""
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    flows: list[Path] = Field(default_factory=list)
    """Flow files published at start if their content changed; default: the shipped intake."""
    retention_days: int = Field(default=90, ge=0)
    """A closed case is crypto-shredded this many days after it was closed; only the anonymous
    statistics counters written at close remain. 0: at the next housekeeping sweep."""
    state_idle_hours: float = Field(default=72.0, gt=0)
    """Bot-phase answers of a conversation nobody continues are wiped after this idle time."""
    response_time: dict[str, str] = Field(
        default_factory=lambda: {
            "de": "in der Regel innerhalb von zwei Werktagen",
            "ls": "meistens in 2 Tagen. Nicht am Wochenende.",
            "en": "usually within two working days",
        }
    )
    """Expected response time per language, shown at handover (office hours come later)."""
    kdf_memory_kib: int = Field(default=65536, ge=8)
    kdf_time_cost: int = Field(default=3, ge=1)
    office_timezone: str = "Europe/Berlin"
    """The office's time zone: "today" and typed dates mean the person's local day."""
    log_level: str = "INFO"
    bridge: BridgeSettings = Field(default_factory=BridgeSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    webchat: WebChatSettings = Field(default_factory=WebChatSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    rasa: RasaSettings = Field(default_factory=RasaSettings)

    @field_validator("office_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Berlin)") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the file (init kwargs carry the TOML file's values).
        return (env_settings, init_settings)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if self.database_password_file is not None:
                url = _with_password(
                    url, _read_secret_file(self.database_password_file, "database_password_file")
                )
            return url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'anlaufstelle.sqlite3').resolve()}"

    @property
    def resolved_server_key_file(self) -> Path:
        return self.server_key_file or self.data_dir / "server.key"


def load_settings(config_file: Path | None = None) -> Settings:
    """Read settings; every problem becomes one SettingsError naming the file and the key."""
    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            values = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError(f"{config_file}: no such configuration file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(
                f"{config_file}: cannot be read ({exc.__class__.__name__})"
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{config_file}: not valid TOML: {exc}") from None
    try:
        return Settings(**values)
    except ValidationError as exc:
        where = str(config_file) if config_file else "environment"
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"{where}: invalid settings: {problems}") from None


def _read_secret_file(path: Path, name: str) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SettingsError(f"{name}: cannot read {path} ({exc.strerror})") from None


def _with_password(url: str, password: str) -> str:
    return url_with_password(url, password)
