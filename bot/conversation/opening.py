"""Where a message lands when the person has no open conversation: their closed case,
reopened by a text, or a new conversation (a closed case is never a dead end)."""

from __future__ import annotations

import logging

from bot import metrics
from bot.channels.base import InboundMessage
from bot.conversation import case_texts
from bot.conversation.context import Context
from bot.conversation.notices import closed_notice, closed_notice_due
from bot.conversation.replies import inbound_body, notice_payload, send_bot
from bot.conversation.units import Handled, TooManyNewConversations
from storage import audit, cases, conversations, notify
from storage.records import ContactRef, ConversationRef
from storage.store import Tx

log = logging.getLogger(__name__)


async def reopen(tx: Tx, ctx: Context, contact: ContactRef, msg: InboundMessage) -> Handled | None:
    """A text written after the office closed the case goes back to that case: it is
    reopened for its team, the line is sealed into it, and the person is told so.

    Only typed text reopens: a button or command after close (an old Telegram button,
    /start, "Neu anfangen") starts a new conversation instead, linked to the closed case
    for the counsellor (`previous_case_id`), and the bot answers it. None: nothing to
    reopen here (no closed case, or it was deleted meanwhile)."""
    if msg.text is None or contact.new:  # a contact made by this message has no case yet
        return None
    latest = await conversations.latest_for(tx, contact.id)
    if latest is None or latest.owner != "closed" or latest.case_id is None:
        return None
    if not await cases.reopen(tx, latest.case_id):
        return None
    await conversations.append(tx, latest.id, "person", inbound_body(msg))
    await audit.record(tx, "person", "case.reopened", latest.case_id)
    # Asked before the notice below, a bot line that does not say the office is closed: a
    # case reopened at night must not leave the person waiting for an answer till morning.
    closed = await closed_notice_due(tx, ctx, latest)
    payload = notice_payload(
        case_texts.text("reopened", latest.language), latest.language, owner="queued"
    )
    await send_bot(tx, contact.id, latest.id, payload)
    await notify.announce_outbox(tx)
    log.info("conversation %s: case %s reopened by a message", latest.id, latest.case_id)
    told = closed and await closed_notice(tx, ctx, contact, latest, due=True)
    return Handled("processed", latest.id, "queued", replies=2 if told else 1, told_received=told)


async def start(tx: Tx, ctx: Context, contact: ContactRef, msg: InboundMessage) -> ConversationRef:
    limiter = ctx.new_conversations
    if msg.client is not None and limiter is not None and not limiter.take(msg.client):
        # Raised inside the transaction: the contact row and the receipt roll back too.
        raise TooManyNewConversations
    version = await ctx.catalog.current(tx)
    flow = await ctx.catalog.flow(tx, version.id)
    language = msg.language if msg.language in flow.languages else flow.default_language
    # A contact made by this message has no earlier case to name.
    previous = None if contact.new else await conversations.last_case_of(tx, contact.id)
    conv = await conversations.start(tx, contact.id, version.id, language, previous)
    metrics.CONVERSATIONS_STARTED.inc()
    log.info("conversation %s started on flow %s version %s", conv.id, flow.id, version.number)
    return conv


def fresh_notice(conv: ConversationRef, msg: InboundMessage) -> case_texts.Notice | None:
    """What to say when a conversation begins after an earlier one: after a closed case
    always (also on /start or "Neu anfangen"), so the person knows that case stays closed
    and a new one begins; otherwise when a message other than "start" begins it (they wrote
    into a conversation that is over: deleted, expired) and must see that this is new."""
    if conv.previous_case_id is not None:
        return "new_after_close"
    return None if msg.command == "start" else "new_conversation"
