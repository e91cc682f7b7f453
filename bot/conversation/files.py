"""Files people send: cleaned outside any lock or transaction, then kept as one of their
lines in the open conversation."""

from __future__ import annotations

import asyncio
import logging

from bot.channels.base import ArrivedFile, InboundMessage
from bot.conversation.bot_turn import bot_turn, dialog_goes_on
from bot.conversation.case_turn import answer_for_case
from bot.conversation.context import Context
from bot.conversation.flows import FlowCatalog
from bot.conversation.state import load_state
from bot.conversation.units import AttachmentRefused, Handled
from bot.evidence import clean as evidence
from dialogs import engine
from storage import attachments, conversations
from storage.records import ContactRef, ConversationRef
from storage.store import Tx

log = logging.getLogger(__name__)


async def clean(
    raw: bytes | ArrivedFile, limits: evidence.Limits, cleaning: asyncio.Semaphore
) -> evidence.CleanFile:
    """Decoding a large image takes hundreds of MB for a moment: two at a time at most,
    so a burst of uploads cannot exhaust the memory (the others wait their turn). A
    spooled upload is read into memory only here, in its turn."""
    size = len(raw) if isinstance(raw, bytes) else raw.size
    if size > limits.max_bytes:
        raise AttachmentRefused("too_large")

    def cleaned() -> evidence.CleanFile:
        return evidence.clean(raw if isinstance(raw, bytes) else raw.read(), limits)

    try:
        async with cleaning:
            return await asyncio.to_thread(cleaned)
    except evidence.Refused as refused:
        log.info("a file was refused: %s (%d bytes)", refused.reason, size)
        raise AttachmentRefused(refused.reason) from None


async def consented(tx: Tx, catalog: FlowCatalog, conv: ConversationRef, *, driven: bool) -> bool:
    """In the bot phase: the person agreed to the storing (the flow's consent question).
    A conversation driven by an external dialog manager keeps its state elsewhere: no
    files before the handover there."""
    if driven:
        return False
    flow = await catalog.flow(tx, conv.flow_version_id)
    state = load_state(await conversations.load_state(tx, conv.id), flow, None, conv.id)
    return engine.consented(flow, state)


async def attach(
    tx: Tx,
    ctx: Context,
    contact: ContactRef,
    conv: ConversationRef | None,
    clean: evidence.CleanFile,
    msg: InboundMessage,
) -> Handled:
    """A clean file into the person's open conversation, as one of their lines: under
    the server key in the bot phase (the dialog does not move; the question stays
    open), sealed to the case after handover. A held contact's file is dropped unseen.

    A caption is kept in the file's line and is never an answer: in the dialog it is the
    engine's `Aside` (crisis words bring the crisis help, and the open question is asked
    again, so it is the last thing on screen); after the handover its crisis words bring
    the crisis numbers, as a typed message's do."""
    if contact.blocked:
        log.info("contact %s: a file was dropped (marked as abuse)", contact.id)
        return Handled("processed", None, None)
    if conv is None:
        raise AttachmentRefused("no_conversation")
    if conv.case_id is None and not await consented(tx, ctx.catalog, conv, driven=ctx.driven):
        raise AttachmentRefused("no_consent")
    limits = ctx.evidence_limits
    used = await attachments.usage(tx, conv.id)
    if used.files >= limits.max_files or used.bytes + len(clean.data) > limits.max_case_bytes:
        raise AttachmentRefused("case_full")  # raised in the transaction: nothing stays
    body = attachments.line_body(
        clean.media_type,
        clean.data,
        width=clean.width,
        height=clean.height,
        pages=clean.pages,
    )
    if msg.caption:
        body["text"] = msg.caption
    await attachments.add(tx, conv.id, body, clean.data)
    log.info(
        "conversation %s: a file (%s, %d bytes) for case %s",
        conv.id,
        clean.media_type,
        len(clean.data),
        conv.case_id,
    )
    in_dialog = conv.owner == "bot" or await dialog_goes_on(tx, conv)
    if msg.caption and in_dialog:
        return await bot_turn(tx, ctx, contact, conv, msg)
    return await answer_for_case(tx, ctx, contact, conv, msg.caption or None)
