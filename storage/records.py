"""Plain records that storage hands out; no session or ORM object leaves storage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from storage.held import NewReply

Owner = Literal["bot", "queued", "counsellor", "closed"]
CaseStatus = Literal["waiting", "claimed", "closed"]


@dataclass(frozen=True)
class ContactRef:
    id: int
    channel: str
    pseudonym: str
    unreachable: bool
    blocked: bool = False
    new: bool = False
    """Created by this transaction: it has had no conversation, so no earlier case."""


@dataclass(frozen=True)
class ConversationRef:
    id: int
    contact_id: int
    owner: Owner
    language: str
    flow_version_id: int
    case_id: int | None
    previous_case_id: int | None
    updated_at: datetime


@dataclass(frozen=True)
class FlowVersionRef:
    id: int
    flow_id: str
    number: int | None
    source: str
    digest: str
    published_at: datetime
    published_by: str
    note: str


@dataclass(frozen=True)
class CaseCreated:
    case_id: int
    case_code: str
    """Shown to the person once; stored only as a keyed hash and as a key-wrapping secret."""


@dataclass(frozen=True)
class QueueEntry:
    case_id: int
    team_id: str
    status: CaseStatus
    channel: str
    language: str
    crisis: bool
    incident_date: date | None
    waiting_since: datetime
    claimed_by: int | None
    claimed_at: datetime | None = None
    """When the counsellor who has the case took it (None while it waits)."""


@dataclass(frozen=True)
class TranscriptLine:
    seq: int
    sender: str
    body: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class CaseContent:
    """What a holder of the case private key can read."""

    case_id: int
    answers: dict[str, Any]
    transcript: list[TranscriptLine]


@dataclass(frozen=True)
class Delivery:
    outbox_id: int
    delivery_id: str
    """What the receiver deduplicates on: random, unique forever (never the row id)."""
    contact_id: int
    channel: str
    address: str
    payload: dict[str, Any]
    attempts: int


@dataclass
class DirectPush:
    """A unit of work's replies to the person who wrote, handed back to be sent at once
    after the commit instead of waiting for a delivery round (bot/delivery/worker.py `push`).

    Their outbox rows are written as usual, already leased to this process: a crash before
    they are sent or deleted only means the worker offers them again under the same delivery
    ids. Not used when earlier replies to the person still wait in the outbox (order)."""

    channel: str
    address: str
    lease: timedelta
    sent: Callable[[int], frozenset[int]] = lambda _contact_id: frozenset()
    """A contact's rows pushed before and sent, not deleted yet: they do not hold the next
    reply back. Asked for the one contact of the unit, so the query names a handful of ids,
    not every row the process is about to delete."""
    contact_id: int | None = None
    """Set once the unit knows who wrote; replies to anyone else go the usual way."""
    earlier_waiting: bool | None = None
    """Whether an earlier reply to the person still waits in the outbox, if the message's
    arrival already asked (storage/arrival.py); None: asked when the first reply is queued."""
    rows: list[tuple[NewReply, dict[str, Any]]] = field(default_factory=list)
    """The outbox rows to push with their payloads; their ids exist once committed
    (storage/outbox.py `pushed`)."""
    ruled_out: bool = False
