"""The bot phase: one step of the dialog engine for the person's message, its replies, and
the handover to the team queue when the flow reaches it."""

from __future__ import annotations

import logging
from datetime import datetime

from bot import metrics
from bot.channels.base import InboundMessage
from bot.conversation import case_texts
from bot.conversation.context import Context
from bot.conversation.replies import bot_payload, inbound_body, notice_payload, send_bot
from bot.conversation.state import load_state, to_input
from bot.conversation.units import Handled, NeedsCaseMaterial, Suggested
from dialogs import engine
from dialogs.model import Flow
from dialogs.steps import (
    CrisisDetected,
    CrisisHandoverRequested,
    DialogEnded,
    DialogState,
    HandoverRequested,
)
from storage import audit, cases, conversations, notify, outbox
from storage.case_material import CaseMaterial
from storage.cases import HandoverRequest
from storage.records import CaseCreated, ContactRef, ConversationRef, Owner
from storage.store import Tx

log = logging.getLogger(__name__)


async def dialog_goes_on(tx: Tx, conv: ConversationRef) -> bool:
    """A case created at once on the danger path waits in the queue while the person may go
    on with the questions: the bot answers until a counsellor takes the case (which wipes the
    dialog state), and the answers are sealed into the same case."""
    return (
        conv.owner == "queued"
        and conv.case_id is not None
        and await conversations.load_state(tx, conv.id) is not None
    )


async def bot_turn(
    tx: Tx,
    ctx: Context,
    contact: ContactRef,
    conv: ConversationRef,
    msg: InboundMessage,
    suggested: Suggested = (),
    notice: case_texts.Notice | None = None,
    made: CaseMaterial | None = None,
) -> Handled:
    """One step of the dialog; `notice` first tells the person that this is a new
    conversation (their message came after a closed or deleted one). `made`: a new case's
    material made beforehand (see `ConversationService._unit`)."""
    flow = await ctx.catalog.flow(tx, conv.flow_version_id)
    raw = await conversations.load_state(tx, conv.id)
    # The channel's language (e.g. Telegram's app setting) beside any first message, not
    # only /start: a first "Hello" begins in English, the language question pre-selected.
    state = load_state(raw, flow, msg.language, conv.id, guessed=not msg.language_chosen)
    local_now = tx.now.astimezone(ctx.timezone)
    office_open = ctx.office_hours is None or ctx.office_hours.is_open(tx.now)
    result = engine.step(flow, state, to_input(msg, suggested), local_now, office_open=office_open)
    if conv.case_id is None and any(
        isinstance(e, CrisisHandoverRequested | HandoverRequested) for e in result.effects
    ):
        # A new case: its material is known before anything is written (or the unit
        # rolls back at once to have it made outside the transaction).
        made = made or ctx.ready_case_material()
        if made is None:
            raise NeedsCaseMaterial
    body = inbound_body(msg)
    if msg.choice is not None or msg.choices is not None:
        labels = choice_labels(flow, state, local_now)
        if msg.choice is not None and msg.choice in labels:
            body["label"] = labels[msg.choice]
        elif msg.choices is not None:
            body["labels"] = [labels.get(c, c) for c in msg.choices]
    if msg.attachment is None:
        # A file's line, its caption with it, is in the transcript already (files.attach).
        await conversations.append(tx, conv.id, "person", body)
    sent = 0
    if notice is not None:
        told = case_texts.text(notice, result.state.language, flow.default_language)
        await send_bot(
            tx, contact.id, conv.id, notice_payload(told, result.state.language, owner="bot")
        )
        sent = 1

    created: CaseCreated | None = None
    ended = handed_over = False
    for effect in result.effects:
        if isinstance(effect, CrisisHandoverRequested) and conv.case_id is None:
            created = await cases.hand_over(
                tx,
                HandoverRequest(
                    conversation_id=conv.id,
                    team_id=effect.team,
                    answers=effect.answers,
                    crisis=True,
                    incident_date=effect.incident_date,
                    channel=contact.channel,
                    language=effect.language,
                    session_token=msg.session_token,
                ),
                _present(made),
            )
            await audit.record(
                tx, "system", "case.created", created.case_id, f"team={effect.team} crisis=now"
            )
            log.warning("conversation %s: danger, case %s created", conv.id, created.case_id)
        elif isinstance(effect, HandoverRequested) and conv.case_id is not None:
            # The case was created at once on the danger path: it gets the whole intake.
            handed_over = True
            await cases.complete_intake(
                tx, conv.id, conv.case_id, effect.answers, effect.incident_date
            )
            await audit.record(tx, "system", "case.intake_completed", conv.case_id)
            log.info("conversation %s: intake completed for case %s", conv.id, conv.case_id)
        elif isinstance(effect, HandoverRequested):
            handed_over = True
            created = await cases.hand_over(
                tx,
                HandoverRequest(
                    conversation_id=conv.id,
                    team_id=effect.team,
                    answers=effect.answers,
                    crisis=effect.crisis,
                    incident_date=effect.incident_date,
                    channel=contact.channel,
                    language=effect.language,
                    session_token=msg.session_token,
                ),
                _present(made),
            )
            await audit.record(tx, "system", "case.created", created.case_id, f"team={effect.team}")
            log.info("conversation %s handed over as case %s", conv.id, created.case_id)
        elif isinstance(effect, DialogEnded):
            ended = True

    language = result.state.language
    if created is not None:
        ctx.codes.put(created.case_id, created.case_code)
    for message in result.messages:
        payload = bot_payload(ctx, flow, message, language, created, tx.now, contact.channel)
        # The transcript keeps the whole reply, so a returning person sees the same buttons.
        payload["seq"] = await conversations.append(tx, conv.id, "bot", payload)
        await outbox.enqueue(tx, contact.id, payload)

    if result.messages or sent:
        await notify.announce_outbox(tx)
    owner: Owner = "queued" if created or conv.owner == "queued" else "bot"
    if not handed_over:
        await conversations.save_state(tx, conv.id, result.state.model_dump(mode="json"), language)
    if ended and await conversations.set_owner(tx, conv.id, "bot", "closed"):
        owner = "closed"
    for effect in result.effects:
        if isinstance(effect, CrisisDetected):
            # Last, when nothing of the turn can ask for a session any more: a light unit
            # that gives up (storage/light.py) must not have said it once already.
            metrics.CRISIS_MESSAGES.inc()
    return Handled("processed", conv.id, owner, created, len(result.messages) + sent)


def choice_labels(flow: Flow, state: DialogState, now: datetime) -> dict[str, str]:
    """Labels of the choices the person was answering, for a readable transcript."""
    return {c.id: c.label for c in engine.offered(flow, state, now)}


def _present(made: CaseMaterial | None) -> CaseMaterial:
    assert made is not None  # `bot_turn` has it before anything is written
    return made
