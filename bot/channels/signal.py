"""The Signal channel, through a signal-cli daemon in HTTP mode beside the service.

signal-cli (`signal-cli -a ACCOUNT daemon --http 127.0.0.1:8080`, see docs/signal.md) holds
the office's Signal account and speaks Signal's protocol; we speak to it with aiohttp only:

    POST /api/v1/rpc      JSON-RPC 2.0: `send`, `sendTyping`, `sendReceipt`
    GET  /api/v1/events   Server-Sent Events, one incoming envelope each, with an `id`
                          (reconnecting with `Last-Event-ID` replays what came after it)
    GET  /api/v1/check    200 while the daemon runs

A person is their account id (ACI, `sourceUuid`), never their phone number: an envelope
that carries a number (`source`, `sourceNumber`) has it dropped here, before anything is
stored or logged. The client message id is the envelope's timestamp, so an event replayed
after a reconnect is processed once (the service keeps receipts per contact).

Signal has no buttons: questions go out as numbered text (`text_render`), and the answer
("2", "2, 5" or the label) goes to the service as typed text, which the dialog engine maps
back. Commands come as words (`/hilfe`, `/sprache en`, `/neu`, `/zurück`, `/löschen ja` and
their English forms), because Signal has no command menu.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import unicodedata
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

import aiohttp
from babel import Locale, UnknownLocaleError

from bot.channels import signal_texts as texts
from bot.channels.base import (
    MAX_TEXT_LENGTH,
    DeliveryFailed,
    InboundMessage,
    InvalidMessage,
    OutboundMessage,
    RecipientUnreachable,
    SlowDown,
)
from bot.channels.received import ReceivedNotices
from bot.channels.text_render import pieces, plain_text
from bot.clock import Clock, SystemClock
from bot.office import legal
from bot.settings import LegalSettings, SignalSettings

log = logging.getLogger(__name__)

NAME: Final = "signal"
MAX_TEXT: Final = 2000
"""Signal shows longer texts as an attachment; we send pieces of this size instead."""
MAX_EVENT_BYTES: Final = 256 * 1024
"""A line of the event stream longer than this is not an envelope we can use."""
RETRY_AFTER_DEFAULT: Final = 60.0
STANDBY_SECONDS: Final = 5.0
"""How often a replica that does not read the event stream asks whether it should."""
_ACI: Final = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

State = Literal["starting", "connected", "standby", "unreachable", "unregistered"]
"""standby: another replica reads the event stream (this one still sends)."""


class SignalUnavailable(Exception):
    """signal-cli did not answer (not running, not reachable, or an HTTP error)."""


class SignalError(Exception):
    """signal-cli answered with a JSON-RPC error."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data


class Backend(Protocol):
    """The conversation service as the Signal adapter uses it."""

    async def handle(self, msg: InboundMessage) -> Any: ...

    async def history(self, channel: str, address: str, token: bytes | None) -> Any: ...

    async def forget(self, channel: str, address: str) -> int: ...

    async def person_typing(self, channel: str, address: str) -> None: ...


Languages = Callable[[], Awaitable[Sequence[str]]]


class Cursor(Protocol):
    """Where the id of the last event processed is kept across restarts (the service's
    store), so that signal-cli replays what came in while we were away, and nothing twice."""

    async def load(self) -> str | None: ...

    async def save(self, event_id: str) -> None: ...


class Lease(Protocol):
    """The right to read the event stream: one replica at a time (storage.leader)."""

    async def acquire(self) -> bool: ...

    async def still_held(self) -> bool: ...

    async def release(self) -> None: ...


# ---------------------------------------------------------------- the wire


