"""The web chat channel: JSON frames over a WebSocket (docs/webchat-protocol.md).

The adapter turns frames into InboundMessages and replies into frames. It keeps no
conversation state of its own: a browser that comes back gets its history from the
conversation service, so a reply for a person who is not connected is already delivered —
it waits in the transcript, which the next `hello` replays.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Literal, Protocol
from urllib.parse import urlsplit

import orjson
from aiohttp import WSMsgType, web
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bot import bounded_json
from bot.bounded_json import JsonRejected
from bot.channels.base import (
    MAX_TEXT_LENGTH,
    InboundMessage,
    InvalidMessage,
    OutboundMessage,
    SlowDown,
    without_lone_surrogates,
)
from bot.conversation.units import ResumeConflict, TooManyNewConversations
from bot.ratelimit import KeyedLimiter, TokenBucket

log = logging.getLogger(__name__)
flood_log = logging.getLogger(__name__ + ".flood")
"""Refused sockets and silent ones closed are logged here, one line per interval with a
count: a flood of sockets must not become a flood of log lines (the app factory installs a
`LogThrottle` on it with the service's clock)."""

NAME = "webchat"
MAX_FRAME_BYTES = 48 * 1024
"""Room for a text of MAX_TEXT_LENGTH characters even in four-byte UTF-8 (emoji) ... almost:
texts are limited by characters, frames by bytes; 48 KiB keeps ordinary scripts well inside."""
HARD_FRAME_LIMIT = 1024 * 1024
TOKEN_BYTES = 32
HELLO_TIMEOUT_SECONDS = 30.0
"""A socket that has not said `hello` by then is closed (CLOSE_HELLO_TIMEOUT)."""

# Close codes of our own (4000-4999 are the application's, RFC 6455 section 7.4.2); each
# is listed in docs/webchat-protocol.md. The browser reconnects after each with backoff.
CLOSE_HELLO_TIMEOUT = 4008
"""No `hello` within the hello timeout (like HTTP 408)."""
CLOSE_CLIENT_BUSY = 4029
"""This client network has too many sockets open already (like HTTP 429)."""
CLOSE_SERVER_BUSY = 1013
"""The service holds as many sockets as it may ("Try Again Later", RFC 6455 registry)."""
REFUSED_CLOSE_SECONDS = 0.25
"""How long a refused socket waits for the client's close reply before it is dropped: a
flood must not hold descriptors with sockets that were never admitted."""


# ---------------------------------------------------------------- session tokens


def new_token() -> bytes:
    return secrets.token_bytes(TOKEN_BYTES)


def encode_token(token: bytes) -> str:
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def decode_token(text: str) -> bytes | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == TOKEN_BYTES else None


def address_for(token: bytes) -> str:
    """The channel address of a session: a one-way hash, so the stored (encrypted) address
    can never be turned back into the token that unwraps the case key."""
    return "w:" + hashlib.sha256(b"anlaufstelle/webchat-address/v1" + token).hexdigest()


# ---------------------------------------------------------------- frames


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ClientId = Annotated[str, Field(min_length=1, max_length=100)]
Lang = Annotated[str, Field(min_length=2, max_length=16, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")]


class Hello(_Frame):
    type: Literal["hello"]
    session: str | None = None
    language: Lang | None = None
    chosen: bool = False
    """The person chose `language` on the page (not a browser guess): no language question."""
    source: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")] | None = None
    """The outreach tag of the link the page was opened by: counted when a new chat starts."""


class Resume(_Frame):
    type: Literal["resume"]
    code: Annotated[str, Field(max_length=40)]


class Answer(_Frame):
    type: Literal["answer"]
    id: ClientId
    choice: Annotated[str, Field(max_length=100)] | None = None
    choices: (
        Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=100)] | None
    ) = None


class TextFrame(_Frame):
    type: Literal["text"]
    id: ClientId
    text: str


class CommandFrame(_Frame):
    type: Literal["command"]
    id: ClientId
    command: Literal["start", "back", "restart"]


class LanguageFrame(_Frame):
    type: Literal["language"]
    id: ClientId
    language: Lang


class Typing(_Frame):
    type: Literal["typing"]


class Delete(_Frame):
    type: Literal["delete"]
    id: ClientId
    confirm: Literal[True]


class Ping(_Frame):
    type: Literal["ping"]


ClientFrame = Annotated[
    Hello | Resume | Answer | TextFrame | CommandFrame | LanguageFrame | Typing | Delete | Ping,
    Field(discriminator="type"),
]
_frames: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)
KNOWN_TYPES = {
    "hello",
    "resume",
    "answer",
    "text",
    "command",
    "language",
    "typing",
    "delete",
    "ping",
}


