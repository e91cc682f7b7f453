"""The lines of a conversation as stored and sent: the person's line, the bot's replies from
the flow, and the bot's notices about the case's state."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from bot.channels.base import InboundMessage
from bot.conversation import case_texts
from bot.conversation.code_hold import CODE_SLOT, HELD
from bot.conversation.context import Context
from bot.office import contact as office_contact
from bot.office import emergency
from bot.office import texts as office_texts
from dialogs.bidi import isolate_latin
from dialogs.model import Flow
from dialogs.steps import BotMessage
from storage import conversations, outbox
from storage.records import CaseCreated, Owner
from storage.store import Tx


async def send_bot(tx: Tx, contact_id: int, conversation_id: int, payload: dict[str, Any]) -> None:
    """A bot line into the transcript (sealed once handed over) and the outbox."""
    payload["seq"] = await conversations.append(tx, conversation_id, "bot", payload)
    await outbox.enqueue(tx, contact_id, payload)


def bot_payload(
    ctx: Context,
    flow: Flow,
    message: BotMessage,
    language: str,
    created: CaseCreated | None,
    now: datetime,
    channel: str = "",
) -> dict[str, Any]:
    text = message.text
    if created is not None and "{case_code_note}" in text:
        # The note names the code by its slot: the code itself is never stored (see
        # bot/conversation/code_hold.py), it is filled in on the way to the person.
        note = case_texts.code_note(channel, CODE_SLOT, language, flow.default_language)
        # An empty note (the web chat's box says it) leaves no empty line behind.
        text = text.replace("\n{case_code_note}", "\n" + note if note else "")
        text = text.replace("{case_code_note}", note).rstrip()
    elif "{case_code_note}" in text and flow.crisis.talk_now is not None:
        # The final handover of a case created on the danger path: the code was given
        # then (only its Argon2id wrap is stored), so say where it is, on every channel
        # that shows codes (the web chat's box is not shown again).
        shown = flow.text(flow.crisis.talk_now.code_shown, language)
        kind = channel if channel in case_texts.CODELESS_CHANNELS else "other"
        note = case_texts.code_note(kind, shown, language, flow.default_language)
        text = text.replace("{case_code_note}", note).rstrip()
    elif created is None and CODE_SLOT in text and flow.crisis.talk_now is not None:
        # The final handover of a case created on the danger path: the code was given
        # then and is not known any more (only its Argon2id wrap is stored).
        text = text.replace(CODE_SLOT, flow.text(flow.crisis.talk_now.code_shown, language))
    # The code travels beside the text (the web chat shows it in a box of its own),
    # except where no code is used.
    code_box = created is not None and channel not in case_texts.CODELESS_CHANNELS
    held = created is not None and (code_box or CODE_SLOT in text)
    if "{way_back}" in text:
        # The engine knows no channels: what the person is promised about coming back is
        # filled in here, where the channel is known (no case code on Telegram or Signal).
        way_back = case_texts.way_back(channel, language, flow.default_language)
        text = text.replace("{way_back}", way_back)
    if "{response_time}" in text:
        text = text.replace("{response_time}", response_time(ctx, language, flow, now))
    # Right to left: German names and the case code keep their place among the words.
    text = isolate_latin(text, language)
    # After the isolation: the contact keeps each address whole, so its links stay findable.
    contact = office_contact.fill(
        text, ctx.office_contact, ctx.office_name, language, flow.default_language
    )
    text = contact.text
    found = contact.links
    if not found and message.kind != "crisis":
        # The crisis message links its numbers itself (a page finds every number in it).
        found = emergency.links(text, emergency.known_numbers(flow, language))
    actions = []
    if message.expects == "choices":
        actions.append(("done", flow.ui_text("done", language)))
    if message.optional:
        actions.append(("skip", flow.ui_text("skip", language)))
    if message.can_go_back:
        actions.append(("back", flow.ui_text("back", language)))
    if message.kind == "prompt" and message.can_go_back:
        # Only once something was answered: on the first question there is nothing to
        # throw away (also when a language chosen on the page skipped the flow's start).
        actions.append(("restart", flow.ui_text("restart", language)))
    return (
        {
            "sender": "bot",
            "text": text,
            "kind": message.kind,
            "language": language,
            "expects": message.expects,
            "choices": [
                [c.id, c.label, c.short] if c.short else [c.id, c.label] for c in message.choices
            ],
            "exclusive": [c.id for c in message.choices if c.exclusive],
            "min_choices": message.min_choices,
            "max_choices": message.max_choices,
            "max_length": message.max_length,
            "actions": actions,
            "case_code": None,
            "suggested": list(message.suggested),
            "more": isolate_latin(message.more, language),
        }
        | ({"links": [[link.text, link.href] for link in found]} if found else {})
        | ({HELD: created.case_id, "code_box": code_box} if held and created else {})
    )


def response_time(ctx: Context, language: str, flow: Flow, now: datetime) -> str:
    """The expected response time at `now`: the setting, and when the office is closed,
    when it opens again (the office's hours at the moment of handover)."""
    during = ctx.response_time.get(language) or ctx.response_time.get(flow.default_language, "")
    hours = ctx.office_hours
    if hours is None or hours.is_open(now):
        return during
    return office_texts.closed_response_time(
        during, language, flow.default_language, hours.next_opening(now)
    )


ELSEWHERE: Final = "elsewhere"
"""The `owner` of the notice to a device whose case was opened with its code on another one:
this device holds no conversation any more (not `closed`: writing here reopens nothing)."""


def notice_payload(
    text: str, language: str, *, owner: Owner | Literal["elsewhere"]
) -> dict[str, Any]:
    """A bot notice about the case's state; `owner` lets a live page follow the change."""
    return {
        "sender": "bot",
        "text": isolate_latin(text, language),
        "kind": "info",
        "language": language,
        "expects": "text",
        "choices": [],
        "actions": [],
        "owner": owner,
    }


def inbound_body(msg: InboundMessage) -> dict[str, Any]:
    """The person's line for the transcript (encrypted by storage)."""
    if msg.text is not None:
        return {"text": msg.text}
    if msg.choice is not None:
        return {"choice": msg.choice}
    if msg.choices is not None:
        return {"choices": list(msg.choices)}
    if msg.command is not None:
        return {"command": msg.command}
    return {"language": msg.language}
