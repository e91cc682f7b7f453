"""The counsellor phase: the person's messages to a queued or claimed case, a counsellor's
reply to the person, and who is typing on either side."""

from __future__ import annotations

import logging
from typing import Any

from bot import metrics
from bot.channels.base import InboundMessage
from bot.conversation.context import Context
from bot.conversation.notices import closed_notice, closed_notice_due
from bot.conversation.replies import bot_payload, inbound_body, send_bot
from bot.conversation.units import Handled
from dialogs.crisis import find_crisis
from dialogs.steps import BotMessage
from storage import audit, cases, contacts, conversations, notify, outbox
from storage.records import ContactRef, ConversationRef
from storage.store import Tx

log = logging.getLogger(__name__)


async def to_case(
    tx: Tx, ctx: Context, contact: ContactRef, conv: ConversationRef, msg: InboundMessage
) -> Handled:
    # Handed over: the line goes to the case, sealed; the bot never answers again in the
    # dialog, it only says when the office is closed.
    await conversations.append(tx, conv.id, "person", inbound_body(msg))
    log.info("conversation %s: message for case %s", conv.id, conv.case_id)
    return await answer_for_case(tx, ctx, contact, conv, msg.text)


async def answer_for_case(
    tx: Tx, ctx: Context, contact: ContactRef, conv: ConversationRef, text: str | None
) -> Handled:
    """What the service says back to a line (a message, a file and its caption) stored for
    the case: the crisis numbers for crisis words in `text`, and that the office is closed
    when that is due; nothing otherwise (a counsellor answers)."""
    if conv.case_id is not None:
        ctx.typing.stopped(conv.case_id)
    replies = 0
    # Asked before the crisis numbers are written: they are a bot line of this turn, but
    # they do not say that the office is closed, and a person in danger must know that
    # nobody reads their message now.
    closed = conv.owner == "queued" and await closed_notice_due(tx, ctx, conv)
    if text is not None and await crisis_words(tx, ctx, contact, conv, text):
        replies += 1
    if closed and await closed_notice(tx, ctx, contact, conv, due=True):
        replies += 1
    return Handled(
        "processed",
        conv.id,
        conv.owner,
        replies=replies,
        waits=conv.owner == "queued",
        told_received=closed,
    )


async def crisis_words(
    tx: Tx, ctx: Context, contact: ContactRef, conv: ConversationRef, text: str
) -> bool:
    """Crisis words in a message to the case: the crisis numbers at once, as before the
    handover (the case may wait for the office to open, and even a claimed one is read
    only when the counsellor looks), and the case first in its queue from now on, the
    line quoted where the console says why."""
    flow = await ctx.catalog.flow(tx, conv.flow_version_id)
    if not find_crisis(text, flow.crisis.words):
        return False
    if conv.case_id is not None and await cases.mark_crisis(tx, conv.case_id):
        await audit.record(tx, "person", "case.crisis", conv.case_id)
    message = BotMessage(flow.text(flow.crisis.message, conv.language), kind="crisis")
    # Not a question (expects nothing): the person goes on writing to the office in the
    # same field, which a page would otherwise turn into an answer to the crisis box.
    payload = bot_payload(ctx, flow, message, conv.language, None, tx.now)
    await send_bot(tx, contact.id, conv.id, payload)
    await notify.announce_outbox(tx)
    metrics.CRISIS_MESSAGES.inc()
    return True


async def counsellor_reply(tx: Tx, case_id: int, counsellor_id: int, text: str) -> int | None:
    """A counsellor's message to the person, on the person's channel through the outbox.

    Only the counsellor who claimed the case may write; returns the line's sequence number,
    or None when the case is not theirs (any more).
    """
    status = await cases.status_of(tx, case_id)
    found = await cases.conversation_of(tx, case_id)
    if status is None or found is None:
        return None
    state, claimed_by, language = status
    if state != "claimed" or claimed_by != counsellor_id:
        return None
    conv_id, contact_id, _owner = found
    payload: dict[str, Any] = {
        "sender": "counsellor",
        "text": text,
        "kind": "info",
        "language": language,
        "expects": "text",
        "choices": [],
        "actions": [],
    }
    seq = await conversations.append(tx, conv_id, "counsellor", payload)
    payload["seq"] = seq
    await outbox.enqueue(tx, contact_id, payload)
    await notify.announce_outbox(tx)
    await audit.record(tx, f"counsellor:{counsellor_id}", "case.replied", case_id)
    return seq


async def typing_case(tx: Tx, channel: str, address: str) -> int | None:
    """The case a typing person writes to, while it is with the office; None otherwise."""
    contact = await contacts.find(tx, channel, address)
    conv = None if contact is None else await conversations.active_for(tx, contact.id)
    if conv is not None and conv.case_id is not None and conv.owner in ("queued", "counsellor"):
        return conv.case_id
    return None


async def typing_target(tx: Tx, case_id: int, counsellor_id: int) -> tuple[str, str] | None:
    """(channel, address) to show "a counsellor is typing" on, if the case is theirs."""
    status = await cases.status_of(tx, case_id)
    if status is None or status[:2] != ("claimed", counsellor_id):
        return None
    contact_id = await cases.contact_of(tx, case_id)
    if contact_id is None:
        return None
    return await contacts.address_of(tx, contact_id)