class SignalClient:
    """JSON-RPC requests and the event stream of one signal-cli daemon."""

    def __init__(self, settings: SignalSettings, session: aiohttp.ClientSession) -> None:
        assert settings.url is not None
        self.base = settings.url
        self.account = settings.account
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=settings.request_timeout_seconds)

    async def rpc(self, method: str, params: dict[str, Any]) -> Any:
        if self.account:
            params = {**params, "account": self.account}
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": secrets.token_hex(8)}
        try:
            async with self.session.post(
                f"{self.base}/api/v1/rpc", json=body, timeout=self.timeout
            ) as resp:
                if resp.status != 200:
                    raise SignalUnavailable(f"signal-cli answered HTTP {resp.status}")
                answer = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise SignalUnavailable(type(exc).__name__) from exc
        if not isinstance(answer, dict):
            raise SignalUnavailable("signal-cli answered something that is not JSON-RPC")
        error = answer.get("error")
        if isinstance(error, dict):
            raise SignalError(
                int(error.get("code") or 0), str(error.get("message") or ""), error.get("data")
            )
        return answer.get("result")

    async def check(self) -> bool:
        try:
            async with self.session.get(f"{self.base}/api/v1/check", timeout=self.timeout) as r:
                return r.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def events(
        self, last_id: str | None, on_open: Callable[[], None] | None = None
    ) -> AsyncIterator[tuple[str | None, Any]]:
        """(event id, decoded data) of each event, until the stream ends or breaks; `on_open`
        is called once the daemon accepted the stream."""
        headers = {"Accept": "text/event-stream"}
        if last_id is not None:
            headers["Last-Event-ID"] = last_id
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
        async with self.session.get(
            f"{self.base}/api/v1/events", headers=headers, timeout=timeout
        ) as resp:
            if resp.status != 200:
                raise SignalUnavailable(f"signal-cli event stream answered HTTP {resp.status}")
            if on_open is not None:
                on_open()
            event_id: str | None = None
            data: list[str] = []
            while True:
                raw = await resp.content.readline()
                if not raw:
                    return  # the daemon closed the stream
                if len(raw) > MAX_EVENT_BYTES:
                    raise SignalUnavailable("an event line too long to be an envelope")
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if line == "":
                    if data:
                        try:
                            decoded = json.loads("\n".join(data))
                        except ValueError:
                            log.warning("signal: an event that is not JSON was skipped")
                        else:
                            yield event_id, decoded
                    data = []
                    continue
                field, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if field == "data":
                    data.append(value)
                elif field == "id":
                    event_id = value


# ---------------------------------------------------------------- languages