class FrameError(Exception):
    def __init__(self, code: str, message: str, frame_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.frame_id = frame_id


def _encode(frame: dict[str, Any]) -> str:
    """A frame's JSON text; orjson, since every reply and acknowledgement is one (the
    standard library's encoder cost several times as much)."""
    return orjson.dumps(frame, option=orjson.OPT_NON_STR_KEYS).decode()


def parse_frame(raw: str) -> ClientFrame:
    """A client frame, or FrameError whose message names the problem but never the content."""
    try:
        data = without_lone_surrogates(bounded_json.loads(raw, max_bytes=MAX_FRAME_BYTES))
    except JsonRejected as exc:
        code = "too_large" if exc.reason == "too_large" else "bad_frame"
        raise FrameError(code, str(exc)) from None
    if not isinstance(data, dict):
        raise FrameError("bad_frame", "a frame is a JSON object")
    frame_id = data.get("id") if isinstance(data.get("id"), str) else None
    if data.get("type") not in KNOWN_TYPES:
        raise FrameError("unknown_type", "unknown frame type", frame_id)
    try:
        frame = _frames.validate_python(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"][1:]) or "frame" for e in exc.errors()})
        raise FrameError("bad_frame", f"invalid field(s): {', '.join(fields)}", frame_id) from None
    if isinstance(frame, TextFrame) and len(frame.text) > MAX_TEXT_LENGTH:
        raise FrameError(
            "too_large", f"texts may have at most {MAX_TEXT_LENGTH} characters", frame.id
        )
    if isinstance(frame, Answer) and (frame.choice is None) == (frame.choices is None):
        raise FrameError("bad_frame", "an answer has either choice or choices", frame.id)
    return frame


def message_frame(body: dict[str, Any], seq: int | None, sender: str) -> dict[str, Any]:
    """A transcript line or a reply as the `message` frame the browser renders."""
    frame: dict[str, Any] = {"type": "message", "seq": seq, "sender": sender}
    for key in (
        "text",
        "label",
        "labels",
        "kind",
        "language",
        "expects",
        "exclusive",
        "suggested",
        "more",
        "min_choices",
        "max_choices",
        "max_length",
        "case_code",
        "owner",
        "choice",
        "choices",
        "attachment",
        "links",
    ):
        if key in body:
            frame[key] = body[key]
    if sender != "person":
        frame["choices"] = [
            {"id": c[0], "label": c[1]} if isinstance(c, list | tuple) else c
            for c in body.get("choices", [])
        ]
        frame["actions"] = [
            {"id": a[0], "label": a[1]} if isinstance(a, list | tuple) else a
            for a in body.get("actions", [])
        ]
    return frame


def outbound_frame(message: OutboundMessage) -> dict[str, Any]:
    return {
        "type": "message",
        "seq": message.seq,
        "sender": message.sender,
        "kind": message.kind,
        "language": message.language,
        "text": message.text,
        "expects": message.expects,
        "choices": [{"id": o.id, "label": o.label} for o in message.choices],
        "exclusive": list(message.exclusive),
        "suggested": list(message.suggested),
        "more": message.more,
        "min_choices": message.min_choices,
        "max_choices": message.max_choices,
        "max_length": message.max_length,
        "actions": [{"id": o.id, "label": o.label} for o in message.actions],
        "case_code": message.case_code,
        "owner": message.owner,
    } | ({"links": [[link.text, link.href] for link in message.links]} if message.links else {})


# ---------------------------------------------------------------- what the adapter needs


class HistoryLike(Protocol):
    owner: str | None
    case_id: int | None
    readable: bool

    @property
    def lines(self) -> tuple[Any, ...]: ...


@dataclass
class _NewChat:
    """The history of a session token made for this hello: none."""

    owner: str | None = None
    case_id: int | None = None
    readable: bool = True
    lines: tuple[Any, ...] = ()


class Backend(Protocol):
    """The conversation service as the web chat uses it."""

    async def handle(
        self, msg: InboundMessage, committed: Callable[[Any], Awaitable[None]] | None = None
    ) -> Any: ...

    async def history(
        self, channel: str, address: str, token: bytes | None, after: int = 0
    ) -> Any: ...

    async def resume_with_code(
        self, channel: str, address: str, token: bytes | None, code: str
    ) -> Any: ...

    async def forget(self, channel: str, address: str) -> int: ...

    async def person_typing(self, channel: str, address: str) -> None: ...


CatchUp = Callable[[], Awaitable[None]]
"""A socket's way to send the lines it has not shown yet (read from the conversation)."""

Relay = Callable[[str, str], Awaitable[None]]
"""Tell the other replicas (kind "m" news or "t" typing, the address's pseudonym)."""


class WebChatChannel:
    """Delivers replies to the browsers connected with a session, if any are.

    With several replicas the person's socket may be held by another one than the replica
    that delivers: a delivery or typing hint with no page here is relayed (a signal keyed by
    the address's pseudonym, nothing else), and the replica holding the socket sends the lines
    the page has not shown yet, read from the conversation. Pages ignore a line they show
    already (by its number), so a line relayed and pushed both shows once."""

    name = NAME

    def __init__(self) -> None:
        self._sockets: dict[str, set[web.WebSocketResponse]] = {}
        self._catch_up: dict[web.WebSocketResponse, CatchUp] = {}
        self._sent: dict[web.WebSocketResponse, set[int]] = {}
        self.floor: dict[web.WebSocketResponse, int] = {}
        """Per page: every line up to this number is on it (so catching up reads after it)."""
        """Line numbers each page was sent, so catching up sends only what it lacks (lines
        may come out of order when two replicas deliver one after the other)."""
        self._by_pseudonym: dict[str, str] = {}
        self._language: dict[str, str] = {}
        """Per address with a page here: the language of the newest line sent to it (the
        dialog's, which the person may have changed inside it)."""
        self.relay: Relay | None = None
        self.pseudonym_of: Callable[[str], str] | None = None
        self.replica = secrets.token_hex(4)
        """This process, so that it ignores its own relayed signals."""
        self._tasks: set[asyncio.Task[None]] = set()

    def attach(
        self, address: str, ws: web.WebSocketResponse, catch_up: CatchUp | None = None
    ) -> None:
        self._sockets.setdefault(address, set()).add(ws)
        if catch_up is not None:
            self._catch_up[ws] = catch_up
        if self.pseudonym_of is not None:
            self._by_pseudonym[self.pseudonym_of(address)] = address

    def detach(self, address: str, ws: web.WebSocketResponse) -> None:
        self._catch_up.pop(ws, None)
        self._sent.pop(ws, None)
        self.floor.pop(ws, None)
        sockets = self._sockets.get(address)
        if sockets is not None:
            sockets.discard(ws)
            if not sockets:
                del self._sockets[address]
                self._language.pop(address, None)
                if self.pseudonym_of is not None:
                    self._by_pseudonym.pop(self.pseudonym_of(address), None)

    def connected(self, address: str) -> int:
        return len(self._sockets.get(address, ()))

    def language_of(self, address: str) -> str | None:
        """The language the page at `address` was last spoken to in, if it is open here."""
        return self._language.get(address)

    def reset(self, ws: web.WebSocketResponse, seqs: Iterable[int] = ()) -> None:
        """What the page has, anew: after a welcome (its history), or an empty page for a new
        conversation (whose lines are numbered from 1 again)."""
        known = set(seqs)
        self._sent[ws] = known
        self.floor[ws] = max(known, default=0)

    def sent_to(self, ws: web.WebSocketResponse) -> set[int]:
        """The line numbers this page has (changed in place by whoever sends it lines)."""
        return self._sent.setdefault(ws, set())

    async def send(self, message: OutboundMessage) -> None:
        frame = _encode(outbound_frame(message))  # once, for each of the person's tabs
        if message.address in self._sockets:
            self._language[message.address] = message.language
        for ws in list(self._sockets.get(message.address, ())):
            if message.seq is not None:
                sent = self.sent_to(ws)
                if message.seq in sent:
                    continue  # the page caught up on it from the conversation already
                sent.add(message.seq)
            await self._push_one(message.address, ws, frame)
        if not self.connected(message.address):
            # The page is on another replica (or on none): that replica pushes it. A person
            # with tabs on two replicas sees it in the other tab at its next reconnect.
            await self._relay("m", message.address)

    async def typing(self, address: str) -> None:
        """Tell the person's open pages that a counsellor is typing; nothing if none is open."""
        await self._push(address, {"type": "typing", "sender": "counsellor"})
        if not self.connected(address):
            await self._relay("t", address)

    async def _push(self, address: str, frame: dict[str, Any]) -> None:
        encoded = _encode(frame)
        for ws in list(self._sockets.get(address, ())):
            await self._push_one(address, ws, encoded)

    async def _push_one(self, address: str, ws: web.WebSocketResponse, frame: str) -> None:
        """Send one frame, JSON-encoded once by the caller for all of the address's sockets."""
        if ws.closed:
            return
        try:
            await ws.send_str(frame)
        except (ConnectionResetError, RuntimeError):
            # The browser went away mid-send; it replays the line from history on return.
            self.detach(address, ws)

    async def _relay(self, kind: str, address: str) -> None:
        if self.relay is None or self.pseudonym_of is None:
            return
        try:
            await self.relay(kind, f"{self.replica}:{self.pseudonym_of(address)}")
        except Exception as exc:  # the page catches up at its next reconnect anyway
            log.warning("webchat: relaying to other replicas failed (%s)", exc.__class__.__name__)

    def relayed(self, kind: str, payload: str) -> None:
        """A signal from a replica: news or typing for an address whose socket may be here."""
        replica, _, pseudonym = payload.partition(":")
        address = self._by_pseudonym.get(pseudonym)
        if replica == self.replica or address is None:
            return
        if kind == "t":
            self._spawn(self._push(address, {"type": "typing", "sender": "counsellor"}))
        else:
            for ws in list(self._sockets.get(address, ())):
                catch_up = self._catch_up.get(ws)
                if catch_up is not None:
                    self._spawn(catch_up())

    def catch_up_all(self) -> None:
        """After signals may have been missed (the listener reconnected): every page here
        gets what it has not shown yet."""
        for catch_up in list(self._catch_up.values()):
            self._spawn(catch_up())

    def _spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("webchat: catching a page up failed")

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close_all(self) -> None:
        for sockets in list(self._sockets.values()):
            for ws in list(sockets):
                await ws.close(code=1001, message=b"server shutting down")


# ---------------------------------------------------------------- the WebSocket route


class SocketCount:
    """Open WebSockets, in total and per client network (keyed hash); refuses beyond the caps.

    Without caps, a script that opens sockets and never talks keeps them all, until the
    process runs out of file descriptors and nobody else can connect, not even /healthz.
    """

    def __init__(self, total: int = 1000, per_client: int = 20) -> None:
        self.total = total
        self.per_client = per_client
        self.open = 0
        self._by_client: dict[str, int] = {}

    def admit(self, client: str) -> int | None:
        """Count a new socket of `client`; None when admitted, else the close code to give."""
        held = self._by_client.get(client, 0)
        if held >= self.per_client:
            return CLOSE_CLIENT_BUSY
        if self.open >= self.total:
            return CLOSE_SERVER_BUSY
        self._by_client[client] = held + 1
        self.open += 1
        return None

    def release(self, client: str) -> None:
        held = self._by_client.get(client, 0)
        if held <= 1:
            self._by_client.pop(client, None)
        else:
            self._by_client[client] = held - 1
        self.open = max(0, self.open - 1)

    def by_client(self, client: str) -> int:
        return self._by_client.get(client, 0)


@dataclass
class Limits:
    monotonic: Callable[[], float]
    """The service clock's monotonic seconds, which every bucket below refills by."""
    frames_burst: float = 10
    frames_per_second: float = 2
    code_tries: KeyedLimiter = field(init=False)
    """Case-code attempts per client network (keyed hash), shared by the WebSocket and the
    no-JavaScript forms, so both paths together allow five tries in ten minutes."""
    pepper: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    """Key of the client-network hash; in memory only, new at every start."""
    trusted_proxies: frozenset[str] = frozenset()
    """Addresses of reverse proxies whose X-Forwarded-For names the real client. Without
    this, every person behind the proxy would share one rate-limit bucket."""
    sockets: SocketCount = field(default_factory=SocketCount)
    """Caps on open WebSockets, in total and per client network."""
    hello_timeout: float = HELLO_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        self.code_tries = KeyedLimiter(capacity=5, rate=5 / 600, clock=self.monotonic)


def origin_allowed(request: web.Request, allowed: Sequence[str]) -> bool:
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return False
    parts = urlsplit(origin)
    if parts.netloc and parts.netloc == request.host:
        return True
    return origin.rstrip("/") in {a.rstrip("/") for a in allowed}


def client_address(request: web.Request, trusted_proxies: frozenset[str]) -> str:
    """The client's address: behind a trusted proxy the right-most X-Forwarded-For entry
    that is not itself a trusted proxy (entries further left are the client's own claims)."""
    remote = request.remote or "unknown"
    if remote not in trusted_proxies:
        return remote
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted_proxies:
            return hop
    return remote


FORWARDED_HTTPS: Final = web.RequestKey("forwarded_https", bool)
"""Request key: set (True) by the app's middleware when a trusted proxy says the client
came over https; `request.secure` alone sees only the proxy's plain connection."""


CLIENT_ADDRESS: Final = web.RequestKey("client_address", str)
"""Request key: the client's address as `client_address` finds it behind the trusted
proxies, set by the app's middleware for every request (the console's login limits use it
as the chat's rate limits do)."""


def forwarded_https(request: web.Request, trusted_proxies: frozenset[str]) -> bool:
    """Whether a trusted proxy's X-Forwarded-Proto says https. From anyone else the header is
    the client's own claim, and believing it would let a plain-http client get the cookies
    and headers meant for TLS."""
    if request.remote not in trusted_proxies:
        return False
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return proto == "https"


def client_key(request: web.Request, limits: Limits) -> str:
    """A keyed hash of the client's network address, for rate limits only (never stored)."""
    remote = client_address(request, limits.trusted_proxies)
    return hmac.new(limits.pepper, remote.encode(), hashlib.sha256).hexdigest()


def same_site_post(request: web.Request, allowed: Sequence[str]) -> bool:
    """Whether a form post comes from our own pages (or an allowed embedding site).

    Refuses cross-site posts: a hostile page could otherwise start a chat with a session
    token it chose, and later read the conversation with it.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    if "Origin" in request.headers:
        return origin_allowed(request, allowed)
    return True  # very old browsers send neither header; nothing to check against


Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def ws_route(
    backend: Backend,
    channel: WebChatChannel,
    allowed_origins: Callable[[], Sequence[str]],
    limits: Limits,
    *,
    case_codes: bool = True,
) -> Route:
    """`allowed_origins` is asked at every handshake: admins change it while we run.
    `case_codes`: False where a case code must never be taken (the console's preview: a
    real person's case must not move into it)."""
    code_tries = limits.code_tries

    async def chat_socket(request: web.Request) -> web.StreamResponse:
        if not origin_allowed(request, allowed_origins()):
            log.warning("webchat: WebSocket from a foreign origin refused")
            return web.Response(status=403, text="origin not allowed")
        client = client_key(request, limits)
        refused = limits.sockets.admit(client)
        if refused is not None:
            return await _refuse(request, refused)
        try:
            ws = web.WebSocketResponse(heartbeat=30, max_msg_size=HARD_FRAME_LIMIT)
            await ws.prepare(request)
            session = _Session(backend, channel, ws, client, code_tries if case_codes else None)
            try:
                await _converse(ws, session, limits)
            finally:
                session.close()
        finally:
            limits.sockets.release(client)
        return ws

    return chat_socket


async def _refuse(request: web.Request, code: int) -> web.WebSocketResponse:
    """Upgrade and close at once with `code`: a browser is told nothing about a refused
    handshake (it sees 1006), but it does see a close code."""
    flood_log.warning(
        "webchat: WebSocket refused (%s)",
        "too many from one client" if code == CLOSE_CLIENT_BUSY else "service at its cap",
    )
    ws = web.WebSocketResponse(timeout=REFUSED_CLOSE_SECONDS, max_msg_size=1024)
    await ws.prepare(request)
    await ws.close(code=code, message=b"too many connections; try again later")
    return ws


async def _converse(ws: web.WebSocketResponse, session: _Session, limits: Limits) -> None:
    """Read frames until the socket closes; a socket without `hello` in time is closed."""
    flood = TokenBucket(limits.frames_burst, limits.frames_per_second, limits.monotonic)
    try:
        async with asyncio.timeout(limits.hello_timeout) as hello_deadline:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    if msg.type == WSMsgType.BINARY:
                        await session.error("bad_frame", "frames are JSON text")
                    continue
                try:
                    frame = parse_frame(msg.data)
                except FrameError as exc:
                    if flood.take():  # a flood of bad frames is slowed like any other
                        await session.error(exc.code, str(exc), exc.frame_id)
                    continue
                if not flood.take():
                    # With the frame's id: the page keeps that message and sends it again
                    # shortly (without it, the message would wait as "sending" forever).
                    frame_id = getattr(frame, "id", None)
                    await session.error(
                        "rate_limited", "too many messages; wait a moment", frame_id
                    )
                    continue
                if isinstance(frame, Hello):
                    # Before the hello is handled: its storage work must never be cancelled
                    # halfway by the deadline.
                    hello_deadline.reschedule(None)
                try:
                    await session.dispatch(frame)
                except Exception as exc:
                    # The socket stays open: the person is told, and may simply try again.
                    log.error("webchat: a %s frame failed (%s)", frame.type, exc.__class__.__name__)
                    await session.error("unavailable", "that did not work; please try again")
    except TimeoutError:
        if not hello_deadline.expired():
            raise
        flood_log.info("webchat: a socket sent no hello in time; closed")
        await ws.close(code=CLOSE_HELLO_TIMEOUT, message=b"no hello in time")


class _Session:
    """One WebSocket connection; bound to a conversation address after `hello`."""

    # One per open socket, most of them idle: slots, not a per-instance dict.
    __slots__ = (
        "address",
        "backend",
        "channel",
        "client",
        "code_tries",
        "conversation",
        "language",
        "language_chosen",
        "source",
        "token",
        "ws",
    )

    def __init__(
        self,
        backend: Backend,
        channel: WebChatChannel,
        ws: web.WebSocketResponse,
        client: str,
        code_tries: KeyedLimiter | None,
    ) -> None:
        self.backend = backend
        self.channel = channel
        self.ws = ws
        self.client = client
        self.code_tries = code_tries
        self.token: bytes | None = None
        self.address: str | None = None
        self.language: str | None = None
        self.language_chosen = False
        self.source: str | None = None
        self.conversation: int | None = None
        """The conversation this page shows (its line numbers are that conversation's)."""

    def close(self) -> None:
        if self.address is not None:
            self.channel.detach(self.address, self.ws)

    async def send(self, frame: dict[str, Any]) -> None:
        """Send unless the browser is gone (it replays what it missed from history)."""
        if self.ws.closed:
            return
        try:
            await self.ws.send_str(_encode(frame))
        except (ConnectionResetError, RuntimeError):
            log.debug("webchat: browser left before a frame could be sent")

    async def error(self, code: str, message: str, frame_id: str | None = None) -> None:
        frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
        if frame_id is not None:
            frame["id"] = frame_id
        await self.send(frame)

    async def dispatch(self, frame: ClientFrame) -> None:
        if isinstance(frame, Ping):
            await self.send({"type": "pong"})
            return
        if isinstance(frame, Hello):
            await self._hello(frame)
            return
        if self.token is None or self.address is None:
            await self.error("hello_first", "send hello first")
            return
        if isinstance(frame, Resume):
            await self._resume(frame.code)
        elif isinstance(frame, Delete):
            await self.backend.forget(self.channel.name, self.address)
            await self.send({"type": "deleted"})
            self.close()
            await self.ws.close()
        elif isinstance(frame, Typing):
            await self.backend.person_typing(self.channel.name, self.address)
        else:
            await self._message(frame)

    async def _hello(self, frame: Hello) -> None:
        # A token is only a name: one the server never issued (or made up) finds no
        # conversation, and the conversation it then starts counts as new for the limit.
        token = decode_token(frame.session) if frame.session else None
        resumed = token is not None
        self.token = token or new_token()
        self.close()
        self.address = address_for(self.token)
        self.language = frame.language
        self.language_chosen = frame.chosen
        self.source = frame.source
        self.channel.attach(self.address, self.ws, self._catch_up)
        # A token made just now names no conversation: nothing to look up before the first
        # question (a rush of new people costs one unit each, not a read and a unit).
        history: HistoryLike = (
            await self.backend.history(self.channel.name, self.address, self.token)
            if resumed
            else _NewChat()
        )
        await self._welcome(history, resumed and history.owner is not None)
        if history.owner is None:
            # A new chat: the first question comes at once, in the page's language.
            await self._message(CommandFrame(type="command", id="hello-start", command="start"))

    async def _catch_up(self) -> None:
        """Send the lines of the conversation this page has not been sent from history (news
        another replica delivered, or signals missed while reconnecting)."""
        if self.address is None or self.ws.closed:
            return
        sent = self.channel.sent_to(self.ws)
        # Everything up to the highest number a catch-up or the welcome saw is on the page.
        floor = self.channel.floor.get(self.ws, 0)
        history = await self.backend.history(self.channel.name, self.address, self.token, floor)
        for line in history.lines:
            # The person's own lines are on their page already (shown when sent).
            if line.seq not in sent and line.sender != "person":
                sent.add(line.seq)
                await self.send(message_frame(line.body, line.seq, line.sender))
            self.channel.floor[self.ws] = max(self.channel.floor.get(self.ws, 0), line.seq)

    async def _welcome(self, history: Any, resumed: bool, *, by_code: bool = False) -> None:
        """`by_code`: the case was just resumed with its code (the page welcomes them back)."""
        assert self.token is not None
        self.channel.reset(self.ws, (line.seq for line in history.lines))
        self.conversation = getattr(history, "conversation_id", None)
        await self.send(
            {
                "type": "welcome",
                "session": encode_token(self.token),
                "resumed": resumed,
                "by_code": by_code,
                "owner": history.owner,
                "case_closed": history.owner == "closed" and history.case_id is not None,
                "readable": history.readable,
                "files": bool(getattr(history, "files", False)),
                "history": [
                    message_frame(line.body, line.seq, line.sender) for line in history.lines
                ],
            }
        )

    async def _resume(self, code: str) -> None:
        assert self.address is not None
        if self.code_tries is None:
            await self.error("bad_frame", "no case codes here")
            return
        if not self.code_tries.take(self.client):
            await self.error("code_rate_limited", "too many tries; please wait ten minutes")
            return
        try:
            history = await self.backend.resume_with_code(
                self.channel.name, self.address, self.token, code
            )
        except ResumeConflict:
            await self.error("resume_conflict", "this device already holds another conversation")
            return
        if history is None:
            await self.error("code_not_found", "no conversation has this code")
            return
        self.code_tries.give_back(self.client)  # a right code is no guess (see pages.py)
        await self._welcome(history, True, by_code=True)

    async def _message(self, frame: Answer | TextFrame | CommandFrame | LanguageFrame) -> None:
        assert self.address is not None
        fields: dict[str, Any] = {}
        # Beside an answer only a hint: should this message begin a new conversation (the
        # page's expired overnight), it begins in the language the person was spoken to in.
        hint = self.channel.language_of(self.address) or self.language
        if isinstance(frame, Answer):
            fields = (
                {"choice": frame.choice}
                if frame.choice is not None
                else {"choices": tuple(frame.choices or ())}
            )
            fields["language"] = hint
        elif isinstance(frame, TextFrame):
            fields = {"text": frame.text, "language": hint}
        elif isinstance(frame, CommandFrame):
            fields = {"command": frame.command}
            if frame.command != "start":
                fields["language"] = hint
            else:
                fields["language"] = self.language
                fields["language_chosen"] = self.language_chosen
                # Counted once per page: starting again is not a second visit.
                fields["source"], self.source = self.source, None
        else:
            fields = {"language": frame.language}
            self.language = frame.language
            self.language_chosen = True
        try:
            msg = InboundMessage(
                self.channel.name,
                self.address,
                frame.id,
                session_token=self.token,
                client=self.client,
                **fields,
            )
        except InvalidMessage as exc:
            await self.error("bad_frame", str(exc), frame.id)
            return
        acked = False

        async def committed(handled: Any) -> None:
            # Stored: acknowledged before its replies are pushed, which follow at once.
            nonlocal acked
            acked = True
            await self._acknowledge(frame.id, handled)

        try:
            handled = await self.backend.handle(msg, committed)
        except TooManyNewConversations:
            await self.error(
                "rate_limited", "too many new chats from here; please wait a while", frame.id
            )
            return
        except SlowDown:
            await self.error("rate_limited", "too many messages; wait a moment", frame.id)
            return
        except Exception:
            if acked:  # stored and acknowledged; its replies come by the outbox
                log.exception("webchat: the replies to a stored message could not be pushed")
                return
            log.exception("webchat: a message could not be stored")
            await self.error("unavailable", "not stored; it will be sent again", frame.id)
            return
        if not acked:  # a turn that an external dialog manager drove
            await self._acknowledge(frame.id, handled)

    async def _acknowledge(self, frame_id: str, handled: Any) -> None:
        started = bool(getattr(handled, "started", False))
        if handled.conversation_id is not None and (
            started or handled.conversation_id != self.conversation
        ):
            # A new conversation on this page (a new start, or after a closed or expired
            # one, which may even have had the same id): its lines are numbered from 1
            # again, so the old numbers must not hold its lines back.
            if self.conversation is not None:
                self.channel.reset(self.ws)
            self.conversation = handled.conversation_id
        ack: dict[str, Any] = {"type": "ack", "id": frame_id, "status": handled.status}
        if started:
            # Before its lines: the page forgets which numbers it has shown.
            ack["new_conversation"] = True
        await self.send(ack)
