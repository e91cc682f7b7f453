"""Cases: created at handover with their own key pair; read only with a key that unwraps it.

Every case has an X25519 key pair. The public key is in the clear so the server can always
write (seal) to the case; the private key exists only wrapped — for the team key, for the
person's case code and, on the web chat, for their browser session token.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update

from storage import attachments, conversations, notes
from storage.case_material import CaseMaterial
from storage.crypto import (
    CryptoError,
    KdfParams,
    aad_for,
    new_salt,
    normalize_case_code,
    open_sealed,
    public_key_of,
    seal,
    session_key,
    unwrap,
    wrap,
)
from storage.integrity import IntegrityError, require, stamp
from storage.kdf import slow_kdf
from storage.models import (
    Case,
    CaseKeyWrap,
    CaseNote,
    Contact,
    Conversation,
    InboundReceipt,
    Message,
    OutboxItem,
    TeamKey,
)
from storage.records import CaseContent, CaseCreated, Owner, QueueEntry, TranscriptLine
from storage.store import Tx, from_json, to_json
from storage.teams import active_team_key, is_member

log = logging.getLogger(__name__)


class HandoverConflict(Exception):
    """The conversation was no longer the bot's to hand over (another handover won)."""


@dataclass(frozen=True)
class HandoverRequest:
    conversation_id: int
    team_id: str
    answers: dict[str, Any]
    crisis: bool
    incident_date: date | None
    channel: str
    language: str
    session_token: bytes | None = None


def _wrap_aad(case_id: int, kind: str, team_key_id: int | None = None) -> bytes:
    return aad_for("case-key", case_id, kind, team_key_id or 0)


async def hand_over(tx: Tx, req: HandoverRequest, made: CaseMaterial) -> CaseCreated:
    """Create the case in the team's queue and make the conversation the queue's.

    In the same transaction: the bot-phase lines are resealed to the case key and the
    bot-phase state is wiped, so from now on only a key holder can read the conversation.
    `made`: the case's key pair and code, made before the transaction (`Store.case_material`),
    so nothing slow runs while it holds the writer.
    """
    team_key_id, team_public = await active_team_key(tx, req.team_id)
    pair, material = made.pair, made.code
    code = material.code
    tx.removed_secrets("handover")  # bot-phase lines and state under the server key
    case = Case(
        team_id=req.team_id,
        status="waiting",
        public_key=pair.public,
        code_lookup=_code_lookup(tx, code),
        summary_ct=b"",
        channel=req.channel,
        language=req.language,
        crisis=req.crisis,
        incident_date=req.incident_date,
        created_at=tx.now,
        waiting_since=tx.now,
    )
    tx.session.add(case)
    await tx.session.flush()
    case.summary_ct = seal(pair.public, to_json(req.answers), aad_for("case-summary", case.id))
    stamp(tx, case)
    tx.session.add(
        CaseKeyWrap(
            case_id=case.id,
            kind="team",
            team_key_id=team_key_id,
            wrapped=seal(team_public, pair.private, _wrap_aad(case.id, "team", team_key_id)),
        )
    )
    tx.session.add(
        CaseKeyWrap(
            case_id=case.id,
            kind="code",
            kdf_salt=material.salt,
            kdf_params=material.params.to_dict(),
            wrapped=wrap(material.key, pair.private, _wrap_aad(case.id, "code")),
        )
    )
    if req.session_token is not None:
        tx.session.add(
            CaseKeyWrap(
                case_id=case.id,
                kind="session",
                wrapped=wrap(
                    session_key(req.session_token), pair.private, _wrap_aad(case.id, "session")
                ),
            )
        )
    if not await conversations.set_owner(tx, req.conversation_id, "bot", "queued"):
        raise HandoverConflict(f"conversation {req.conversation_id} is no longer in the bot phase")
    await tx.session.execute(
        update(Conversation)
        .where(Conversation.id == req.conversation_id)
        .values(case_id=case.id, state_ct=None)
    )
    await conversations.reseal_to_case(tx, req.conversation_id, case.id, pair.public)
    await attachments.reseal_to_case(tx, req.conversation_id, case.id, pair.public)
    await tx.session.flush()
    return CaseCreated(case.id, code)


