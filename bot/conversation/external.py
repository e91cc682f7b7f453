"""Dialogs driven elsewhere: Rasa (and any other external dialog manager) runs the bot
phase itself and calls these through our actions; ownership and writing stay here, under
the same lock and checks (the service takes the lock and opens the transactions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.conversation.context import Context
from bot.conversation.driven_turn import driven_crisis
from bot.conversation.flows import FlowCatalog
from bot.conversation.replies import bot_payload
from dialogs import engine
from dialogs.model import Flow, HandoverNode
from dialogs.steps import BotMessage
from storage import audit, cases, contacts, conversations, notify, outbox
from storage.case_material import CaseMaterial
from storage.cases import HandoverRequest
from storage.records import CaseCreated, ContactRef, Owner
from storage.store import Tx


@dataclass(frozen=True)
class ExternalIntake:
    """What an external dialog manager (Rasa) collected, as our flows store answers."""

    answers: dict[str, Any]
    crisis: bool
    language: str | None
    via: str
    """Which integration handed over ("rasa"), for the audit log."""


@dataclass(frozen=True)
class ExternalHandover:
    owner: Owner
    """The owner after the call: "queued" when handed over now, or whoever owned it already."""
    case: CaseCreated | None
    text: str | None
    """The handover text with case code and response time, in the person's language."""
    delivered: bool = False
    """True when the text went to the person's own channel through our outbox (a conversation
    Rasa drives on one of our channels), so the caller must not show it a second time."""


@dataclass(frozen=True)
class HandedOver:
    """A handover that happened: what the service reports once it committed."""

    conversation_id: int
    case: CaseCreated
    payload: dict[str, Any]
    """The handover text as stored (the case code still in its slot)."""


async def current_flow(tx: Tx, ctx: Context) -> tuple[Flow, datetime]:
    """The published flow (for its rules and texts) and the office's local time now."""
    version = await ctx.catalog.current(tx)
    flow = await ctx.catalog.flow(tx, version.id)
    return flow, tx.now.astimezone(ctx.timezone)


async def owner_of(tx: Tx, channel: str, address: str) -> Owner | None:
    """Who owns this person's open conversation; None when there is none."""
    contact = await contacts.find(tx, channel, address)
    conv = None if contact is None else await conversations.latest_for(tx, contact.id)
    return None if conv is None or conv.owner == "closed" else conv.owner


async def sender_address(tx: Tx, channel: str, sender_id: str) -> tuple[str, str]:
    """(channel, address) of an external dialog manager's sender id (see
    `ConversationService.external_sender`)."""
    contact = await contacts.find_by_pseudonym(tx, sender_id)
    if contact is None or contact.channel == channel:
        return channel, sender_id
    return await contacts.address_of(tx, contact.id)


async def open_conversation(
    tx: Tx, catalog: FlowCatalog, channel: str, address: str, intake: ExternalIntake
) -> ContactRef:
    """The contact, with a conversation started for it if it has no open one."""
    contact = await contacts.contact_for(tx, channel, address)
    # A contact made just now has no conversation and no case to look for.
    if contact.new or await conversations.active_for(tx, contact.id, may_start=True) is None:
        version = await catalog.current(tx)
        flow = await catalog.flow(tx, version.id)
        language = intake.language if intake.language in flow.languages else flow.default_language
        previous = None if contact.new else await conversations.last_case_of(tx, contact.id)
        await conversations.start(tx, contact.id, version.id, language, previous)
    return contact


async def hand_over(
    tx: Tx,
    ctx: Context,
    contact: ContactRef,
    intake: ExternalIntake,
    made: CaseMaterial,
    *,
    deliver: bool,
    session_token: bytes | None,
) -> ExternalHandover | HandedOver:
    """The handover's transaction (see `ConversationService._external_handover`): an
    ExternalHandover when there was nothing to hand over."""
    conv = await conversations.active_for(tx, contact.id)
    if conv is None:  # closed in between by the idle sweeper: nothing to hand over
        return ExternalHandover("closed", None, None)
    if conv.owner != "bot":
        return ExternalHandover(conv.owner, None, None)
    flow = await ctx.catalog.flow(tx, conv.flow_version_id)
    language = intake.language if intake.language in flow.languages else conv.language
    node = handover_node(flow)
    when = intake.answers.get(node.incident_date_from) if node.incident_date_from else None
    today = tx.now.astimezone(ctx.timezone).date()
    # Crisis words caught by our own check in a driven conversation count too.
    crisis = intake.crisis or driven_crisis(await conversations.load_state(tx, conv.id))
    created = await cases.hand_over(
        tx,
        HandoverRequest(
            conversation_id=conv.id,
            team_id=engine.team_for(node.team, intake.answers),
            answers=intake.answers,
            crisis=crisis,
            incident_date=engine.incident_date(when, today),
            channel=contact.channel,
            language=language,
            session_token=session_token,
        ),
        made,
    )
    await audit.record(tx, "system", "case.created", created.case_id, f"via={intake.via}")
    ctx.codes.put(created.case_id, created.case_code)
    message = BotMessage(flow.text(node.text, language), kind="info", node_id=node.id)
    payload = bot_payload(ctx, flow, message, language, created, tx.now, contact.channel)
    # The transcript keeps what the person was told, sealed to the case like every line.
    seq = await conversations.append(tx, conv.id, "bot", payload)
    if deliver:
        payload["seq"] = seq
        await outbox.enqueue(tx, contact.id, payload)
        await notify.announce_outbox(tx)
    return HandedOver(conv.id, created, payload)


def handover_node(flow: Flow) -> HandoverNode:
    for node in flow.nodes:
        if isinstance(node, HandoverNode):
            return node
    raise LookupError(f"flow {flow.id!r} has no handover node")
