"""Row MACs: what someone who can write to the database, but lacks the server key, cannot
forge, move or silently delete.

Sealing needs only public keys, and a sealed row's associated data binds where it sits, not
who wrote it. So a database writer could insert transcript lines, swap a case's answers, or
add a team key of their own (with a wrap sealed to a counsellor's public key) that new cases
would then be sealed to. Every row that carries a public key or sealed content therefore also
carries a MAC under a server-key subkey over its place and metadata, written where the row is
written and checked where it is used: public keys before anything is sealed to them, sealed
content when it is read. Each conversation's MAC covers its next sequence number, so a line
deleted from the end (or the middle) of a transcript shows as a gap.

What remains against someone who holds the server key as well is in docs/threat-model.md.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final, TypeAlias

from sqlalchemy import select

from storage import meta
from storage.crypto import CryptoError, ServerKey, aad_for
from storage.held import HeldConversation, NewLine
from storage.models import (
    Case,
    CaseNote,
    Contact,
    Conversation,
    Counsellor,
    Message,
    OutboxItem,
    Team,
    TeamKey,
)
from storage.store import Tx

log = logging.getLogger(__name__)

Stamped: TypeAlias = (
    Team
    | TeamKey
    | Counsellor
    | Case
    | Conversation
    | HeldConversation
    | Message
    | NewLine
    | CaseNote
)


class IntegrityError(CryptoError):
    """A row was not written by this service (or was changed, moved or deleted since)."""


def _digest(blob: bytes | None) -> str:
    return hashlib.sha256(blob or b"").hexdigest()


def _seconds(moment: datetime) -> int:
    """Whole seconds: the same value whichever database stored and returned the time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _team(row: Team) -> bytes:
    return aad_for("team", row.id, (row.recovery_public_key or b"").hex())


def _team_key(row: TeamKey) -> bytes:
    return aad_for("team-key", row.id, row.team_id, row.public_key.hex())


def _counsellor(row: Counsellor) -> bytes:
    return aad_for("counsellor", row.id, row.public_key.hex())


def _case(row: Case) -> bytes:
    return aad_for("case", row.id, row.public_key.hex(), _digest(row.summary_ct))


def _conversation(row: Conversation | HeldConversation) -> bytes:
    return aad_for("conversation", row.id, row.contact_id, row.case_id or 0, row.next_seq)


def _message(row: Message | NewLine) -> bytes:
    return aad_for(
        "message",
        row.conversation_id,
        row.seq,
        row.sender,
        int(row.sealed),
        _seconds(row.created_at),
        _digest(row.body_ct),
    )


def _note(row: CaseNote) -> bytes:
    return aad_for(
        "note",
        row.case_id,
        row.id,
        row.team_key_id,
        row.author_id or 0,
        row.kind,
        _seconds(row.created_at),
        _digest(row.body_ct),
    )


_PARTS: Final[dict[type, Callable[..., bytes]]] = {
    Team: _team,
    TeamKey: _team_key,
    Counsellor: _counsellor,
    Case: _case,
    Conversation: _conversation,
    Message: _message,
    CaseNote: _note,
}


def _mac(keys: ServerKey, row: Stamped) -> bytes:
    # A light unit's plain conversation row (storage/held.py) has the ORM row's MAC.
    if isinstance(row, HeldConversation):
        return keys.mac("row", _conversation(row))
    if isinstance(row, NewLine):  # the same MAC as the `Message` row it becomes
        return keys.mac("row", _message(row))
    return keys.mac("row", _PARTS[type(row)](row))


def stamp(tx: Tx, row: Stamped) -> None:
    """Write the row's MAC; call after every change to what it covers (ids must be set)."""
    row.mac = stamped(tx, row)


def stamped(tx: Tx, row: Stamped) -> bytes:
    """The MAC the row needs as it is now."""
    return _mac(tx.keys, row)


def intact(tx: Tx, row: Stamped) -> bool:
    return row.mac is not None and hmac.compare_digest(row.mac, _mac(tx.keys, row))


def require(tx: Tx, row: Stamped, what: str) -> None:
    """Refuse a row this service did not write, with a line an operator can act on."""
    if not intact(tx, row):
        log.error("integrity check failed: %s", what)
        raise IntegrityError(f"{what} failed its integrity check (not written by this service)")


# ------------------------------------------------------------ associated data of server rows


def address_aad(contact_id: int, channel: str, pseudonym: str) -> bytes:
    """Binds a channel address to its contact row: moving it to another contact (replies
    redirected to someone else's chat) or another channel makes it unreadable."""
    return aad_for("address", contact_id, channel, pseudonym)


def outbox_aad(contact_id: int, delivery_id: str) -> bytes:
    """Binds a reply to its contact and its delivery: a payload swapped into another row or
    another person's queue is unreadable, and a copied row carries the same delivery id (the
    receivers drop it as a duplicate)."""
    return aad_for("outbox", contact_id, delivery_id)


# ------------------------------------------------------------------------------ upgrading

BACKFILLED: Final = "row_macs_v1"


async def backfill(tx: Tx) -> bool:
    """Once, at the first start after migration 0008 (which cannot read the server key):
    stamp every existing row and re-encrypt addresses and waiting replies under their new
    associated data. Rows present at the upgrade are trusted as they are. True if it ran."""
    if await meta.get(tx, BACKFILLED) is not None:
        return False
    for model in _PARTS:
        rows: list[Stamped] = list(await tx.session.scalars(select(model).filter_by(mac=None)))
        for row in rows:
            stamp(tx, row)
    for contact in await tx.session.scalars(select(Contact)):
        address = tx.keys.decrypt(
            "address", contact.address_ct, aad_for("address", contact.pseudonym)
        )
        contact.address_ct = tx.keys.encrypt(
            "address", address, address_aad(contact.id, contact.channel, contact.pseudonym)
        )
    for item in await tx.session.scalars(select(OutboxItem)):
        payload = tx.keys.decrypt("outbox", item.payload_ct, aad_for("outbox", item.contact_id))
        item.payload_ct = tx.keys.encrypt(
            "outbox", payload, outbox_aad(item.contact_id, item.delivery_id)
        )
    await meta.put(tx, BACKFILLED, "1")
    tx.removed_secrets("re-encrypted under new associated data")
    await tx.session.flush()
    return True