class LanguageMemory:
    """The language each address was last written to in (from outgoing messages), so the
    adapter's own notes (help, errors) come in it; forgotten on restart, bounded."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._by_address: OrderedDict[str, str] = OrderedDict()
        self.max_entries = max_entries

    def get(self, address: str) -> str:
        return self._by_address.get(address, texts.DEFAULT_LANGUAGE)

    def set(self, address: str, language: str) -> None:
        self._by_address.pop(address, None)
        self._by_address[address] = language
        while len(self._by_address) > self.max_entries:
            self._by_address.popitem(last=False)

    def forget(self, address: str) -> None:
        self._by_address.pop(address, None)


# ---------------------------------------------------------------- sending


class SignalChannel:
    """Delivers replies from the outbox through signal-cli."""

    name = NAME

    def __init__(self, client: SignalClient | None, memory: LanguageMemory) -> None:
        self.client = client
        self.memory = memory
        self.on_unregistered: Callable[[], None] | None = None

    async def send(self, message: OutboundMessage) -> None:
        if self.client is None:
            raise DeliveryFailed("signal-cli is not connected yet")
        self.memory.set(message.address, message.language)
        text = plain_text(message, texts.words(message.language))
        for piece in pieces(text, MAX_TEXT):
            await self.send_text(message.address, piece)

    async def send_text(self, address: str, text: str) -> None:
        assert self.client is not None
        try:
            result = await self.client.rpc("send", {"recipient": [address], "message": text})
        except SignalUnavailable as exc:
            raise DeliveryFailed(f"signal-cli unreachable ({exc})") from exc
        except SignalError as exc:
            raise self._failure(exc.message, exc.data) from exc
        for outcome in (result or {}).get("results") or [] if isinstance(result, dict) else []:
            kind = str(outcome.get("type") or "SUCCESS") if isinstance(outcome, dict) else ""
            if kind != "SUCCESS":
                raise self._failure(kind, outcome)

    def _failure(self, what: str, data: Any) -> Exception:
        """What a refusal means for the outbox: gone for good, or try again (how soon)."""
        upper = what.upper()
        if "UNREGISTERED" in upper or "NOT REGISTERED" in upper:
            if "ACCOUNT" in upper and self.on_unregistered is not None:
                self.on_unregistered()  # the office's own account, not the person's
                return DeliveryFailed("the office's Signal account is not registered")
            return RecipientUnreachable("the person is no longer on Signal")
        if "RATE" in upper or "PROOF_REQUIRED" in upper:
            return DeliveryFailed("Signal's rate limit", _retry_after(data))
        # signal-cli's own message may name the recipient: only a constant kind is logged.
        kind = what if re.fullmatch(r"[A-Z_]{1,40}", what) else "an error"
        return DeliveryFailed(f"signal-cli refused the message ({kind})")

    async def typing(self, address: str) -> None:
        if self.client is None:
            return
        with contextlib.suppress(SignalUnavailable, SignalError):
            await self.client.rpc("sendTyping", {"recipient": [address]})


def _retry_after(data: Any) -> float:
    if isinstance(data, dict):
        for key in ("retryAfterSeconds", "retryAfter"):
            value = data.get(key)
            if isinstance(value, int | float) and 0 < value < 86_400:
                return float(value)
    return RETRY_AFTER_DEFAULT


# ---------------------------------------------------------------- receiving


@dataclass(frozen=True)
class Command:
    name: Literal["help", "language", "restart", "back", "delete", "start"]
    argument: str


_COMMANDS: Final[dict[str, str]] = {
    "hilfe": "help",
    "help": "help",
    "sprache": "language",
    "language": "language",
    "neu": "restart",
    "restart": "restart",
    "zuruck": "back",
    "zurueck": "back",
    "back": "back",
    "loschen": "delete",
    "loeschen": "delete",
    "delete": "delete",
    "start": "start",
}


def parse_command(text: str) -> Command | None:
    """A command written as a word: `/hilfe`, `/sprache en`, `/löschen ja` (umlauts optional,
    any case); None for an ordinary answer."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return None
    word, _, argument = stripped[1:].partition(" ")
    folded = "".join(
        c for c in unicodedata.normalize("NFKD", word.casefold()) if not unicodedata.combining(c)
    )
    name = _COMMANDS.get(folded)
    if name is None:
        return None
    return Command(name, argument.strip().casefold())  # type: ignore[arg-type]  # from the table


def own_name(code: str) -> str:
    """A language in its own name ("Türkçe"), from CLDR; Leichte Sprache by its name."""
    if code == "ls":
        return "Leichte Sprache"
    try:
        return str(Locale.parse(code).get_display_name(code) or code)
    except (ValueError, UnknownLocaleError):
        return code


def sender_of(envelope: dict[str, Any]) -> str | None:
    """The sender's account id; the phone number an envelope may carry is never used."""
    aci = envelope.get("sourceUuid")
    if isinstance(aci, str) and _ACI.match(aci.lower()):
        return aci.lower()
    source = envelope.get("source")
    if isinstance(source, str) and _ACI.match(source.lower()):
        return source.lower()
    return None


def envelope_of(event: Any) -> dict[str, Any] | None:
    """The envelope of an event as signal-cli sends it: the `receive` notification's params,
    or the notification itself."""
    if not isinstance(event, dict):
        return None
    params = event.get("params") if event.get("method") == "receive" else event
    if isinstance(params, dict) and isinstance(params.get("result"), dict):
        params = params["result"]  # a subscription's event
    envelope = params.get("envelope") if isinstance(params, dict) else None
    return envelope if isinstance(envelope, dict) else None


