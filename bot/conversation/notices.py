"""The bot's notices about the office and the case: the office is closed while a case waits,
and the office closed the case."""

from __future__ import annotations

import logging
from typing import Any

from bot.conversation import case_texts
from bot.conversation.context import Context
from bot.conversation.replies import notice_payload, send_bot
from bot.office import texts as office_texts
from storage import cases, conversations, notify, outbox
from storage.records import ContactRef, ConversationRef
from storage.store import Tx

log = logging.getLogger(__name__)


async def closed_notice_due(tx: Tx, ctx: Context, conv: ConversationRef) -> bool:
    """The office is closed and the person has not been told since it closed.

    "Told" is read from the transcript's clear metadata, not from memory, so it survives a
    restart and holds across replicas: any bot line since the office closed (this notice,
    or the handover text, which already said the office is closed) means they know. Ask
    before a turn writes bot lines of its own (the crisis numbers do not say the office is
    closed, so they must not count as having said it).
    """
    if ctx.office_hours is None:
        return False
    since = ctx.office_hours.closed_since(tx.now)
    if since is None:
        return False
    last = await conversations.last_line_at(tx, conv.id, "bot")
    return last is None or last < since


async def closed_notice(
    tx: Tx, ctx: Context, contact: ContactRef, conv: ConversationRef, *, due: bool | None = None
) -> bool:
    """Tell a person whose case waits that the office is closed, once per closed period
    (`closed_notice_due`, or `due` as the caller found it before this turn's bot lines).
    The notice begins with "your message has arrived"."""
    if not (await closed_notice_due(tx, ctx, conv) if due is None else due):
        return False
    assert ctx.office_hours is not None
    flow = await ctx.catalog.flow(tx, conv.flow_version_id)
    text = office_texts.queued_notice(
        conv.language, flow.default_language, ctx.office_hours.next_opening(tx.now)
    )
    payload: dict[str, Any] = {
        "sender": "bot",
        "text": text,
        "kind": "info",
        "language": conv.language,
        "expects": "text",
        "choices": [],
        "actions": [],
    }
    payload["seq"] = await conversations.append(tx, conv.id, "bot", payload)
    await outbox.enqueue(tx, contact.id, payload)
    await notify.announce_outbox(tx)
    log.info("conversation %s: office closed, notice sent", conv.id)
    return True


async def close_notice(tx: Tx, case_id: int) -> bool:
    """Tell the person, on their channel and in their language, that the office closed
    their case and that writing again reopens it. Called in the closing transaction, so
    the notice and the close commit together; the line is sealed into the case too, so
    the counsellor sees what the person was told. False: the person is not reachable."""
    found = await cases.conversation_of(tx, case_id)
    status = await cases.status_of(tx, case_id)
    if found is None or status is None:
        return False
    conv_id, contact_id, _owner = found
    language = status[2]
    payload = notice_payload(case_texts.text("closed", language), language, owner="closed")
    await send_bot(tx, contact_id, conv_id, payload)
    await notify.announce_outbox(tx)
    return True
