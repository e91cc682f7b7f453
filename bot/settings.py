"""Typed settings: an optional TOML file, overridden by ANLAUFSTELLE_* environment variables.

Nested values use a double underscore in the environment, e.g.
ANLAUFSTELLE_BRIDGE__SECRET. Secrets can come from files (Docker secrets) through the
`*_file` settings so they never need to sit in the environment or the TOML file.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings import SettingsError as SourceParseError

from bot.evidence.limits import Limits as EvidenceLimits
from bot.office.holidays import Region
from bot.office.hours import OfficeHours, Span, parse_closed, parse_day
from storage.db import hide_password, url_with_password

DEFAULT_DATA_DIR = Path("var")
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
"""What an entry of `webchat.allowed_origins` must look like: scheme://host[:port], no path."""

RetentionDays = Annotated[int, Field(ge=0)]
"""Days a closed case is kept; shared by the settings file and the console's settings page."""


def check_origin(value: str) -> str:
    """One allowed embedding origin, without a trailing slash; ValueError when malformed.

    The settings file only warns about a malformed entry (an older file must not stop the
    service); values typed into the console are held to this check."""
    origin = value.strip().rstrip("/")
    if not ORIGIN.match(origin):
        raise ValueError(f"{value!r} is not an origin like 'https://www.example.org[:port]'")
    return origin


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
            return read_secret_file(self.secret_file, "bridge.secret_file")
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
    X-Forwarded-For header names the real client for rate limits, and whose
    X-Forwarded-Proto is believed (with `console.trust_forwarded_proto`); from any other
    address both headers are ignored."""
    max_sockets: int = Field(default=2000, ge=1)
    """Open chat WebSockets in total; more are closed at once with code 1013. Lowered at
    start to three quarters of the open-files limit, so a flood of sockets cannot starve the
    database and the console of file descriptors."""
    max_sockets_per_client: int = Field(default=20, ge=1)
    """Open chat WebSockets per client network (behind `trusted_proxies`: per forwarded
    address); more are closed at once with code 4029. A person needs one per open tab."""
    hello_timeout_seconds: float = Field(default=30.0, gt=0)
    """A chat WebSocket that has not said `hello` by then is closed with code 4008."""
    accessibility_contact: str = ""
    """Where people report accessibility barriers: the office's e-mail address or a web
    address (required by Niedersachsen's NBGG for the chat's and the console's accessibility
    statements). Empty: the statements say it is not configured and `doctor` warns."""


class LegalSettings(BaseModel):
    """The office's privacy notice and imprint, linked from the footer of every page (chat,
    embed, no-JavaScript path, console) and sent by the Telegram bot with its first-contact
    notice (docs/dsgvo/README.md). Each is either a URL of the office's own page or a text
    per language shown on this service's page (/chat/privacy, /chat/imprint); the URL wins
    when both are set. Unset: the page says so and `doctor` warns."""

    model_config = ConfigDict(extra="forbid")

    privacy_url: str | None = None
    """The office's privacy notice (Datenschutzerklärung, DSGVO Art. 13), e.g.
    https://www.example.org/datenschutz."""
    privacy_text: dict[str, str] = Field(default_factory=dict)
    """The privacy notice per language code (de, ls, en, …) shown at /chat/privacy when no
    URL is set; a language without a text shows the German one, or the first given."""
    imprint_url: str | None = None
    """The office's imprint (Impressum, § 5 DDG)."""
    imprint_text: dict[str, str] = Field(default_factory=dict)
    """The imprint per language code, shown at /chat/imprint when no URL is set."""
    public_url: str | None = None
    """This service's public address (https://host[:port]), for links to its own /chat/privacy
    and /chat/imprint pages in messages that leave the browser (the Telegram notice). Needed
    only when a notice is given as text and Telegram is on."""

    @field_validator("privacy_url", "imprint_url", "public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not re.match(r"^https?://[^\s\"'<>]+$", value):
            raise ValueError(f"{value!r} is not a web address like https://www.example.org/...")
        return value


class OfficeContactSettings(BaseModel):
    """The office's other ways of contact: told to a person who does not consent to the chat
    (the flow's `{office_contact}`, on every channel), so declining never leaves them without
    a way to reach the office. Unset: the text says to look on the office's website, and
    `doctor` warns."""

    model_config = ConfigDict(extra="forbid")

    phone: str = ""
    """The office's phone number as people dial it, e.g. "0511 616-12345" (a tap-to-call link
    in the web chat)."""
    email: str = ""
    """The office's e-mail address for people (a mailto: link in the web chat)."""
    web_url: str | None = None
    """The office's web page with its contact details, e.g. https://www.example.org/kontakt."""
    address: str = ""
    """Where people can come, e.g. "Hildesheimer Straße 20, 30169 Hannover"."""
    hours: dict[str, str] = Field(default_factory=dict)
    """Consultation hours per language code (de, ls, en, …), e.g. {de = "Di und Do 10 bis 13
    Uhr"}; a language without a text shows the German one."""

    @field_validator("phone")
    @classmethod
    def _dialable(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(r"\+?[0-9][0-9 ()/\-]{2,30}", value):
            raise ValueError(f"{value!r} is not a phone number like 0511 616-12345")
        return value

    @field_validator("email")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(r"[^\s@<>\"',;]+@[^\s@<>\"',;]+\.[A-Za-z]{2,}", value):
            raise ValueError(f"{value!r} is not an e-mail address like beratung@example.org")
        return value

    @field_validator("web_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not re.match(r"^https?://[^\s\"'<>]+$", value):
            raise ValueError(f"{value!r} is not a web address like https://www.example.org/...")
        return value

    def is_configured(self) -> bool:
        return bool(self.phone or self.email or self.web_url or self.address.strip())


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
        Snippet(
            title="Nachfrage",
            language="ls",
            text="Können Sie mir mehr erzählen? Was ist passiert? Sie entscheiden, was Sie "
            "erzählen.",
        ),
        Snippet(
            title="Follow-up",
            language="en",
            text="So that I can advise you well: could you tell me a little more about what "
            "happened? You decide what you want to share.",
        ),
        # A greeting in each further intake language (not yet reviewed by a speaker).
        *(
            Snippet(title=title, language=language, text=text)
            for language, title, text in (
                (
                    "tr",
                    "Selamlama",
                    "Merhaba, ben Ayrımcılıkla Mücadele Danışma Merkezi'nde "  # noqa: RUF001
                    "danışmanım ve mesajınızı okudum. Bize yazdığınız için teşekkürler. Şimdi "  # noqa: RUF001
                    "sizin için buradayım.",  # noqa: RUF001
                ),
                (
                    "ru",
                    "Приветствие",
                    "Здравствуйте, я консультант антидискриминационной "
                    "службы и прочитал(а) Ваше сообщение. Спасибо, что обратились к нам. Сейчас я "  # noqa: RUF001
                    "на связи с Вами.",  # noqa: RUF001
                ),
                (
                    "uk",
                    "Привітання",
                    "Добрий день, я консультант антидискримінаційної служби "
                    "і прочитав(-ла) Ваше повідомлення. Дякую, що звернулися до нас. Зараз я на "  # noqa: RUF001
                    "зв'язку з Вами.",
                ),
                (
                    "pl",
                    "Powitanie",
                    "Dzień dobry, jestem osobą doradzającą w biurze "
                    "antydyskryminacyjnym i przeczytałam/przeczytałem wiadomość. Dziękuję za "
                    "kontakt. Jestem teraz do dyspozycji.",
                ),
                (
                    "ar",
                    "تحية",
                    "مرحبًا، أنا مستشار/ة في مكتب مكافحة التمييز وقد قرأت رسالتك. "
                    "شكرًا لتواصلك معنا. أنا هنا من أجلك الآن.",
                ),
                (
                    "fa",
                    "خوشامد",
                    "سلام، من مشاور دفتر مبارزه با تبعیض هستم و پیام شما را "
                    "خواندم. از اینکه با ما تماس گرفتید سپاسگزارم. اکنون در خدمت شما هستم.",
                ),
            )
        ),
    ]


class ConsoleSettings(BaseModel):
    """The counsellors' console at /console."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    idle_minutes: float = Field(default=30, gt=0)
    """A console session unused this long is ended and its keys dropped from memory
    (checked every minute, not only at the next request)."""
    session_max_hours: float = Field(default=12, gt=0)
    """A console session ends this long after its login however busy it is: the team keys
    it holds in memory do not stay there for days."""
    public_url: str | None = None
    """Where counsellors reach the console (e.g. https://beratung.example); used for the
    setup links the CLI prints. Default: http://HOST:PORT."""
    trust_forwarded_proto: bool = False
    """Behind a TLS-terminating reverse proxy: trust its X-Forwarded-Proto header (secure
    console cookies, HSTS on every page). Only from the addresses in
    `webchat.trusted_proxies`; a client's own header is ignored."""
    live_poll_seconds: float = Field(default=3.0, ge=1, le=60)
    """How often an open queue or case page asks for news while its event stream is down;
    with the stream up, news is pushed and the page asks only every 30 s as a safety net."""
    snippets: list[Snippet] = Field(default_factory=_default_snippets)
    """Text snippets per language, offered in the reply box of a case in that language."""


class OfficeHoursSettings(BaseModel):
    """When the office is open. Outside these hours the bot tells people when it opens again;
    their messages wait in the queue as always. Times are in `office_timezone`."""

    model_config = ConfigDict(extra="forbid")

    monday: list[str] = Field(default_factory=lambda: ["09:00-16:00"])
    """Opening periods ("09:00-13:00"), several for a lunch break; empty: closed all day."""
    tuesday: list[str] = Field(default_factory=lambda: ["09:00-16:00"])
    wednesday: list[str] = Field(default_factory=lambda: ["09:00-16:00"])
    thursday: list[str] = Field(default_factory=lambda: ["09:00-16:00"])
    friday: list[str] = Field(default_factory=lambda: ["09:00-13:00"])
    saturday: list[str] = Field(default_factory=list)
    sunday: list[str] = Field(default_factory=list)
    public_holidays: Region = "niedersachsen"
    """Statutory holidays, computed for every year: "niedersachsen" or "none"."""
    extra_holidays: list[str] = Field(default_factory=list)
    """The office's own closing days: dates ("2026-12-24") or ranges ("2026-12-24..2027-01-01",
    both days closed)."""

    @field_validator("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    @classmethod
    def _valid_day(cls, value: list[str]) -> list[str]:
        parse_day(value)
        return value

    @field_validator("extra_holidays")
    @classmethod
    def _valid_dates(cls, value: list[str]) -> list[str]:
        for entry in value:
            parse_closed(entry)
        return value

    @model_validator(mode="after")
    def _open_sometimes(self) -> OfficeHoursSettings:
        if not any(self.week().values()):
            raise ValueError("the office needs opening hours on at least one weekday")
        return self

    def week(self) -> dict[int, tuple[Span, ...]]:
        days = (
            self.monday,
            self.tuesday,
            self.wednesday,
            self.thursday,
            self.friday,
            self.saturday,
            self.sunday,
        )
        return {number: parse_day(spans) for number, spans in enumerate(days)}

    def schedule(self, zone: str) -> OfficeHours:
        return OfficeHours(
            self.week(),
            ZoneInfo(zone),
            public=self.public_holidays,
            closed=[parse_closed(entry) for entry in self.extra_holidays],
        )


class TelegramSettings(BaseModel):
    """The Telegram channel (docs/telegram.md); it runs when a bot token is configured."""

    model_config = ConfigDict(extra="forbid")

    token: SecretStr | None = None
    """The bot token from @BotFather; prefer token_file."""
    token_file: Path | None = None
    mode: Literal["webhook", "polling"] = "polling"
    """polling: we ask Telegram for updates (no public URL needed); webhook: Telegram posts
    them to webhook_url, which must reach this service's /telegram/webhook over https."""
    webhook_url: str | None = None
    """The public https URL of /telegram/webhook, registered by `anlaufstelle telegram
    set-webhook`."""
    secret_token: SecretStr | None = None
    """Telegram sends it in every webhook request (X-Telegram-Bot-Api-Secret-Token); required
    in webhook mode; 1-256 characters A-Z, a-z, 0-9, _ and -. Prefer secret_token_file."""
    secret_token_file: Path | None = None
    base_url: str = "https://api.telegram.org/bot"
    """The Bot API address (a local Bot API server, or an emulator in tests)."""
    poll_timeout_seconds: int = Field(default=30, ge=0, le=50)
    """Long-polling: how long one getUpdates call waits for news."""
    poll_pause_seconds: float = Field(default=0.5, ge=0)
    """Pause after a getUpdates call that brought nothing (a server without long polling)."""
    webchat_url: str | None = None
    """The web chat's public address, named in the privacy notice as the more private way."""

    @property
    def enabled(self) -> bool:
        return self.token is not None or self.token_file is not None

    def resolved_token(self) -> str:
        if self.token_file is not None:
            return read_secret_file(self.token_file, "telegram.token_file")
        if self.token is None or not self.token.get_secret_value():
            raise SettingsError("telegram: neither telegram.token nor telegram.token_file is set")
        return self.token.get_secret_value()

    def resolved_secret_token(self) -> str:
        """The webhook secret; SettingsError when it is missing or not what Telegram allows."""
        if self.secret_token_file is not None:
            value = read_secret_file(self.secret_token_file, "telegram.secret_token_file")
        elif self.secret_token is not None:
            value = self.secret_token.get_secret_value()
        else:
            raise SettingsError(
                "telegram.mode is webhook, but neither telegram.secret_token nor "
                "telegram.secret_token_file is set"
            )
        if not _TELEGRAM_SECRET.fullmatch(value):
            raise SettingsError(
                "telegram secret token: 1 to 256 characters of A-Z, a-z, 0-9, _ and - only"
            )
        return value


class SignalSettings(BaseModel):
    """The Signal channel (docs/signal.md): a signal-cli daemon in HTTP mode beside the service
    (`signal-cli -a ACCOUNT daemon --http 127.0.0.1:8080`); it runs when `url` is set."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    """The signal-cli daemon's HTTP address, e.g. http://signal-cli:8080 (never published)."""
    account: str | None = None
    """Only for a daemon in multi-account mode (started without -a): the office's account (its
    number or ACI), sent with every request."""
    webchat_url: str | None = None
    """The web chat's public address, named in the privacy notice as the more private way."""
    reconnect_seconds: float = Field(default=2.0, gt=0, le=300)
    """First pause before the event stream is opened again after it broke (doubling, at most
    a minute)."""
    request_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    """How long one request to signal-cli may take before it counts as failed (and is
    retried: a reply stays in the outbox)."""

    @field_validator("url", "webchat_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not re.match(r"^https?://[^\s\"'<>]+$", value):
            raise ValueError("must be an http:// or https:// address")
        return value.rstrip("/")

    @property
    def enabled(self) -> bool:
        return self.url is not None


class NotificationSettings(BaseModel):
    """Content-free alerts about new cases: an e-mail and/or a Telegram group message per team.

    One block on purpose: both channels share the batching and say the same thing. Each is
    on once it is configured (`smtp_host` plus recipients, a token plus chat ids).
    """

    model_config = ConfigDict(extra="forbid")

    poll_seconds: float = Field(default=15.0, gt=0)
    """How often the worker looks for newly handed-over cases."""
    min_interval_seconds: float = Field(default=300.0, ge=0)
    """At most one alert per team and channel this often; cases in between are counted
    into the next one, so a burst becomes one message."""
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    """starttls (port 587), tls (implicit TLS, port 465) or none (only a relay on the same
    host or network)."""
    smtp_username: str | None = None
    smtp_password_file: Path | None = None
    email_from: str = "beratungskonsole@example.org"
    email_recipients: dict[str, list[str]] = Field(default_factory=dict)
    """Addresses per team id, e.g. {region = ["team-region@example.org"]}."""
    telegram_token: SecretStr | None = None
    telegram_token_file: Path | None = None
    """The bot token, better from a file (a bot of its own, not the intake bot's)."""
    telegram_chat_ids: dict[str, str] = Field(default_factory=dict)
    """The group chat per team id, e.g. {region = "-1001234567890"}."""
    telegram_base_url: str = "https://api.telegram.org/bot"

    def smtp_password(self) -> str | None:
        if self.smtp_password_file is None:
            return None
        return read_secret_file(self.smtp_password_file, "notifications.smtp_password_file")

    def resolved_telegram_token(self) -> str | None:
        if self.telegram_token_file is not None:
            return read_secret_file(self.telegram_token_file, "notifications.telegram_token_file")
        return self.telegram_token.get_secret_value() if self.telegram_token else None

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host and self.email_recipients)

    @property
    def telegram_enabled(self) -> bool:
        has_token = self.telegram_token is not None or self.telegram_token_file is not None
        return has_token and bool(self.telegram_chat_ids)


class DeliverySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    poll_seconds: float = Field(default=1.0, gt=0)
    backoff_initial_seconds: float = Field(default=1.0, gt=0)
    backoff_max_seconds: float = Field(default=300.0, gt=0)
    lease_seconds: float = Field(default=60.0, gt=0)
    """How long a worker may hold a message before another worker may try it again."""


class AttachmentSettings(BaseModel):
    """Files people send in the web chat (screenshots, photos, PDF documents): checked by
    their content, stripped of metadata (location, camera, author) and stored encrypted like
    every message (bot/evidence, storage/attachments.py)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    """Off: the chat offers no file field and refuses uploads."""
    max_file_mb: float = Field(default=10.0, gt=0, le=100)
    """Largest file, in MB (MiB), as sent and after cleaning."""
    max_case_mb: float = Field(default=30.0, gt=0, le=1000)
    """All files of one conversation together, in MB (MiB)."""
    max_files_per_case: int = Field(default=20, ge=1, le=500)
    """Files one conversation may hold."""
    max_megapixels: float = Field(default=50.0, gt=0, le=89)
    """Largest image (width times height, in millions of pixels), read from the file's header
    before anything is decoded: a small file that unpacks into a huge image is refused. At
    most 89, where Pillow's own guard against decompression bombs starts."""

    uploads_at_once: int = Field(default=8, ge=1, le=100)
    """Uploads (posts of the chat's file form, up to 10 files each) that may be arriving at
    the same time (per process). The next one is turned away with "please try again in a
    minute": a flood of uploads costs a bounded amount of memory and disk and leaves the chat
    answering everyone else."""
    spool_dir: Path | None = None
    """Where a file waits while it arrives: on disk, encrypted with a key that lives only in
    memory, in a file without a name (nothing is left after a crash). Default: `uploads` in
    `data_dir` (not /tmp, which may be memory)."""

    def limits(self) -> EvidenceLimits:
        mib = 1024 * 1024
        return EvidenceLimits(
            max_bytes=int(self.max_file_mb * mib),
            max_pixels=int(self.max_megapixels * 1_000_000),
            max_case_bytes=int(self.max_case_mb * mib),
            max_files=self.max_files_per_case,
        )


class MetricsSettings(BaseModel):
    """Prometheus metrics on a listen address of their own (bot/metrics.py): counts and
    gauges only, nothing about a person or a case's content; off unless enabled."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    host: str = "127.0.0.1"
    """Keep it on a private address: the numbers say how busy the office is."""
    port: int = Field(default=9464, ge=1, le=65535)


class RasaSettings(BaseModel):
    """The optional Rasa integration (Rasa always runs as its own service; see docs/rasa.md)."""

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

    api_token: SecretStr | None = None
    """The Rasa server's HTTP API token (its --auth-token); prefer api_token_file."""
    api_token_file: Path | None = None
    """The Rasa server's HTTP API token (its --auth-token), sent as ?token= when a deleted
    case's Rasa tracker is deleted too; prefer api_token_file. Unset: no token is sent."""

    def resolved_api_token(self) -> str | None:
        if self.api_token is None and self.api_token_file is None:
            return None
        return _token(self.api_token, self.api_token_file, "rasa.api_token")

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
        token = read_secret_file(path, f"{name}_file")
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
    workers: int = Field(default=1, ge=1, le=64)
    """Processes serving the port together, one core each (PostgreSQL only, Telegram in
    webhook mode, the console off); with metrics on, worker i serves them on metrics.port + i."""
    flows: list[Path] = Field(default_factory=list)
    """Flow files published at start if their content changed; default: the shipped intake."""
    retention_days: RetentionDays = 90
    """A closed case is crypto-shredded this many days after it was closed; only the anonymous
    statistics counters written at close remain. 0: at the next housekeeping sweep."""
    state_idle_hours: float = Field(default=72.0, gt=0)
    """Bot-phase answers of a conversation nobody continues are wiped after this idle time."""
    response_time: dict[str, str] = Field(
        default_factory=lambda: {
            "de": "in der Regel innerhalb von zwei Werktagen",
            "ls": "meistens in 2 Tagen. Nicht am Wochenende.",
            "en": "usually within two working days",
            "ar": "عادةً خلال يومي عمل",
            "tr": "genellikle iki iş günü içinde",
            "uk": "зазвичай протягом двох робочих днів",
            "ru": "обычно в течение двух рабочих дней",
            "pl": "zwykle w ciągu dwóch dni roboczych",
            "fa": "معمولاً ظرف دو روز کاری",
        }
    )
    """Expected response time per language, shown at handover; outside `office_hours` the
    bot adds when the office opens again (bot/office/texts.py)."""
    kdf_memory_kib: int = Field(default=65536, ge=8)
    kdf_time_cost: int = Field(default=3, ge=1)
    office_timezone: str = "Europe/Berlin"
    """The office's time zone: "today" and typed dates mean the person's local day."""
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    """`json`: one JSON object per line with the request id, for a log pipeline."""
    bridge: BridgeSettings = Field(default_factory=BridgeSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    webchat: WebChatSettings = Field(default_factory=WebChatSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    rasa: RasaSettings = Field(default_factory=RasaSettings)
    office_hours: OfficeHoursSettings = Field(default_factory=OfficeHoursSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    signal: SignalSettings = Field(default_factory=SignalSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    legal: LegalSettings = Field(default_factory=LegalSettings)
    office_contact: OfficeContactSettings = Field(default_factory=OfficeContactSettings)
    attachments: AttachmentSettings = Field(default_factory=AttachmentSettings)

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
    def resolved_spool_dir(self) -> Path:
        return self.attachments.spool_dir or self.data_dir / "uploads"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if self.database_password_file is not None:
                url = _with_password(
                    url, read_secret_file(self.database_password_file, "database_password_file")
                )
            return url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'anlaufstelle.sqlite3').resolve()}"

    @property
    def resolved_server_key_file(self) -> Path:
        return self.server_key_file or self.data_dir / "server.key"

    def office_schedule(self) -> OfficeHours:
        return self.office_hours.schedule(self.office_timezone)

    def secret_files(self) -> list[tuple[str, Path]]:
        """Every secret file these settings name, by setting (the server key aside: it has
        its own loader and checks)."""
        named = {
            "database_password_file": self.database_password_file,
            "telegram.token_file": self.telegram.token_file,
            "telegram.secret_token_file": self.telegram.secret_token_file,
            "bridge.secret_file": self.bridge.secret_file,
            "rasa.action_token_file": self.rasa.action_token_file,
            "rasa.nlu_token_file": self.rasa.nlu_token_file,
            "rasa.api_token_file": self.rasa.api_token_file,
            "notifications.smtp_password_file": self.notifications.smtp_password_file,
            "notifications.telegram_token_file": self.notifications.telegram_token_file,
        }
        return [(name, path) for name, path in named.items() if path is not None]

    def required_secrets(self) -> list[tuple[str, Callable[[], object]]]:
        """The secrets the enabled features need, each with the call that reads it (and
        raises SettingsError when it is missing or malformed)."""
        needed: list[tuple[str, Callable[[], object]]] = []
        if self.telegram.enabled:
            needed.append(("telegram token", self.telegram.resolved_token))
            if self.telegram.mode == "webhook":
                needed.append(("telegram secret token", self.telegram.resolved_secret_token))
        if self.bridge.enabled:
            needed.append(("bridge secret", self.bridge.resolved_secret))
        if self.rasa.actions_enabled:
            needed.append(("rasa action token", self.rasa.resolved_action_token))
        needed.append(("rasa NLU token", self.rasa.resolved_nlu_token))
        if self.rasa.drive_conversations:
            needed.append(("rasa REST URL", self.rasa.resolved_rest_url))
            needed.append(("rasa API token", self.rasa.resolved_api_token))
        needed.append(("notifications SMTP password", self.notifications.smtp_password))
        needed.append(("notifications telegram token", self.notifications.resolved_telegram_token))
        return needed

    def summary(self, config_file: Path | None) -> list[tuple[str, str]]:
        """The settings in effect, for `anlaufstelle doctor`: no secret, no password."""
        origin = str(config_file) if config_file else "none (built-in defaults)"
        database = self.database_url or self.resolved_database_url
        office = self.office_hours
        days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        hours = ", ".join(
            f"{day[:3].capitalize()} {' '.join(getattr(office, day)) or 'closed'}" for day in days
        )
        on = {True: "on", False: "off"}
        channels = (
            f"web chat {on[self.webchat.enabled]}, "
            f"telegram {self.telegram.mode if self.telegram.enabled else 'off'}, "
            f"bridge {on[self.bridge.enabled]}, "
            f"rasa actions {on[self.rasa.actions_enabled]}, "
            f"console {on[self.console.enabled]}"
        )
        alerts = (
            f"e-mail {on[self.notifications.email_enabled]}, "
            f"telegram {on[self.notifications.telegram_enabled]}"
        )
        return [
            ("config file", origin),
            ("data dir", str(self.data_dir.resolve())),
            ("database", hide_password(database)),
            ("server key file", str(self.resolved_server_key_file)),
            ("listen address", f"{self.host}:{self.port}"),
            ("public URL", self.console.public_url or "not set (links use the listen address)"),
            ("channels", channels),
            ("new-case alerts", alerts),
            ("office hours", f"{hours} ({self.office_timezone})"),
            (
                "holidays",
                f"{office.public_holidays}, {len(office.extra_holidays)} office closing days",
            ),
            ("retention", f"closed cases {self.retention_days} days"),
            ("idle bot answers", f"wiped after {self.state_idle_hours:g} hours"),
        ]


def load_settings(config_file: Path | None = None) -> Settings:
    """Read settings; every problem becomes one SettingsError of one line, naming the
    environment variable or the file, line and key, and what would be accepted."""
    environ = os.environ
    check_environment(environ)
    values: dict[str, Any] = {}
    text = ""
    if config_file is not None:
        try:
            text = config_file.read_text(encoding="utf-8")
            values = tomllib.loads(text)
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
        problems = "; ".join(
            _problem(err["loc"], err["msg"], err["type"], environ, config_file, text)
            for err in exc.errors()
        )
        raise SettingsError(problems) from None
    except SourceParseError as exc:
        # check_environment catches the forms this would complain about; kept as a backstop.
        raise SettingsError(f"environment: {exc}") from None


ENV_PREFIX = "ANLAUFSTELLE_"
NOT_SETTINGS = frozenset(
    {
        "ANLAUFSTELLE_CONFIG",  # the settings file itself (--config)
        "ANLAUFSTELLE_REQUIRE_POSTGRES",  # the test suite (.ci/run)
        "ANLAUFSTELLE_RASA_ACTION_TOKEN",  # read by Rasa's endpoints.yml, not by us
    }
)
NOT_SETTINGS_PREFIXES = ("ANLAUFSTELLE_TEST_", "ANLAUFSTELLE_E2E_")
"""ANLAUFSTELLE_* variables that are not settings; every other one must name a setting."""


def check_environment(environ: Mapping[str, str]) -> None:
    """Refuse an ANLAUFSTELLE_* variable that names no setting (a typo would otherwise pass
    silently) and a list or table setting not written as JSON, with the accepted form."""
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in NOT_SETTINGS:
            continue
        if upper.startswith(NOT_SETTINGS_PREFIXES):
            continue
        target = _env_target(upper.removeprefix(ENV_PREFIX).split("__"))
        if target is None:
            hint = difflib.get_close_matches(upper, _env_names(), n=1, cutoff=0.75)
            guess = f"; did you mean {hint[0]}?" if hint else ""
            raise SettingsError(f"environment variable {name} is not a setting{guess}")
        form = _json_form(target, environ[name])
        if form is not None:
            try:
                json.loads(environ[name])
            except ValueError:
                raise SettingsError(
                    f"environment variable {name} is {form[0]} and must be written as JSON, "
                    f"e.g. {name}='{form[1]}'"
                ) from None


def _bare(annotation: Any) -> Any:
    """`X | None` -> X; anything else unchanged."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (Union, UnionType) and len(args) == 1:
        return args[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _env_target(parts: list[str]) -> Any | None:
    """The type an environment variable's value must have (its name split at "__")."""
    model: type[BaseModel] = Settings
    for index, part in enumerate(parts):
        field = model.model_fields.get(part.lower())
        if field is None:
            return None
        annotation = _bare(field.annotation)
        rest = parts[index + 1 :]
        if not rest:
            return annotation
        if _is_model(annotation):
            model = annotation
            continue
        if get_origin(annotation) is dict and len(rest) == 1 and rest[0]:
            return get_args(annotation)[1]  # one entry of a table, e.g. ..._RESPONSE_TIME__DE
        return None
    return None


def _env_names() -> list[str]:
    """Every setting's environment variable, for "did you mean"."""
    names: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for key, field in model.model_fields.items():
            name = f"{prefix}{key.upper()}"
            names.append(name)
            annotation = _bare(field.annotation)
            if _is_model(annotation):
                walk(annotation, f"{name}__")

    walk(Settings, ENV_PREFIX)
    return names


def _json_form(annotation: Any, value: str) -> tuple[str, str] | None:
    """For a list or table setting: its kind and the given value in the accepted form."""
    origin = get_origin(annotation)
    if origin is list:
        (item,) = get_args(annotation)
        if _is_model(item):
            return "a list of tables", '[{"key": "value"}]'
        return "a list", json.dumps([v.strip() for v in value.split(",") if v.strip()])
    if origin is dict:
        inner = get_args(annotation)[1]
        example = json.dumps([value]) if get_origin(inner) is list else json.dumps(value)
        return "a table", f'{{"key": {example}}}'
    if _is_model(annotation):
        first = next(iter(annotation.model_fields))
        return "a section", f'{{"{first}": ...}}'
    return None


def _problem(
    loc: tuple[int | str, ...],
    msg: str,
    kind: str,
    environ: Mapping[str, str],
    config_file: Path | None,
    text: str,
) -> str:
    """One validation error, located in the environment variable or file line it came from."""
    keys = [str(part) for part in loc]
    dotted = ".".join(keys) or "(top)"
    upper = {name.upper(): name for name in environ}
    for end in range(len(keys), 0, -1):
        candidate = ENV_PREFIX + "__".join(keys[:end]).upper()
        if candidate in upper:
            return f"environment variable {upper[candidate]}: {msg}"
    hint = ""
    if kind == "extra_forbidden" and loc:
        fields = _fields_at(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), fields, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
    if config_file is None:
        return f"invalid setting {dotted}: {msg}{hint}"
    line = _toml_line(text, [k for k in loc if isinstance(k, str)])
    where = f"{config_file}:{line}" if line else str(config_file)
    return f"{where}: {dotted}: {msg}{hint}"


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    model: Any = Settings
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if _is_model(model) else None
        if field is None:
            return []
        model = _bare(field.annotation)
        if get_origin(model) is list:
            model = get_args(model)[0]
    return list(model.model_fields) if _is_model(model) else []


_TABLE = re.compile(r"^\[\[?\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r"^[\"']?([A-Za-z0-9_-]+)[\"']?\s*=")


def _toml_line(text: str, keys: list[str]) -> int | None:
    """The line that sets `keys` (or their nearest table) in a TOML text; a cheap scan
    that knows [tables] and `key = ` lines, which is how settings files are written."""
    table: list[str] = []
    best: tuple[int, int] | None = None  # (how many keys matched, line)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if match := _TABLE.match(line):
            table = [p.strip().strip("\"'") for p in match.group(1).split(".")]
            path = table
        elif match := _KEY.match(line):
            path = [*table, match.group(1)]
        else:
            continue
        if path == keys[: len(path)] and (best is None or len(path) > best[0]):
            best = (len(path), number)
    return best[1] if best else None


def read_secret_file(path: Path, name: str) -> str:
    """A secret file's content without surrounding whitespace; SettingsError naming the
    setting when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SettingsError(f"{name}: cannot read {path} ({exc.strerror})") from None


def _with_password(url: str, password: str) -> str:
    return url_with_password(url, password)
