"""Messages of a contact a counsellor marked as abuse: kept for the admins, answered never."""

from __future__ import annotations

import logging

from bot.channels.base import InboundMessage
from bot.conversation.context import Context
from bot.conversation.replies import inbound_body
from bot.conversation.units import Handled, HeldTooOften
from storage import conversations
from storage.records import ContactRef, ConversationRef
from storage.store import Tx

log = logging.getLogger(__name__)

HELD_BURST = 5
"""Messages a held contact may send at once; then one every HELD_INTERVAL seconds."""
HELD_INTERVAL = 600.0


async def held(
    tx: Tx, ctx: Context, contact: ContactRef, conv: ConversationRef | None, msg: InboundMessage
) -> Handled | None:
    """A counsellor marked this contact's messages as abuse: what they send is kept in
    their latest conversation (sealed to its case, marked held: only admins read it) and
    reaches no queue. No case reopens, no counsellor is nudged, nothing is answered, so
    nothing tells the sender they are held. None: no conversation is left to hold it in
    (retention deleted it): the message is handled as any first message."""
    target = conv or await conversations.latest_for(tx, contact.id)
    if target is None:
        return None
    if not ctx.held_messages.take(str(contact.id)):
        # Raised inside the transaction: the receipt rolls back, nothing is stored.
        raise HeldTooOften
    await conversations.append(tx, target.id, "person", inbound_body(msg) | {"held": True})
    log.info("contact %s: a message was held (marked as abuse)", contact.id)
    return Handled("processed", target.id, None)
