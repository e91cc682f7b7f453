"""Internal notes and closing documentation of a case, readable only with the team key.

Sealed to the team's public key rather than the case key: the person's case code unwraps the
case key, and notes are the office's working papers, not part of the person's conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from storage.crypto import CryptoError, aad_for, open_sealed, seal
from storage.integrity import require, stamp
from storage.models import CaseNote, Counsellor
from storage.store import Tx, from_json, to_json
from storage.teams import active_team_key


@dataclass(frozen=True)
class Note:
    id: int
    kind: str
    author: str | None
    body: dict[str, Any]
    created_at: datetime


def _aad(case_id: int, note_id: int, kind: str, team_key_id: int) -> bytes:
    return aad_for("case-note", case_id, note_id, kind, team_key_id)


async def add(
    tx: Tx, case_id: int, team_id: str, author_id: int | None, kind: str, body: dict[str, Any]
) -> int:
    """Seal `body` for the team's current key; writing needs no secret, like every case line."""
    key_id, public = await active_team_key(tx, team_id)
    note = CaseNote(
        case_id=case_id,
        team_key_id=key_id,
        author_id=author_id,
        kind=kind,
        body_ct=b"",
        created_at=tx.now,
    )
    tx.session.add(note)
    await tx.session.flush()
    note.body_ct = seal(public, to_json(body), _aad(case_id, note.id, kind, key_id))
    stamp(tx, note)
    await tx.session.flush()
    return note.id


async def read(tx: Tx, case_id: int, team_keys: dict[int, bytes]) -> list[Note]:
    """The case's notes, oldest first. Raises CryptoError if one was altered or moved between
    cases; a note sealed for a key the reader lacks raises too (it is not theirs to read)."""
    rows = await tx.session.execute(
        select(CaseNote, Counsellor.username)
        .outerjoin(Counsellor, Counsellor.id == CaseNote.author_id)
        .where(CaseNote.case_id == case_id)
        .order_by(CaseNote.id)
    )
    notes = []
    for note, username in rows:
        require(tx, note, f"note {note.id} of case {case_id}")
        private = team_keys.get(note.team_key_id)
        if private is None:
            raise CryptoError(f"note {note.id} is sealed for a key this session does not hold")
        body = from_json(
            open_sealed(private, note.body_ct, _aad(case_id, note.id, note.kind, note.team_key_id))
        )
        notes.append(Note(note.id, note.kind, username, body, note.created_at))
    return notes


async def reseal_for_team(
    tx: Tx, case_id: int, team_keys: dict[int, bytes], new_team_id: str
) -> None:
    """Reseal every note of the case for another team (a transfer); the old team keeps none."""
    key_id, public = await active_team_key(tx, new_team_id)
    rows = await tx.session.scalars(select(CaseNote).where(CaseNote.case_id == case_id))
    for note in rows:
        private = team_keys.get(note.team_key_id)
        if private is None:
            raise CryptoError(f"note {note.id} is sealed for a key this session does not hold")
        require(tx, note, f"note {note.id} of case {case_id}")
        plain = open_sealed(
            private, note.body_ct, _aad(case_id, note.id, note.kind, note.team_key_id)
        )
        note.body_ct = seal(public, plain, _aad(case_id, note.id, note.kind, key_id))
        note.team_key_id = key_id
        stamp(tx, note)
    await tx.session.flush()