class SignalReceiver:
    """Turns incoming envelopes into messages for the conversation service."""

    def __init__(
        self,
        client: SignalClient,
        channel: SignalChannel,
        backend: Backend,
        languages: Languages,
        settings: SignalSettings,
        legal_settings: LegalSettings,
        clock: Clock | None = None,
    ) -> None:
        self.client = client
        self.channel = channel
        self.memory = channel.memory
        self.backend = backend
        self.languages = languages
        self.settings = settings
        self.legal = legal_settings
        self.received = ReceivedNotices(clock or SystemClock())
        self.greeted: OrderedDict[str, None] = OrderedDict()
        """Addresses told the privacy notice in this process (the service knows for good)."""

    async def process(self, event: Any) -> None:
        envelope = envelope_of(event)
        if envelope is None:
            return
        address = sender_of(envelope)
        if address is None:
            log.info("signal: an envelope without an account id was ignored")
            return
        if isinstance(envelope.get("typingMessage"), dict):
            if envelope["typingMessage"].get("action") == "STARTED":
                await self.backend.person_typing(NAME, address)
            return
        data = envelope.get("dataMessage")
        if not isinstance(data, dict):
            return  # receipts, sync and call messages: nothing for us
        if data.get("groupInfo") or data.get("groupV2"):
            log.info("signal: a group message was ignored (the office answers people alone)")
            return
        if data.get("reaction") or data.get("remoteDelete"):
            return  # an emoji on a message, or "delete for everyone": nothing to answer
        timestamp = envelope.get("timestamp") or data.get("timestamp")
        if not isinstance(timestamp, int):
            return
        language = self.memory.get(address)
        text = data.get("message")
        if not isinstance(text, str) or not text.strip() or data.get("attachments"):
            await self.say(address, "non_text", language)
            return
        message_id = f"s{timestamp}"
        command = parse_command(text)
        fields: dict[str, Any]
        if command is None:
            fields = {"text": text}
        elif command.name == "help":
            await self.say(address, "help", language)
            return
        elif command.name == "language":
            offered = list(await self.languages())
            if command.argument in offered:
                fields = {"language": command.argument}
            else:
                word = "sprache" if language in ("de", "ls") else "language"
                listing = "\n".join(f"/{word} {c}: {own_name(c)}" for c in offered)
                await self.say(address, "language_prompt", language, languages=listing)
                return
        elif command.name == "delete":
            if command.argument in ("ja", "yes", "نعم"):
                gone = await self.backend.forget(NAME, address)
                self.greeted.pop(address, None)
                self.received.forget(address)
                log.info("signal: a person deleted their data (%s conversations)", gone)
                await self.say(address, "deleted", language)
                self.memory.forget(address)
            else:
                await self.say(address, "delete_confirm", language)
            return
        else:
            fields = {"command": command.name}
        try:
            msg = InboundMessage(NAME, address, message_id, **fields)
        except InvalidMessage:
            await self.say(address, "too_long" if len(text) > MAX_TEXT_LENGTH else "help", language)
            return
        await self._first_contact(address, language)
        try:
            handled = await self.backend.handle(msg)
        except SlowDown:
            await self.say(address, "slow_down", language)
            return
        if self.received.due(address, handled):
            await self.say(address, "received", language)
        with contextlib.suppress(SignalUnavailable, SignalError):
            # The person's app shows "read": it was taken and stored.
            await self.client.rpc(
                "sendReceipt",
                {"recipient": address, "targetTimestamp": [timestamp], "type": "read"},
            )

    async def _first_contact(self, address: str, language: str) -> None:
        """The privacy notice, once, before the first message of a conversation is stored."""
        if address in self.greeted:
            return
        history = await self.backend.history(NAME, address, None)
        if history.owner is None:
            webchat = self.settings.webchat_url
            link = texts.text("webchat_link", language, url=webchat) if webchat else ""
            await self.say(
                address, "privacy", language, webchat=link, legal=self._legal_links(language)
            )
        self.greeted[address] = None
        while len(self.greeted) > 10_000:
            self.greeted.popitem(last=False)

    def _legal_links(self, language: str) -> str:
        out = ""
        privacy = legal.public_link(self.legal, "privacy", language)
        if privacy:
            out += texts.text("privacy_link", language, url=privacy)
        imprint = legal.public_link(self.legal, "imprint", language)
        if imprint:
            out += texts.text("imprint_link", language, url=imprint)
        return out

    async def say(self, address: str, key: str, language: str, **values: str) -> None:
        """One of the adapter's own notes, sent at once (not through the outbox: it answers
        what the person just did, and is worth nothing later)."""
        body = f"{texts.words(language).bot}\n{texts.text(key, language, **values)}"
        try:
            for piece in pieces(body, MAX_TEXT):
                await self.channel.send_text(address, piece)
        except (DeliveryFailed, RecipientUnreachable) as exc:
            log.warning("signal: a note could not be sent (%s)", exc)


