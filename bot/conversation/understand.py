"""Free-text understanding (Rasa NLU), asked before a step, never inside the write
transaction: a slow Rasa must not hold the database's writer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from bot.channels.base import InboundMessage
from bot.conversation.flows import FlowCatalog
from bot.conversation.state import load_state
from bot.conversation.units import Suggested
from dialogs.crisis import find_crisis
from dialogs.model import Flow, FreeTextNode
from storage import contacts, conversations
from storage.store import Tx


class Understander(Protocol):
    """Free-text understanding (bot.rasa.nlu): store key -> choice ids; empty when unsure."""

    async def suggest(self, flow: Flow, text: str) -> Mapping[str, tuple[str, ...]]: ...


async def to_understand(tx: Tx, catalog: FlowCatalog, msg: InboundMessage) -> Flow | None:
    """The flow to ask the NLU about, when `msg` is a text that answers a free-text node
    marked `understand`; None otherwise.

    Checked here first, in our own code: the conversation is the bot's (never a text meant
    for a counsellor), and the text has no crisis words (those get the crisis resources at
    once, not a round trip). Runs on a read transaction; the NLU is asked after it.
    """
    assert msg.text is not None
    contact = await contacts.find(tx, msg.channel, msg.address)
    conv = None if contact is None else await conversations.active_for(tx, contact.id)
    if conv is None or conv.owner != "bot":
        return None
    flow = await catalog.flow(tx, conv.flow_version_id)
    raw = await conversations.load_state(tx, conv.id)
    state = load_state(raw, flow, None, conv.id)
    node = flow.nodes_by_id.get(state.node) if state.node else None
    if not (isinstance(node, FreeTextNode) and node.understand):
        return None
    if find_crisis(msg.text, flow.crisis.words):
        return None
    return flow


async def suggestions(nlu: Understander, flow: Flow, text: str) -> Suggested:
    return tuple((await nlu.suggest(flow, text)).items())
