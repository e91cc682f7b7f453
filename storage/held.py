"""What a light unit of work holds (storage/light.py): its connection, and the conversation
rows it read, as plain objects instead of the ORM's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

if TYPE_CHECKING:
    from storage.pg_direct import DirectConnection


class NeedsFullUnit(Exception):
    """A light unit of work (storage/light.py) met something only a session does: nothing
    it did stays, and the caller runs the unit again with `Store.tx`."""


@dataclass(slots=True, eq=False)
class HeldConversation:
    """The columns of a conversation row a turn reads and changes, as read (then as changed:
    storage/pending.py `change`); its MAC covers the same ones as the ORM row's
    (storage/integrity.py)."""

    id: int
    contact_id: int
    case_id: int | None
    next_seq: int
    state_ct: bytes | None
    mac: bytes | None
    language: str
    updated_at: datetime


@dataclass(slots=True, eq=False)
class NewLine:
    """A transcript line a unit writes (storage/pending.py), as a plain object: the ORM's
    instance set-up for a row it never tracks cost more than the line's encryption. Its
    MAC covers the same as a `Message` row's (storage/integrity.py)."""

    conversation_id: int
    seq: int
    sender: str
    sealed: bool
    body_ct: bytes
    created_at: datetime
    mac: bytes | None = None


@dataclass(slots=True, eq=False)
class NewReply:
    """A reply a unit queues in the outbox (storage/outbox.py `enqueue`), as a plain object
    for the same reason as `NewLine`; `id` is set once the row is inserted, and only for a
    reply pushed at once (storage/pending.py)."""

    contact_id: int
    delivery_id: str
    payload_ct: bytes
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    lease_until: datetime | None = None
    last_error: str | None = None
    id: int | None = None


KNOWN_CONTACTS_AT_MOST = 100_000
"""Entries of `KnownContacts` (about 20 MiB at most); when full it starts again empty."""


class KnownContacts(dict[str, int]):
    """Contact pseudonym -> contact id, as light units last read them, shared by a store's
    units: a message of a known contact reads its row and takes its receipt in one trip
    (storage/arrival.py). Only a guess, checked in that trip: a contact deleted and another
    given its id makes the unit fall back."""

    def remember(self, pseudonym: str, contact_id: int) -> None:
        if len(self) >= KNOWN_CONTACTS_AT_MOST:
            self.clear()
        self[pseudonym] = contact_id


@dataclass(eq=False)
class Held:
    conn: AsyncConnection | DirectConnection
    """SQLite: the group commit's connection; PostgreSQL: asyncpg's (storage/pg_direct.py)."""
    known: KnownContacts = field(default_factory=KnownContacts)
    conversations: dict[int, HeldConversation] = field(default_factory=dict)
