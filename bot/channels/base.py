"""What every channel adapter speaks: channel-neutral messages in, a `send` out.

An adapter translates its wire format into `InboundMessage` and renders `OutboundMessage`
back; it knows nothing of flows, storage or the conversation service's decisions.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, fields
from typing import Any, Literal, Protocol, runtime_checkable

Command = Literal["start", "back", "restart"]
MAX_TEXT_LENGTH = 10_000
"""Longest text a person may send in one message; adapters refuse longer ones with an error."""
SOURCE_TAG = re.compile(r"[A-Za-z0-9_-]{1,32}")
"""An outreach source tag (a poster's QR code, a flyer): short, and nothing that could name
a person."""


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def _replaced(text: str) -> str:
    return _LONE_SURROGATE.sub(REPLACEMENT, text)


def without_lone_surrogates(value: Any) -> Any:
    """The value with every lone UTF-16 surrogate in its strings (keys too) replaced by U+FFFD.

    JSON may escape half of a surrogate pair ("\\ud800"); such a string can be neither
    stored (UTF-8 has no encoding for it) nor sent on, and a sender would retry it forever.
    Every JSON entry point applies this right after parsing, so nothing behind the edge ever
    sees one. Python joins a valid escaped pair into one code point, so only lone halves
    remain to be replaced.

    Lists and dicts are changed in place (they are freshly parsed JSON), with a loop instead
    of recursion: a deeply nested body must not raise RecursionError here. Tuples (of
    strings, as in `InboundMessage.choices`) are rebuilt.
    """
    if isinstance(value, str):
        return _replaced(value)
    if isinstance(value, tuple):
        return tuple(_replaced(v) if isinstance(v, str) else v for v in value)
    pending = [value] if isinstance(value, list | dict) else []
    while pending:
        node = pending.pop()
        items = list(enumerate(node)) if isinstance(node, list) else list(node.items())
        for key, item in items:
            if isinstance(item, str):
                item = _replaced(item)
            elif isinstance(item, list | dict):
                pending.append(item)
            if isinstance(node, dict) and isinstance(key, str) and _LONE_SURROGATE.search(key):
                del node[key]
                key = _replaced(key)
            node[key] = item
    return value


class InvalidMessage(ValueError):
    """An inbound message that cannot be processed; the message is safe to show (no content)."""


class ArrivedFile(Protocol):
    """A file that arrived and waits to be read once, whole, for cleaning (storage/spool.py)."""

    @property
    def size(self) -> int: ...

    def read(self) -> bytes: ...


@dataclass(frozen=True)
class InboundMessage:
    """One thing a person did: typed text, picked choices, or a command.

    `address` is the channel's own address of the person (chat id, web session id); the
    service keeps it only encrypted. `client_message_id` is unique per address and makes a
    redelivered message harmless.
    """

    channel: str
    address: str
    client_message_id: str
    text: str | None = None
    choice: str | None = None
    choices: tuple[str, ...] | None = None
    command: Command | None = None
    language: str | None = None
    """Set with command "start" (the channel's known language) or alone to switch language.
    Beside anything else (text, a choice, a file, another command) it is only the channel's
    known language: a conversation this message begins starts in it, a running one keeps
    its own (`switches_language`)."""
    language_chosen: bool = False
    """With command "start": the person chose `language` themselves (the web chat's language
    control), so the flow's language question is skipped; otherwise it is only a guess
    (browser, messenger setting) and pre-selected there."""
    session_token: bytes | None = None
    """A high-entropy secret the person's device keeps (web chat); lets it reread the case."""
    source: str | None = None
    """With command "start": the outreach source the person came from (a deep link's tag).
    Only counted, anonymously, when a new conversation starts; never tied to it."""
    client: str | None = None
    """A keyed hash of the sender's network (web chat), for the limit on new conversations
    per client; None where the channel has no such thing. Never stored or logged."""
    in_reply_to: int | None = None
    """The transcript number of the question a pressed button belongs to (Telegram keeps old
    keyboards): a button of any other question than the current one is refused, so an old
    button never changes an answer or reaches a case."""
    attachment: bytes | ArrivedFile | None = dataclasses.field(default=None, repr=False)
    """A file the person sent, as it came (the conversation service checks and cleans it,
    bot/evidence): its bytes, or where they wait (the web chat spools an upload to disk,
    encrypted, while it arrives). Never shown in a repr or a log."""
    caption: str | None = dataclasses.field(default=None, repr=False)
    """What the person wrote with `attachment` (a messenger's caption): kept with the file
    in the transcript and searched for crisis words, never taken as an answer to a question
    (the person described the file; they did not answer)."""

    @property
    def switches_language(self) -> bool:
        """`language` is to be taken now: alone (the person chose it) or with "start"."""
        if self.language is None:
            return False
        others = (self.text, self.choice, self.choices, self.attachment)
        return self.command == "start" or (self.command is None and all(x is None for x in others))

    def __post_init__(self) -> None:
        # Whatever the adapter parsed (PTB's own JSON when polling, too): nothing unstorable
        # gets past the edge.
        for name in _INBOUND_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str | tuple):
                object.__setattr__(self, name, without_lone_surrogates(value))
        given = [
            x
            for x in (self.text, self.choice, self.choices, self.command, self.attachment)
            if x is not None
        ]
        if len(given) > 1:
            raise InvalidMessage(
                "a message carries text, a choice, choices, a command or a file, not several"
            )
        if not given and self.language is None:
            raise InvalidMessage("empty message")
        if not self.address or not self.client_message_id:
            raise InvalidMessage("address and client message id are required")
        if self.text is not None and len(self.text) > MAX_TEXT_LENGTH:
            raise InvalidMessage(f"text longer than {MAX_TEXT_LENGTH} characters")
        if self.caption is not None and (
            self.attachment is None or len(self.caption) > MAX_TEXT_LENGTH
        ):
            raise InvalidMessage("a caption comes with a file and is no longer than a text")
        if self.source is not None and (
            self.command != "start" or not SOURCE_TAG.fullmatch(self.source)
        ):
            raise InvalidMessage("a source tag is 1 to 32 letters, digits, _ or -, with start")


_INBOUND_FIELDS = tuple(field.name for field in fields(InboundMessage))
"""Named once: `dataclasses.fields` rebuilds its answer at every call, and every message that
arrives is checked here."""


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    short: str = ""
    """A short form of a long label, for a channel whose buttons are narrow."""


@dataclass(frozen=True)
class Link:
    """`text` as it stands in a message's text, and where it leads (tel:, mailto:, https:)."""

    text: str
    href: str


@dataclass(frozen=True)
class OutboundMessage:
    """One message for the person, rendered by the channel as it can (buttons or numbered text)."""

    delivery_id: str
    """Stable across retries of the same message, for receivers that deduplicate."""
    address: str
    text: str
    sender: Literal["bot", "counsellor", "system"] = "bot"
    kind: Literal["prompt", "info", "crisis", "error"] = "info"
    language: str = "de"
    expects: Literal["none", "choice", "choices", "text", "date"] = "none"
    choices: tuple[Option, ...] = ()
    exclusive: tuple[str, ...] = ()
    """Choice ids that can only be picked on their own (a web page unticks the others)."""
    min_choices: int = 0
    max_choices: int | None = None
    max_length: int | None = None
    actions: tuple[Option, ...] = ()
    """Navigation the channel may offer as buttons: back, restart, skip, done."""
    seq: int | None = None
    """Position in the conversation's transcript, for channels that replay history."""
    case_code: str | None = None
    """Set on the message that tells the person their case code (after handover)."""
    suggested: tuple[str, ...] = ()
    """Choice ids to show pre-selected for the person to confirm (free-text understanding)."""
    more: str = ""
    """Detail the person can open ("Mehr dazu"); a channel without such a control shows it
    after the text."""
    owner: str | None = None
    """Set on a notice that the case changed hands (closed by the office, reopened by a
    message, a new conversation begun), so a live page can follow: the new owner."""
    links: tuple[Link, ...] = ()
    """Parts of `text` that are links (the office's phone, e-mail, web page): a page shows
    them as links; a text-only channel sends the text as it is."""


class SlowDown(Exception):
    """The backend refused a message for now (too many from this sender or network): nothing
    of it was stored, so it may be sent again later with the same id. The channel asks the
    person to wait, in words that say nothing more (a held sender is not told they are held)."""


class FileRefused(Exception):
    """The backend did not take a file (nothing of it was stored). `reason` is a code safe to
    log that the channel turns into words (see bot/conversation/service.py
    `AttachmentRefused` for the codes)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DeliveryFailed(Exception):
    """Try again later; `retry_after` seconds when the peer said how long to wait."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class RecipientUnreachable(Exception):
    """The person can no longer be reached on this channel (e.g. blocked the bot)."""


class Channel(Protocol):
    name: str

    async def send(self, message: OutboundMessage) -> None:
        """Deliver or raise DeliveryFailed / RecipientUnreachable. May be called again with the
        same delivery_id after a crash."""
        ...


@runtime_checkable
class TypingChannel(Protocol):
    """A channel that can show the person that a counsellor is typing (optional)."""

    async def typing(self, address: str) -> None:
        """Best effort and never retried: a lost typing hint harms nobody."""
        ...