async def complete_intake(
    tx: Tx, conversation_id: int, case_id: int, answers: dict[str, Any], incident: date | None
) -> None:
    """The final handover of a case created at once on the danger path: the answers given
    since (the whole intake) are sealed into the same case, an exact incident date now sets
    its deadline, and the bot-phase state is wiped as at every handover."""
    case = await tx.session.get_one(Case, case_id)
    require(tx, case, f"the public key of case {case_id}")
    tx.removed_secrets("intake completed")  # the bot-phase state under the server key
    case.summary_ct = seal(case.public_key, to_json(answers), aad_for("case-summary", case_id))
    stamp(tx, case)
    if incident is not None:
        case.incident_date = incident
    await tx.session.execute(
        update(Conversation).where(Conversation.id == conversation_id).values(state_ct=None)
    )
    await tx.session.flush()


def _code_lookup(tx: Tx, code: str) -> str:
    return tx.keys.pseudonym("case-code", normalize_case_code(code)[:4])


async def queue(tx: Tx, team_ids: list[str] | None = None) -> list[QueueEntry]:
    """Open cases (waiting or claimed); the console orders them by priority."""
    query = select(Case).where(Case.status != "closed")
    if team_ids is not None:
        query = query.where(Case.team_id.in_(team_ids))
    rows = await tx.session.scalars(query.order_by(Case.id))
    return [
        QueueEntry(
            r.id,
            r.team_id,
            r.status,  # type: ignore[arg-type]  # the column holds only CaseStatus values
            r.channel,
            r.language,
            r.crisis,
            r.incident_date,
            r.waiting_since,
            r.claimed_by,
            r.claimed_at,
        )
        for r in rows
    ]


async def entry(tx: Tx, case_id: int) -> QueueEntry | None:
    """One case's plaintext queue fields (also of a closed case); None if there is none."""
    r = await tx.session.get(Case, case_id)
    if r is None:
        return None
    return QueueEntry(
        r.id,
        r.team_id,
        r.status,  # type: ignore[arg-type]  # the column holds only CaseStatus values
        r.channel,
        r.language,
        r.crisis,
        r.incident_date,
        r.waiting_since,
        r.claimed_by,
        r.claimed_at,
    )


async def claim(tx: Tx, case_id: int, counsellor_id: int) -> bool:
    """Take a waiting case. Of two counsellors claiming at once exactly one wins: the update
    is conditional on the case still waiting, and the loser's changes nothing."""
    return await _move(
        tx,
        case_id,
        Case.status == "waiting",
        {"status": "claimed", "claimed_by": counsellor_id, "claimed_at": tx.now},
        ("queued", "counsellor"),
    )


async def release(tx: Tx, case_id: int, counsellor_id: int) -> bool:
    """Give a claimed case back to the team's queue; it keeps its place (waiting_since)."""
    return await _move(
        tx,
        case_id,
        (Case.status == "claimed") & (Case.claimed_by == counsellor_id),
        {"status": "waiting", "claimed_by": None, "claimed_at": None},
        ("counsellor", "queued"),
    )


async def close(tx: Tx, case_id: int, counsellor_id: int) -> bool:
    return await _move(
        tx,
        case_id,
        (Case.status == "claimed") & (Case.claimed_by == counsellor_id),
        {"status": "closed", "closed_at": tx.now},
        ("counsellor", "closed"),
    )


async def reopen(tx: Tx, case_id: int) -> bool:
    """Put a closed case back into its team's queue, because the person wrote again.

    It waits from now on like a new case (nobody holds it), and its closing time goes, so the
    retention period no longer runs. False (nothing changed) unless it is still closed.
    """
    return await _move(
        tx,
        case_id,
        Case.status == "closed",
        {
            "status": "waiting",
            "claimed_by": None,
            "claimed_at": None,
            "closed_at": None,
            "waiting_since": tx.now,
        },
        ("closed", "queued"),
    )


