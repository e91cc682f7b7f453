"""The bot phase driven by Rasa (rasa.drive_conversations): Rasa's dialog runs the bot phase
of people on our channels, and our code still decides. The owner is checked before anything
is sent to Rasa, crisis words get our crisis resources without a round trip, every line is
stored and every answer leaves through the outbox.

A driven turn is two transactions around Rasa's answer (`receive`, then `answer`); the
service holds the locks between them (`ConversationService._handle_driven`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot import metrics
from bot.channels.base import InboundMessage
from bot.conversation.case_turn import to_case
from bot.conversation.context import Context
from bot.conversation.held import held
from bot.conversation.opening import reopen, start
from bot.conversation.replies import bot_payload, inbound_body, send_bot
from bot.conversation.units import Handled
from bot.rasa import texts as driven_texts
from dialogs.crisis import find_crisis
from dialogs.steps import BotMessage
from storage import contacts, conversations, notify
from storage.records import ContactRef
from storage.store import Tx

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExternalReply:
    """One answer of an external dialog manager that drives the bot phase (Rasa's REST
    channel): a text and buttons as (payload, title) pairs."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()


class Driver(Protocol):
    """An external dialog manager that runs the bot phase (bot.rasa.driver.RasaDriver).

    `sender` is the contact's keyed pseudonym, never the address; the answer is None
    whenever the manager could not answer (slow, failing, absent).
    """

    async def send(self, sender: str, message: str) -> Sequence[ExternalReply] | None: ...

    async def forget(self, sender: str) -> bool:
        """Delete the manager's own copy of this conversation; True when it confirmed."""
        ...


HANDOVER_CHOICE = "anlaufstelle:handover"
"""The choice we offer when the driving dialog manager is unavailable: hand over without it."""


@dataclass(frozen=True)
class DrivenTurn:
    """What the first transaction of a driven turn leaves to do outside it."""

    contact: ContactRef
    conversation_id: int
    language: str
    message: str | None
    """For the driving dialog manager; None: hand over now (the person chose to)."""
    replies: int = 0
    """Lines already queued in the first transaction (the disclosure at the start)."""


async def receive(tx: Tx, ctx: Context, msg: InboundMessage) -> Handled | DrivenTurn:
    """The driven turn's first transaction: the person's line is stored, and what Rasa is
    to be asked is returned (or what happened instead: a duplicate, a held contact, a
    case, crisis words)."""
    contact = await contacts.contact_for(tx, msg.channel, msg.address)
    if not await contacts.record_receipt(tx, contact.id, msg.client_message_id):
        log.info("contact %s: duplicate message ignored", contact.id)
        return Handled("duplicate", None, None)
    conv = await conversations.active_for(tx, contact.id, may_start=True)
    if contact.blocked:
        kept = await held(tx, ctx, contact, conv, msg)
        if kept is not None:
            return kept  # never to Rasa, never to a queue
    started = False
    if conv is None:
        reopened = await reopen(tx, ctx, contact, msg)
        if reopened is not None:
            return reopened
        conv = await start(tx, ctx, contact, msg)
        started = True
    if conv.owner != "bot":
        # Handed over: to the case, never to Rasa.
        return await to_case(tx, ctx, contact, conv, msg)
    flow = await ctx.catalog.flow(tx, conv.flow_version_id)
    # A hint beside a text (Telegram's app language) must not switch a running conversation:
    # a new one already began in it.
    switched = msg.switches_language and msg.language in flow.languages
    language = msg.language if switched and msg.language is not None else conv.language
    state = driven_state(await conversations.load_state(tx, conv.id))
    body = inbound_body(msg)
    if msg.choice is not None:
        label = await _offered_label(tx, conv.id, msg.choice)
        if label is not None:
            body["label"] = label
    await conversations.append(tx, conv.id, "person", body)
    disclosed = 0
    if started:
        # Before Rasa's first answer, in our words: an automatic assistant answers here.
        text = driven_texts.text(driven_texts.DISCLOSURE, language)
        await send_bot(tx, contact.id, conv.id, _driven_payload(text, language, "info", "none", ()))
        await notify.announce_outbox(tx)
        disclosed = 1
    if msg.text is not None and find_crisis(msg.text, flow.crisis.words):
        # Our crisis resources at once; the text is not sent to Rasa, and a later handover
        # becomes a crisis case.
        state["crisis"] = True
        await conversations.save_state(tx, conv.id, state, language)
        metrics.CRISIS_MESSAGES.inc()
        message = BotMessage(flow.text(flow.crisis.message, language), kind="crisis")
        await send_bot(
            tx, contact.id, conv.id, bot_payload(ctx, flow, message, language, None, tx.now)
        )
        await send_bot(tx, contact.id, conv.id, _unavailable_payload(language, crisis=True))
        await notify.announce_outbox(tx)
        return Handled("processed", conv.id, "bot", None, 2 + disclosed)
    await conversations.save_state(tx, conv.id, state, language)
    if msg.choice == HANDOVER_CHOICE:
        return DrivenTurn(contact, conv.id, language, None, disclosed)
    return DrivenTurn(contact, conv.id, language, _driver_message(msg, language), disclosed)


