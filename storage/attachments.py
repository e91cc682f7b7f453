"""Files people send, stored in encrypted pieces beside their transcript line.

A file is one transcript line (sender "person", body `{"attachment": {...}}` with its type,
size, piece count and SHA-256) plus its pieces in `attachment_chunks`. Before handover the
pieces are under the server key like the line (the bot phase must reseal them); the
handover reseals them to the case public key, and every piece sent later is sealed at once.
Associated data: case id (or conversation id) + line number + piece index, so a piece moved
to another case, line or position fails to open. The line's SHA-256 (inside the MAC'd,
sealed line) catches pieces that were added, dropped or sealed by someone else.

Deletion goes with the conversation (explicit deletes here, and ON DELETE CASCADE).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import delete, func, select

from storage import conversations
from storage.crypto import CryptoError, aad_for, open_sealed, seal
from storage.integrity import IntegrityError, require
from storage.models import AttachmentChunk, Case, Conversation, Message
from storage.sqlite_driver import large_step
from storage.store import Tx, from_json

CHUNK: Final = 512 * 1024
PURPOSE: Final = "attachment"


@dataclass(frozen=True)
class Usage:
    files: int
    bytes: int


@dataclass(frozen=True, repr=False)
class StoredFile:
    meta: dict[str, Any]
    data: bytes

    def __repr__(self) -> str:
        return f"StoredFile({self.meta.get('type')}, {len(self.data)} bytes)"


def _server_aad(conversation_id: int, seq: int, idx: int) -> bytes:
    return aad_for("attachment", conversation_id, seq, idx)


def _case_aad(case_id: int, seq: int, idx: int) -> bytes:
    return aad_for("case-attachment", case_id, seq, idx)


def line_body(media_type: str, data: bytes, **extra: int | None) -> dict[str, Any]:
    """What the transcript line says about a file (sealed with the line)."""
    meta: dict[str, Any] = {
        "type": media_type,
        "size": len(data),
        "chunks": max(1, -(-len(data) // CHUNK)),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    meta.update({k: v for k, v in extra.items() if v is not None})
    return {"attachment": meta}


async def usage(tx: Tx, conversation_id: int) -> Usage:
    """How many files the conversation holds and how many bytes they take (ciphertext
    lengths: clear metadata, as for every row)."""
    row = (
        await tx.session.execute(
            select(
                func.count(func.distinct(AttachmentChunk.seq)),
                func.coalesce(func.sum(func.length(AttachmentChunk.body_ct)), 0),
            ).where(AttachmentChunk.conversation_id == conversation_id)
        )
    ).one()
    return Usage(int(row[0]), int(row[1]))


async def add(tx: Tx, conversation_id: int, body: dict[str, Any], data: bytes) -> int:
    """Add the file's transcript line and its pieces; returns the line's number."""
    seq = await conversations.append(tx, conversation_id, "person", body)
    conv = await tx.session.get_one(Conversation, conversation_id)
    case = None if conv.case_id is None else await tx.session.get_one(Case, conv.case_id)
    if case is not None:
        require(tx, case, f"the public key of case {case.id}")
    for idx, start in enumerate(range(0, max(len(data), 1), CHUNK)):
        piece = data[start : start + CHUNK]
        if case is None:
            ct = tx.keys.encrypt(PURPOSE, piece, _server_aad(conversation_id, seq, idx))
        else:
            ct = seal(case.public_key, piece, _case_aad(case.id, seq, idx))
        tx.session.add(
            AttachmentChunk(
                conversation_id=conversation_id,
                seq=seq,
                idx=idx,
                sealed=case is not None,
                body_ct=ct,
            )
        )
    await tx.session.flush()
    return seq


async def reseal_to_case(tx: Tx, conversation_id: int, case_id: int, public_key: bytes) -> int:
    """At handover: every piece sent in the bot phase is sealed to the case key."""
    # Up to the case's file limit (hundreds of megabytes): read and written on SQLite's
    # thread even inside a message's unit, whose other statements run in place.
    with large_step(await tx.session.connection()):
        rows = await tx.session.scalars(
            select(AttachmentChunk).where(
                AttachmentChunk.conversation_id == conversation_id,
                AttachmentChunk.sealed.is_(False),
            )
        )
        count = 0
        for row in rows:
            plain = tx.keys.decrypt(
                PURPOSE, row.body_ct, _server_aad(conversation_id, row.seq, row.idx)
            )
            row.body_ct = seal(public_key, plain, _case_aad(case_id, row.seq, row.idx))
            row.sealed = True
            count += 1
        await tx.session.flush()
    return count


async def read(tx: Tx, case_id: int, seq: int, private_key: bytes) -> StoredFile:
    """The file of line `seq` of the case, decrypted and checked against its line. Raises
    LookupError when the line is no file, CryptoError when anything was altered."""
    found = (
        await tx.session.execute(
            select(Message, Conversation)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.case_id == case_id, Message.seq == seq)
        )
    ).first()
    if found is None:
        raise LookupError(f"case {case_id} has no line {seq}")
    line, conv = found
    require(tx, conv, f"the conversation of case {case_id}")
    require(tx, line, f"line {seq} of case {case_id}")
    if not line.sealed:
        raise CryptoError(f"line {seq} of case {case_id} is not sealed to the case")
    body = from_json(open_sealed(private_key, line.body_ct, aad_for("case-message", case_id, seq)))
    meta = body.get("attachment") if isinstance(body, dict) else None
    if not isinstance(meta, dict):
        raise LookupError(f"line {seq} of case {case_id} is no file")
    rows = list(
        await tx.session.scalars(
            select(AttachmentChunk)
            .where(AttachmentChunk.conversation_id == conv.id, AttachmentChunk.seq == seq)
            .order_by(AttachmentChunk.idx)
        )
    )
    if [r.idx for r in rows] != list(range(int(meta.get("chunks", -1)))):
        raise IntegrityError(f"the file of line {seq} of case {case_id} lacks pieces")
    pieces = []
    for row in rows:
        if not row.sealed:
            raise CryptoError(f"a piece of line {seq} of case {case_id} is not sealed")
        pieces.append(open_sealed(private_key, row.body_ct, _case_aad(case_id, seq, row.idx)))
    data = b"".join(pieces)
    if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), str(meta.get("sha256"))):
        raise IntegrityError(f"the file of line {seq} of case {case_id} was changed")
    return StoredFile(meta, data)


async def delete_for(tx: Tx, conversation_ids: list[int]) -> None:
    await tx.session.execute(
        delete(AttachmentChunk).where(AttachmentChunk.conversation_id.in_(conversation_ids))
    )