async def correct_incident_date(tx: Tx, case_id: int, day: date | None) -> bool:
    """The counsellor's correction of the incident date (None: unknown); the queue orders
    by it from now on. A closed case keeps what it had."""
    result = await tx.session.execute(
        update(Case)
        .where((Case.id == case_id) & (Case.status != "closed"))
        .values(incident_date=day)
    )
    return bool(getattr(result, "rowcount", 0))


async def mark_crisis(tx: Tx, case_id: int) -> bool:
    """The person wrote crisis words to a case that was not a crisis: the queue puts it
    first from now on. False: it was one already, or it is closed."""
    result = await tx.session.execute(
        update(Case)
        .where((Case.id == case_id) & (Case.status != "closed") & Case.crisis.is_(False))
        .values(crisis=True)
    )
    return bool(getattr(result, "rowcount", 0))


async def transfer_to_colleague(
    tx: Tx, case_id: int, counsellor_id: int, colleague_id: int
) -> bool:
    """Hand a case one has claimed to a colleague of the same team; they hold it from now on.

    False (nothing changed) unless the case is still claimed by `counsellor_id` and the
    colleague is an active member of the case's team."""
    team_id = await tx.session.scalar(select(Case.team_id).where(Case.id == case_id))
    if team_id is None or colleague_id == counsellor_id:
        return False
    if not await is_member(tx, team_id, colleague_id):
        return False
    return await _move(
        tx,
        case_id,
        (Case.status == "claimed") & (Case.claimed_by == counsellor_id),
        {"claimed_by": colleague_id, "claimed_at": tx.now},
        ("counsellor", "counsellor"),
    )


async def transfer_to_team(
    tx: Tx, case_id: int, counsellor_id: int, new_team_id: str, team_keys: dict[int, bytes]
) -> bool:
    """Move a waiting case, or one `counsellor_id` has claimed, into another team's queue.

    The case key is rewrapped for the new team's key and every wrap for the old team is
    deleted, so the old team can no longer read the case; notes are resealed likewise. It
    keeps its place by waiting time. False (nothing changed) if the case moved meanwhile or
    the given team keys do not open it.
    """
    case = await tx.session.get(Case, case_id)
    if case is None or case.team_id == new_team_id:
        return False
    private = await private_key_for_team(tx, case_id, team_keys)
    if private is None:
        return False
    owners: tuple[Owner, Owner] = (
        ("counsellor", "queued") if case.status == "claimed" else ("queued", "queued")
    )
    moved = await _move(
        tx,
        case_id,
        (Case.team_id == case.team_id)
        & (
            (Case.status == "waiting")
            | ((Case.status == "claimed") & (Case.claimed_by == counsellor_id))
        ),
        {"team_id": new_team_id, "status": "waiting", "claimed_by": None, "claimed_at": None},
        owners,
    )
    if not moved:
        return False
    await _wrap_for_team(tx, case_id, private, team_keys, new_team_id)
    return True


async def _wrap_for_team(
    tx: Tx, case_id: int, private: bytes, team_keys: dict[int, bytes], team_id: str
) -> None:
    """The case key wrapped for `team_id`'s current key only, and the notes resealed to it:
    every other team wrap goes (a transfer, or a rotation after a member left)."""
    key_id, public = await active_team_key(tx, team_id)
    await tx.session.execute(
        delete(CaseKeyWrap).where(CaseKeyWrap.case_id == case_id, CaseKeyWrap.kind == "team")
    )
    tx.session.add(
        CaseKeyWrap(
            case_id=case_id,
            kind="team",
            team_key_id=key_id,
            wrapped=seal(public, private, _wrap_aad(case_id, "team", key_id)),
        )
    )
    await notes.reseal_for_team(tx, case_id, team_keys, team_id)


