"""What a person sees of their conversation again, on the same device or with their case
code on another one, and the deletion of everything of theirs."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.conversation import case_texts
from bot.conversation.code_hold import CodeHold
from bot.conversation.context import Context
from bot.conversation.files import consented
from bot.conversation.replies import ELSEWHERE, notice_payload
from bot.conversation.units import ResumeConflict
from storage import audit, cases, contacts, conversations, notes, notify, outbox
from storage.crypto import CryptoError
from storage.records import ConversationRef, Owner, TranscriptLine
from storage.store import Tx

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class History:
    """What a returning person may see of their conversation."""

    owner: Owner | None
    """None: this address has no conversation yet."""
    lines: tuple[TranscriptLine, ...]
    case_id: int | None
    readable: bool = True
    """False when the conversation was handed over and this device holds no key for it."""
    conversation_id: int | None = None
    """Which conversation the lines are of (a new one numbers its lines from 1 again)."""
    files: bool = False
    """The person may send files now: the conversation is open and they gave consent."""


async def history(
    tx: Tx, ctx: Context, channel: str, address: str, token: bytes | None, after: int = 0
) -> History:
    """The transcript for a returning device: bot phase with the server key, a handed-over
    case only with a key the device holds (its session token). `after`: only the lines
    numbered above it (a page catching up on what it lacks)."""
    contact = await contacts.find(tx, channel, address)
    conv = None if contact is None else await conversations.latest_for(tx, contact.id)
    if conv is None:
        return History(None, (), None)
    if conv.case_id is None:
        lines = await conversations.bot_phase_lines(tx, conv.id, after)
        files = conv.owner == "bot" and await consented(tx, ctx.catalog, conv, driven=ctx.driven)
        return History(
            conv.owner, for_person(ctx.codes, lines), None, conversation_id=conv.id, files=files
        )
    key = None if token is None else await cases.private_key_for_session(tx, conv.case_id, token)
    if key is None:
        return History(conv.owner, (), conv.case_id, False, conv.id)
    try:
        found = await cases.transcript_after(tx, conv.case_id, key, after)
    except CryptoError:  # changed in the database: show nothing rather than a forgery
        log.error("case %s: content failed its integrity check", conv.case_id)
        return History(conv.owner, (), conv.case_id, False, conv.id)
    return History(
        conv.owner,
        for_person(ctx.codes, found),
        conv.case_id,
        True,
        conv.id,
        files=conv.owner in ("queued", "counsellor"),
    )


def for_person(codes: CodeHold, lines: Sequence[TranscriptLine]) -> tuple[TranscriptLine, ...]:
    """Stored lines as the person sees them again: a new case's code in its slot while
    this process still holds it."""
    return tuple(
        dataclasses.replace(line, body=codes.reveal(line.body)) if line.sender == "bot" else line
        for line in lines
    )


async def resume(
    tx: Tx,
    ctx: Context,
    channel: str,
    address: str,
    token: bytes | None,
    found: tuple[int, bytes],
) -> History | None:
    """Move the case a code opened (`found`: its id and private key, from
    `cases.open_with_code`) to this device; None if the case is gone meanwhile (see
    `ConversationService.resume_with_code`)."""
    case_id, private = found
    if not await cases.opened_by(tx, case_id, private):
        return None  # deleted meanwhile; on SQLite its id may be a new person's case by now
    owner_contact = await cases.contact_of(tx, case_id)
    if owner_contact is None:
        return None
    here = await contacts.find(tx, channel, address)
    if here is not None and here.id != owner_contact:
        for conv in await conversations.all_for(tx, here.id):
            if conv.case_id is not None:
                raise ResumeConflict("this device holds another case")
            await conversations.delete_unhanded(tx, conv.id)
        await contacts.delete_contact(tx, here.id)
    before = await contacts.address_of(tx, owner_contact)
    await contacts.move_address(tx, owner_contact, channel, address)
    if token is not None:
        await cases.add_session_wrap(tx, case_id, private, token)
    content = await cases.read(tx, case_id, private)
    latest = await conversations.latest_for(tx, owner_contact)
    if before != (channel, address):
        await _opened_elsewhere(tx, case_id, before, channel, latest)
    await audit.record(tx, "person", "case.resumed", case_id)
    owner = latest.owner if latest else None
    lines = for_person(ctx.codes, content.transcript)
    return History(owner, lines, case_id, True, latest.id if latest else None)


async def _opened_elsewhere(
    tx: Tx,
    case_id: int,
    before: tuple[str, str],
    channel: str,
    latest: ConversationRef | None,
) -> None:
    """A resume moved the case away from the device that held it: that device is told
    (it may not have been the person who resumed), and the team sees it in the notes."""
    language = latest.language if latest else "de"
    old_channel, old_address = before
    if old_channel != contacts.PARKED_CHANNEL:
        left = await contacts.contact_for(tx, old_channel, old_address)
        told = case_texts.text("opened_elsewhere", language)
        await outbox.enqueue(tx, left.id, notice_payload(told, language, owner=ELSEWHERE))
        await notify.announce_outbox(tx)
    entry = await cases.entry(tx, case_id)
    if entry is not None:
        # The console words it (bot/console/case_pages.py `event_text`).
        event = {
            "event": "opened_elsewhere",
            "from": old_channel,
            "to": channel,
            "told": old_channel != contacts.PARKED_CHANNEL,
        }
        await notes.add(tx, case_id, entry.team_id, None, "event", event)


async def forget(tx: Tx, channel: str, address: str) -> int | None:
    """Delete everything of this person: every conversation, case (crypto-shredded) and the
    address. Returns how many conversations went; None: nothing is known of this address."""
    contact = await contacts.find(tx, channel, address)
    if contact is None:
        return None
    gone = 0
    for conv in await conversations.all_for(tx, contact.id):
        if conv.case_id is not None:
            await cases.delete_case(tx, conv.case_id)
            await audit.record(tx, "person", "case.deleted", conv.case_id)
        else:
            await conversations.delete_unhanded(tx, conv.id)
        gone += 1
    await outbox.drop_for_contact(tx, contact.id)
    await contacts.delete_contact(tx, contact.id)
    return gone