# ---------------------------------------------------------------- running


class SignalRuntime:
    """The client, the channel and the receiver, with the loop that reads the event stream
    and opens it again (with the last event's id) whenever it breaks."""

    def __init__(
        self,
        settings: SignalSettings,
        backend: Backend,
        languages: Languages,
        legal_settings: LegalSettings,
        cursor: Cursor,
        lease: Lease,
    ) -> None:
        self.settings = settings
        self.cursor = cursor
        self.lease = lease
        self.backend = backend
        self.languages = languages
        self.legal = legal_settings
        self.memory = LanguageMemory()
        self.channel = SignalChannel(None, self.memory)
        self.channel.on_unregistered = self._unregistered
        self.state: State = "starting"
        self.last_event_id: str | None = None
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def _unregistered(self) -> None:
        self.state = "unregistered"

    def _seen(self, reachable: bool) -> None:
        """An account found unregistered stays so until the service restarts (after the
        operator registered it again, docs/signal.md)."""
        if self.state != "unregistered":
            self.state = "connected" if reachable else "unreachable"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        client = SignalClient(self.settings, self._session)
        self.channel.client = client
        receiver = SignalReceiver(
            client, self.channel, self.backend, self.languages, self.settings, self.legal
        )
        self._task = asyncio.create_task(self._listen(client, receiver), name="signal-events")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.lease.release()
        if self._session is not None:
            await self._session.close()

    async def _listen(self, client: SignalClient, receiver: SignalReceiver) -> None:
        pause = self.settings.reconnect_seconds
        while True:
            try:
                if not await self.lease.acquire():
                    # Another replica reads the stream; this one sends, and takes over
                    # (from the stored position) when that replica is gone.
                    self.state = "standby" if self.state != "unregistered" else self.state
                    await asyncio.sleep(STANDBY_SECONDS)
                    continue
                # An id signal-cli does not know makes it send every event it kept: after a
                # first start, what came in before we listened is not lost (receipts drop
                # repeats).
                self.last_event_id = await self.cursor.load() or "0"
                async for event_id, event in client.events(
                    self.last_event_id, on_open=lambda: self._seen(True)
                ):
                    pause = self.settings.reconnect_seconds
                    try:
                        await receiver.process(event)
                    except Exception:
                        # Not marked as read: the event is replayed after a reconnect only if
                        # the stream breaks; the person is told to send it again.
                        log.exception("signal: an incoming message could not be processed")
                        address = sender_of(envelope_of(event) or {})
                        if address is not None:
                            await receiver.say(address, "busy", self.memory.get(address))
                    if event_id is not None:
                        self.last_event_id = event_id
                        await self.cursor.save(event_id)
                    if not await self.lease.still_held():
                        break  # another replica may read now: stop before reading twice
                self._seen(await client.check())
            except (SignalUnavailable, aiohttp.ClientError, TimeoutError, ValueError) as exc:
                if self.state != "unreachable":
                    log.warning("signal: the signal-cli daemon is unreachable (%s)", exc)
                self._seen(False)
            except Exception:
                # The database away, a bug: never let the listener die; the stored position
                # makes the next round start where this one stopped.
                log.exception("signal: reading the event stream failed; trying again")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 60.0)

    @property
    def reachable(self) -> bool:
        return self.state in ("connected", "standby")