async def _move(
    tx: Tx,
    case_id: int,
    condition: ColumnElement[bool],
    values: dict[str, Any],
    owners: tuple[Owner, Owner],
) -> bool:
    """A case state change that happens only if `condition` still holds, together with the
    matching change of the conversation's owner; False (and nothing changed) otherwise."""
    result = await tx.session.execute(
        update(Case).where(Case.id == case_id, condition).values(**values)
    )
    if getattr(result, "rowcount", 0) != 1:
        return False
    await _set_conversation_owner(tx, case_id, *owners)
    return True


async def _set_conversation_owner(tx: Tx, case_id: int, expected: Owner, new: Owner) -> None:
    conv_id = await tx.session.scalar(
        select(Conversation.id)
        .where(Conversation.case_id == case_id, Conversation.owner == expected)
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    if conv_id is not None:
        await conversations.set_owner(tx, conv_id, expected, new)


async def conversation_of(tx: Tx, case_id: int) -> tuple[int, int, str] | None:
    """(conversation id, contact id, owner) of the case's open conversation."""
    query = (
        select(Conversation.id, Conversation.contact_id, Conversation.owner)
        .where(Conversation.case_id == case_id)
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    if tx.locks_rows:
        # The same row lock the person's messages take: one writer per conversation at a time.
        query = query.with_for_update()
    row = (await tx.session.execute(query)).first()
    return None if row is None else (row[0], row[1], row[2])


async def contact_unreachable(tx: Tx, case_id: int) -> bool:
    """Whether the person of the case can no longer be reached (e.g. blocked the bot)."""
    value = await tx.session.scalar(
        select(Contact.unreachable)
        .join(Conversation, Conversation.contact_id == Contact.id)
        .where(Conversation.case_id == case_id)
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    return bool(value)


async def last_seq(tx: Tx, case_id: int) -> int:
    """The number of the newest transcript line of the case (0 without any)."""
    value = await tx.session.scalar(
        select(func.max(Message.seq))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.case_id == case_id)
    )
    return int(value or 0)


async def status_of(tx: Tx, case_id: int) -> tuple[str, int | None, str] | None:
    """(status, claimed_by, language) of a case, row-locked on PostgreSQL so that a release or
    close cannot slip in between this check and what the caller writes next."""
    query = select(Case.status, Case.claimed_by, Case.language).where(Case.id == case_id)
    if tx.locks_rows:
        query = query.with_for_update()
    row = (await tx.session.execute(query)).first()
    return None if row is None else (row[0], row[1], row[2])


async def private_key_for_team(tx: Tx, case_id: int, team_keys: dict[int, bytes]) -> bytes | None:
    """Unwrap the case key with any of the given team keys; None without a fitting one."""
    wraps = await tx.session.scalars(
        select(CaseKeyWrap).where(CaseKeyWrap.case_id == case_id, CaseKeyWrap.kind == "team")
    )
    for w in wraps:
        if w.team_key_id in team_keys:
            return open_sealed(
                team_keys[w.team_key_id], w.wrapped, _wrap_aad(case_id, "team", w.team_key_id)
            )
    return None


async def private_key_for_code(tx: Tx, typed: str) -> tuple[int, bytes] | None:
    """The case and its private key for a case code the person typed; None if it fits none.
    In the transaction: `code_wraps` then `open_with_code`, which callers that have others
    waiting for the database call with no transaction between them."""
    return await open_with_code(await code_wraps(tx, typed), tx.kdf)


@dataclass(frozen=True)
class CodeWraps:
    """A typed code and the case key wraps it may open (`code_wraps`), for `open_with_code`."""

    code: str
    wraps: tuple[tuple[int, bytes, bytes, KdfParams], ...]
    """(case id, wrapped key, salt, derivation costs), costs at or above the floor only."""


async def code_wraps(tx: Tx, typed: str) -> CodeWraps | None:
    """What `open_with_code` tries a typed case code against; None for a code that is no
    code at all (malformed)."""
    try:
        code = normalize_case_code(typed)
    except ValueError:
        return None
    rows = await tx.session.scalars(
        select(CaseKeyWrap)
        .join(Case, Case.id == CaseKeyWrap.case_id)
        .where(Case.code_lookup == _code_lookup(tx, code), CaseKeyWrap.kind == "code")
    )
    wraps = []
    for w in rows:
        if w.kdf_salt is None or w.kdf_params is None:
            continue
        params = KdfParams.from_dict(w.kdf_params)
        if params.weaker_than(tx.kdf.floor()):
            # A wrap made cheap to guess is not one this installation wrote; it opens nothing.
            log.error("case %s: code wrap below the key derivation floor; ignored", w.case_id)
            continue
        wraps.append((w.case_id, w.wrapped, w.kdf_salt, params))
    return CodeWraps(code, tuple(wraps))


async def open_with_code(found: CodeWraps | None, kdf: KdfParams) -> tuple[int, bytes] | None:
    """The case and its private key the code opens, outside any transaction (the slow part:
    on SQLite even a read transaction would hold its snapshot through it, and a checkpoint
    that clears the write-ahead log waits for that while holding the writer). `kdf`: the
    costs this installation writes. None if it opens none.

    Costs one Argon2id derivation per case sharing the code's first group (usually one), which
    is also what makes guessing expensive; callers rate-limit attempts on top. A code whose
    first group fits no case costs one derivation too: otherwise the answer time would tell
    a guesser which first groups belong to real cases (~0.3 s against ~0.02 s).
    """
    if found is None:
        return None
    code = found.code
    for case_id, wrapped, salt, params in found.wraps:
        key = await slow_kdf(code, salt, params)
        try:
            return case_id, unwrap(key, wrapped, _wrap_aad(case_id, "code"))
        except CryptoError:
            continue
    if not found.wraps:
        # The same work as for a real case: one derivation and an unwrap that fails.
        key = await slow_kdf(code, _DUMMY_SALT, kdf)
        with contextlib.suppress(CryptoError):
            unwrap(key, _DUMMY_WRAP, _wrap_aad(0, "code"))
    return None


_DUMMY_SALT = new_salt()
_DUMMY_WRAP = wrap(secrets.token_bytes(32), secrets.token_bytes(32), _wrap_aad(0, "code"))
"""Opened by no code: what a code whose first group fits no case is tried against."""


async def opened_by(tx: Tx, case_id: int, private_key: bytes, *, lock: bool = True) -> bool:
    """Whether the case with this id is the one the private key opens, row-locked on
    PostgreSQL (unless `lock` is False: only reading it). A key found in an earlier
    transaction may belong to a case deleted since, whose id SQLite can give to a new case:
    acting on the id alone would act on that one."""
    query = select(Case.public_key).where(Case.id == case_id)
    if tx.locks_rows and lock:
        query = query.with_for_update()
    public_key = await tx.session.scalar(query)
    return public_key is not None and hmac.compare_digest(public_key, public_key_of(private_key))


async def private_key_for_session(tx: Tx, case_id: int, token: bytes) -> bytes | None:
    """The case key for a browser session token; each device that holds the case has a wrap."""
    wraps = await tx.session.scalars(
        select(CaseKeyWrap).where(CaseKeyWrap.case_id == case_id, CaseKeyWrap.kind == "session")
    )
    key = session_key(token)
    for w in wraps:
        try:
            return unwrap(key, w.wrapped, _wrap_aad(case_id, "session"))
        except CryptoError:
            continue
    return None


async def add_session_wrap(tx: Tx, case_id: int, private_key: bytes, token: bytes) -> None:
    """Let a browser session (holding `token`) reread the case, e.g. after a resume by code."""
    tx.session.add(
        CaseKeyWrap(
            case_id=case_id,
            kind="session",
            wrapped=wrap(session_key(token), private_key, _wrap_aad(case_id, "session")),
        )
    )
    await tx.session.flush()


async def replace_code(tx: Tx, case_id: int, private_key: bytes, made: CaseMaterial) -> str:
    """A new case code: the old code and every device's session wrap stop opening the case
    (someone may have read the old code); the returned code is shown once, stored nowhere.
    `made`: made before the transaction (`Store.case_material`); only its code is used."""
    material = made.code
    code = material.code
    await tx.session.execute(
        delete(CaseKeyWrap).where(
            CaseKeyWrap.case_id == case_id, CaseKeyWrap.kind.in_(("code", "session"))
        )
    )
    tx.session.add(
        CaseKeyWrap(
            case_id=case_id,
            kind="code",
            kdf_salt=material.salt,
            kdf_params=material.params.to_dict(),
            wrapped=wrap(material.key, private_key, _wrap_aad(case_id, "code")),
        )
    )
    await tx.session.execute(
        update(Case).where(Case.id == case_id).values(code_lookup=_code_lookup(tx, code))
    )
    tx.removed_secrets("case code replaced")
    await tx.session.flush()
    return code


async def rewrap_for_current_keys(tx: Tx, team_keys: dict[int, bytes]) -> int:
    """Move open cases off retired team keys: after a rotation (a member left), every open
    case still wrapped for an older key of the team gets a wrap for the team's current key,
    its notes are resealed to it, and the old-key wraps are deleted; so a copy of an old team
    key that a leaver kept opens no open case any more. Runs at each login with the keys the
    counsellor just unlocked; returns how many cases moved."""
    retired = (
        select(CaseKeyWrap, Case.team_id)
        .join(Case, Case.id == CaseKeyWrap.case_id)
        .join(TeamKey, TeamKey.id == CaseKeyWrap.team_key_id)
        .where(
            CaseKeyWrap.kind == "team",
            Case.status != "closed",
            TeamKey.retired_at.is_not(None),
            CaseKeyWrap.team_key_id.in_(list(team_keys)),
        )
    )
    moved: set[int] = set()
    for wrap_row, team_id in (await tx.session.execute(retired)).all():
        case_id, old_key_id = wrap_row.case_id, wrap_row.team_key_id
        assert old_key_id is not None
        if case_id in moved:
            continue
        sealed_for = set(
            await tx.session.scalars(
                select(CaseNote.team_key_id).where(CaseNote.case_id == case_id)
            )
        )
        if not sealed_for <= set(team_keys):
            continue  # a note this session cannot open: a member who holds its key moves it
        private = open_sealed(
            team_keys[old_key_id], wrap_row.wrapped, _wrap_aad(case_id, "team", old_key_id)
        )
        await _wrap_for_team(tx, case_id, private, team_keys, team_id)
        moved.add(case_id)
    if moved:
        tx.removed_secrets("old team key wraps")
    await tx.session.flush()
    return len(moved)


async def pseudonym_of(tx: Tx, case_id: int) -> str | None:
    """The keyed pseudonym of the case's contact: the conversation id an external dialog
    manager (Rasa) knows it by, so its copy can be deleted with the case."""
    return await tx.session.scalar(
        select(Contact.pseudonym)
        .join(Conversation, Conversation.contact_id == Contact.id)
        .where(Conversation.case_id == case_id)
        .limit(1)
    )


async def contact_of(tx: Tx, case_id: int) -> int | None:
    """The contact whose conversation became this case."""
    return await tx.session.scalar(
        select(Conversation.contact_id).where(Conversation.case_id == case_id).limit(1)
    )


async def answers_of(tx: Tx, case_id: int, private_key: bytes) -> dict[str, Any]:
    """Only the intake answers, decrypted (the queue needs no transcript). Raises CryptoError
    if they were altered or swapped between cases."""
    case = await tx.session.get_one(Case, case_id)
    require(tx, case, f"the answers of case {case_id}")
    result: dict[str, Any] = from_json(
        open_sealed(private_key, case.summary_ct, aad_for("case-summary", case_id))
    )
    return result


async def read(tx: Tx, case_id: int, private_key: bytes) -> CaseContent:
    """Decrypt the intake answers and the transcript. Raises CryptoError if anything was altered,
    swapped between cases or reordered."""
    case = await tx.session.get_one(Case, case_id)
    require(tx, case, f"the answers of case {case_id}")
    answers = from_json(open_sealed(private_key, case.summary_ct, aad_for("case-summary", case_id)))
    return CaseContent(case_id, answers, await transcript_after(tx, case_id, private_key, 0))


async def transcript_after(
    tx: Tx, case_id: int, private_key: bytes, after: int
) -> list[TranscriptLine]:
    """The transcript lines numbered above `after`, decrypted (a live view asks for news).

    Raises CryptoError for a line this service did not write, or one deleted: every number
    below the conversation's MAC'd next number must be there. The conversation row is read
    first, so a line committed meanwhile is news, not a gap."""
    convs = list(
        await tx.session.scalars(select(Conversation).where(Conversation.case_id == case_id))
    )
    for conv in convs:
        require(tx, conv, f"the conversation of case {case_id}")
    rows = list(
        await tx.session.scalars(
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.case_id == case_id, Message.seq > after)
            .order_by(Message.seq)
        )
    )
    for conv in convs:
        seen = {m.seq for m in rows if m.conversation_id == conv.id}
        missing = sorted(set(range(after + 1, conv.next_seq)) - seen)
        if missing:
            raise IntegrityError(f"case {case_id} lacks transcript line(s) {missing[:5]}")
    lines = []
    for m in rows:
        if not m.sealed:
            raise CryptoError(f"line {m.seq} of case {case_id} is not sealed to the case")
        require(tx, m, f"line {m.seq} of case {case_id}")
        body = from_json(
            open_sealed(private_key, m.body_ct, aad_for("case-message", case_id, m.seq))
        )
        lines.append(TranscriptLine(m.seq, m.sender, body, m.created_at))
    return lines


async def closed_before(tx: Tx, moment: datetime) -> list[int]:
    """Cases closed before `moment` (due for deletion under the retention period)."""
    rows = await tx.session.scalars(
        select(Case.id).where(Case.status == "closed", Case.closed_at < moment).order_by(Case.id)
    )
    return list(rows)


async def delete_case(tx: Tx, case_id: int) -> None:
    """Crypto-shred: every wrap of the case private key goes first, then every row of the case.

    Without a wrap nothing can open what might survive in backups or old pages.
    """
    tx.removed_secrets("case deleted")
    await tx.session.execute(delete(CaseKeyWrap).where(CaseKeyWrap.case_id == case_id))
    await tx.session.execute(delete(CaseNote).where(CaseNote.case_id == case_id))
    conv_rows = (
        await tx.session.execute(
            select(Conversation.id, Conversation.contact_id).where(Conversation.case_id == case_id)
        )
    ).all()
    conv_ids = [c for c, _ in conv_rows]
    contact_ids = {k for _, k in conv_rows}
    await attachments.delete_for(tx, conv_ids)
    await tx.session.execute(delete(Message).where(Message.conversation_id.in_(conv_ids)))
    await tx.session.execute(delete(OutboxItem).where(OutboxItem.contact_id.in_(contact_ids)))
    await tx.session.execute(
        delete(InboundReceipt).where(InboundReceipt.contact_id.in_(contact_ids))
    )
    await tx.session.execute(
        update(Conversation)
        .where(Conversation.previous_case_id == case_id)
        .values(previous_case_id=None)
    )
    await tx.session.execute(delete(Conversation).where(Conversation.id.in_(conv_ids)))
    await tx.session.execute(delete(Case).where(Case.id == case_id))
    # The channel address goes too, unless the person has other conversations with us.
    still_used = select(Conversation.contact_id).where(Conversation.contact_id.in_(contact_ids))
    gone = await tx.session.execute(
        delete(Contact).where(Contact.id.in_(contact_ids), Contact.id.not_in(still_used))
    )
    if getattr(gone, "rowcount", 0):
        tx.contacts_deleted()