async def answer(tx: Tx, turn: DrivenTurn, replies: Sequence[ExternalReply] | None) -> Handled:
    """The driven turn's second transaction: Rasa's answers stored and queued."""
    conv = await conversations.active_for(tx, turn.contact.id)
    if conv is None or conv.id != turn.conversation_id or conv.owner not in ("bot", "queued"):
        # Closed meanwhile, or a counsellor already writes: Rasa's late answer would talk
        # over them, so it is dropped (counted, never its content).
        log.info(
            "conversation %s: %s late driver answers dropped",
            turn.conversation_id,
            len(replies or ()),
        )
        return Handled("processed", turn.conversation_id, conv.owner if conv else None)
    if replies is None:
        if conv.owner != "bot":
            # Rasa handed over through our action and then failed to answer: the person
            # already has the handover text from the action.
            return Handled("processed", conv.id, conv.owner)
        payloads = [_unavailable_payload(turn.language, crisis=False)]
    else:
        payloads = [
            _reply_payload(r, turn.language, last=i == len(replies) - 1)
            for i, r in enumerate(replies)
        ]
    for payload in payloads:
        await send_bot(tx, turn.contact.id, conv.id, payload)
    if payloads:
        await notify.announce_outbox(tx)
    log.info("conversation %s: %s driver answers", conv.id, len(payloads))
    return Handled("processed", conv.id, conv.owner, None, len(payloads))


def driven_state(raw: dict[str, Any] | None) -> dict[str, Any]:
    """The little a driven conversation keeps itself (Rasa holds the dialog state)."""
    if raw is None or raw.get("driven") != "rasa":
        return {"driven": "rasa", "crisis": False}
    return raw


def driven_crisis(raw: dict[str, Any] | None) -> bool:
    return raw is not None and raw.get("driven") == "rasa" and raw.get("crisis") is True


async def _offered_label(tx: Tx, conversation_id: int, choice: str) -> str | None:
    """The title of the button the person pressed, for a readable transcript."""
    lines = await conversations.bot_phase_lines(tx, conversation_id)
    for line in reversed(lines):
        if line.sender == "bot" and line.body.get("choices"):
            return next((str(t) for i, t, *_ in line.body["choices"] if i == choice), None)
    return None


def _driver_message(msg: InboundMessage, language: str) -> str:
    """The person's message as Rasa's REST channel takes it.

    A button's payload is sent as it is (Rasa reads "/intent{…}" payloads itself); our
    commands become Rasa's own intents, and the start and a language switch carry the
    language as an entity, which fills the example project's `language` slot.
    """
    if msg.text is not None:
        return msg.text
    if msg.choice is not None:
        return msg.choice
    if msg.choices is not None:  # Rasa's buttons offer one choice at a time
        return msg.choices[0] if msg.choices else "/inform"
    entity = json.dumps({"language": language})
    if msg.command == "start":
        return f"/greet{entity}"
    if msg.command == "restart":
        return "/restart"
    if msg.command == "back":
        return "/back"
    return f"/inform{entity}"


def _reply_payload(reply: ExternalReply, language: str, *, last: bool) -> dict[str, Any]:
    """A Rasa answer as our reply: buttons become choices (id = payload, label = title)."""
    expects = "choice" if reply.buttons else "text" if last else "none"
    return _driven_payload(
        reply.text, language, "prompt" if expects != "none" else "info", expects, reply.buttons
    )


def _unavailable_payload(language: str, *, crisis: bool) -> dict[str, Any]:
    """Rasa cannot answer (or must not, after crisis words): the office can still be reached.

    One button hands over to the counsellors without Rasa; typing on keeps asking Rasa.
    """
    text = driven_texts.text(
        driven_texts.AFTER_CRISIS if crisis else driven_texts.UNAVAILABLE, language
    )
    button = (HANDOVER_CHOICE, driven_texts.text(driven_texts.TALK_TO_COUNSELLOR, language))
    return _driven_payload(text, language, "prompt", "choice", (button,))


def _driven_payload(
    text: str,
    language: str,
    kind: str,
    expects: str,
    buttons: tuple[tuple[str, str], ...],
) -> dict[str, Any]:
    # The same keys as our flows' replies, so channels and the history replay need no change.
    return {
        "sender": "bot",
        "text": text,
        "kind": kind,
        "language": language,
        "expects": expects,
        "choices": [[payload, title] for payload, title in buttons],
        "min_choices": 0,
        "max_choices": None,
        "max_length": None,
        "actions": [],
        "case_code": None,
        "suggested": [],
    }
