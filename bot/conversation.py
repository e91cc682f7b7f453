"""The conversation service: the one place that decides what happens to a message.

Bot phase → the dialog engine; handed over → the case transcript for the counsellor. The
inbound line, the new state and every reply it causes are stored in ONE transaction, and
only then does `handle` return, which is when a channel may acknowledge the message.

Ordering warning: messages of one person must be handled one at a time. Within a process a
lock per `ContactKey` serialises them; across replicas PostgreSQL's row lock on the
conversation (SELECT … FOR UPDATE) does, and on SQLite the single writer does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.channels.base import InboundMessage
from bot.flows import FlowCatalog
from dialogs import engine
from dialogs.model import Flow
from dialogs.steps import (
    Back,
    BotMessage,
    ChoiceInput,
    ChoicesInput,
    CrisisDetected,
    DialogEnded,
    DialogState,
    HandoverRequested,
    Input,
    Restart,
    SetLanguage,
    Start,
    TextInput,
)
from storage import audit, cases, contacts, conversations, notify, outbox, stats
from storage.cases import HandoverRequest
from storage.records import CaseCreated, ContactRef, ConversationRef, Owner, TranscriptLine
from storage.store import Store, Tx

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ContactKey:
    """Identifies one person's conversation for locking: channel + keyed pseudonym, no address."""

    channel: str
    pseudonym: str


@dataclass(frozen=True)
class Handled:
    status: Literal["processed", "duplicate"]
    conversation_id: int | None
    owner: Owner | None
    case: CaseCreated | None = None
    replies: int = 0


@dataclass(frozen=True)
class History:
    """What a returning person may see of their conversation."""

    owner: Owner | None
    """None: this address has no conversation yet."""
    lines: tuple[TranscriptLine, ...]
    case_id: int | None
    readable: bool = True
    """False when the conversation was handed over and this device holds no key for it."""


class ResumeConflict(Exception):
    """This device already holds another case; it cannot take over a second one."""


class ContactLocks:
    """One asyncio.Lock per contact, dropped again when nobody waits for it."""

    def __init__(self) -> None:
        self._locks: dict[ContactKey, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: ContactKey) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class ConversationService:
    def __init__(
        self,
        store: Store,
        catalog: FlowCatalog,
        *,
        response_time: Mapping[str, str],
        clock: Clock = utc_now,
        on_outbox: Callable[[], None] | None = None,
        timezone: tzinfo | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.response_time = dict(response_time)
        self.clock = clock
        self.on_outbox = on_outbox
        self.timezone = timezone or ZoneInfo("Europe/Berlin")
        """The dialog sees the office's local time: "today" is the person's day, not UTC's."""
        self.locks = ContactLocks()

    async def handle(self, msg: InboundMessage) -> Handled:
        """Process one inbound message durably; returns once it is committed."""
        key = ContactKey(msg.channel, self.store.contact_pseudonym(msg.channel, msg.address))
        async with self.locks.hold(key), self.store.tx(self.clock()) as tx:
            handled = await self._handle(tx, msg)
        if handled.replies and self.on_outbox is not None:
            self.on_outbox()
        return handled

    async def history(self, channel: str, address: str, token: bytes | None) -> History:
        """The transcript for a returning device: bot phase with the server key, a handed-over
        case only with a key the device holds (its session token)."""
        async with self.store.read(self.clock()) as tx:
            contact = await contacts.find(tx, channel, address)
            conv = None if contact is None else await conversations.latest_for(tx, contact.id)
            if conv is None:
                return History(None, (), None)
            if conv.case_id is None:
                lines = await conversations.bot_phase_lines(tx, conv.id)
                return History(conv.owner, tuple(lines), None)
            key = (
                None
                if token is None
                else await cases.private_key_for_session(tx, conv.case_id, token)
            )
            if key is None:
                return History(conv.owner, (), conv.case_id, readable=False)
            content = await cases.read(tx, conv.case_id, key)
            return History(conv.owner, tuple(content.transcript), conv.case_id)

    async def resume_with_code(
        self, channel: str, address: str, token: bytes | None, code: str
    ) -> History | None:
        """Move the case of `code` to this device; None if the code fits no case.

        Callers must rate-limit: each try costs an Argon2id derivation by design.
        """
        key = ContactKey(channel, self.store.contact_pseudonym(channel, address))
        async with self.locks.hold(key), self.store.tx(self.clock()) as tx:
            found = await cases.private_key_for_code(tx, code)
            if found is None:
                return None
            case_id, private = found
            owner_contact = await cases.contact_of(tx, case_id)
            if owner_contact is None:
                return None
            here = await contacts.find(tx, channel, address)
            if here is not None and here.id != owner_contact:
                for conv in await conversations.all_for(tx, here.id):
                    if conv.case_id is not None:
                        raise ResumeConflict("this device holds another case")
                    await conversations.delete_unhanded(tx, conv.id)
                await contacts.delete_contact(tx, here.id)
            await contacts.move_address(tx, owner_contact, channel, address)
            if token is not None:
                await cases.add_session_wrap(tx, case_id, private, token)
            content = await cases.read(tx, case_id, private)
            latest = await conversations.latest_for(tx, owner_contact)
            await audit.record(tx, "person", "case.resumed", case_id)
        log.info("case %s resumed with its code on a new device", case_id)
        return History(latest.owner if latest else None, tuple(content.transcript), case_id)

    async def forget(self, channel: str, address: str) -> int:
        """Delete everything of this person: every conversation, case (crypto-shredded) and the
        address. Returns how many conversations went."""
        key = ContactKey(channel, self.store.contact_pseudonym(channel, address))
        async with self.locks.hold(key), self.store.tx(self.clock()) as tx:
            contact = await contacts.find(tx, channel, address)
            if contact is None:
                return 0
            gone = 0
            for conv in await conversations.all_for(tx, contact.id):
                if conv.case_id is not None:
                    await cases.delete_case(tx, conv.case_id)
                    await audit.record(tx, "person", "case.deleted", conv.case_id)
                else:
                    await conversations.delete_unhanded(tx, conv.id)
                gone += 1
            await outbox.drop_for_contact(tx, contact.id)
            await contacts.delete_contact(tx, contact.id)
        log.info("a person deleted their %s conversations", gone)
        return gone

    async def counsellor_reply(self, case_id: int, counsellor_id: int, text: str) -> int | None:
        """A counsellor's message to the person, on the person's channel through the outbox.

        Only the counsellor who claimed the case may write; returns the line's sequence number,
        or None when the case is not theirs (any more).
        """
        async with self.store.tx(self.clock()) as tx:
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
        if self.on_outbox is not None:
            self.on_outbox()
        return seq

    async def _handle(self, tx: Tx, msg: InboundMessage) -> Handled:
        contact = await contacts.contact_for(tx, msg.channel, msg.address)
        if not await contacts.record_receipt(tx, contact.id, msg.client_message_id):
            log.info("contact %s: duplicate message ignored", contact.id)
            return Handled("duplicate", None, None)
        conv = await conversations.active_for(tx, contact.id)
        if conv is None:
            conv = await self._start(tx, contact, msg)
            if msg.source is not None:
                # Outreach counts: a monthly counter only, never stored with the conversation.
                await stats.count(tx, tx.now.strftime("%Y-%m"), {"source": [msg.source]})
        if conv.owner == "bot":
            return await self._bot_turn(tx, contact, conv, msg)
        # Handed over: the line goes to the case, sealed; the bot never answers again.
        await conversations.append(tx, conv.id, "person", _inbound_body(msg))
        log.info("conversation %s: message for case %s", conv.id, conv.case_id)
        return Handled("processed", conv.id, conv.owner)

    async def _start(self, tx: Tx, contact: ContactRef, msg: InboundMessage) -> ConversationRef:
        version = await self.catalog.current(tx)
        flow = await self.catalog.flow(tx, version.id)
        language = msg.language if msg.language in flow.languages else flow.default_language
        previous = await conversations.last_case_of(tx, contact.id)
        conv = await conversations.start(tx, contact.id, version.id, language, previous)
        log.info("conversation %s started on flow %s version %s", conv.id, flow.id, version.number)
        return conv

    async def _bot_turn(
        self, tx: Tx, contact: ContactRef, conv: ConversationRef, msg: InboundMessage
    ) -> Handled:
        flow = await self.catalog.flow(tx, conv.flow_version_id)
        raw = await conversations.load_state(tx, conv.id)
        state = _load_state(raw, flow, msg.language, conv.id)
        local_now = tx.now.astimezone(self.timezone)
        result = engine.step(flow, state, _to_input(msg), local_now)
        body = _inbound_body(msg)
        labels = _choice_labels(flow, state, local_now)
        if msg.choice is not None and msg.choice in labels:
            body["label"] = labels[msg.choice]
        elif msg.choices is not None:
            body["labels"] = [labels.get(c, c) for c in msg.choices]
        await conversations.append(tx, conv.id, "person", body)

        created: CaseCreated | None = None
        ended = False
        for effect in result.effects:
            if isinstance(effect, HandoverRequested):
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
                )
                await audit.record(
                    tx, "system", "case.created", created.case_id, f"team={effect.team}"
                )
                log.info("conversation %s handed over as case %s", conv.id, created.case_id)
            elif isinstance(effect, CrisisDetected):
                log.warning("conversation %s: crisis resources shown (%s)", conv.id, effect.source)
            elif isinstance(effect, DialogEnded):
                ended = True

        language = result.state.language
        for message in result.messages:
            payload = self._payload(flow, message, language, created)
            # The transcript keeps the whole reply, so a returning person sees the same buttons.
            payload["seq"] = await conversations.append(tx, conv.id, "bot", payload)
            await outbox.enqueue(tx, contact.id, payload)

        if result.messages:
            await notify.announce_outbox(tx)
        owner: Owner = "queued" if created else "bot"
        if created is None:
            await conversations.save_state(
                tx, conv.id, result.state.model_dump(mode="json"), language
            )
        if ended and await conversations.set_owner(tx, conv.id, "bot", "closed"):
            owner = "closed"
        return Handled("processed", conv.id, owner, created, len(result.messages))

    def _payload(
        self, flow: Flow, message: BotMessage, language: str, created: CaseCreated | None
    ) -> dict[str, Any]:
        text = message.text
        case_code = None
        if created is not None and "{case_code}" in text:
            case_code = created.case_code
            text = text.replace("{case_code}", case_code)
        text = text.replace("{response_time}", self._response_time(language, flow))
        actions = []
        if message.expects == "choices":
            actions.append(("done", flow.ui_text("done", language)))
        if message.optional:
            actions.append(("skip", flow.ui_text("skip", language)))
        if message.can_go_back:
            actions.append(("back", flow.ui_text("back", language)))
        if message.kind == "prompt" and message.node_id != flow.start:
            actions.append(("restart", flow.ui_text("restart", language)))
        return {
            "sender": "bot",
            "text": text,
            "kind": message.kind,
            "language": language,
            "expects": message.expects,
            "choices": [[c.id, c.label] for c in message.choices],
            "min_choices": message.min_choices,
            "max_choices": message.max_choices,
            "max_length": message.max_length,
            "actions": actions,
            "case_code": case_code,
        }

    def _response_time(self, language: str, flow: Flow) -> str:
        return self.response_time.get(language) or self.response_time.get(flow.default_language, "")


def _to_input(msg: InboundMessage) -> Input:
    if msg.command == "start":
        return Start(language=msg.language)
    if msg.command == "back":
        return Back()
    if msg.command == "restart":
        return Restart()
    if msg.choice is not None:
        return ChoiceInput(msg.choice)
    if msg.choices is not None:
        return ChoicesInput(tuple(msg.choices))
    if msg.text is not None:
        return TextInput(msg.text)
    assert msg.language is not None  # InboundMessage guarantees one of the above or a language
    return SetLanguage(msg.language)


def _load_state(
    raw: dict[str, Any] | None, flow: Flow, language: str | None, conversation_id: int
) -> DialogState:
    fresh = engine.new_state(flow, language if language in flow.languages else None)
    if raw is None:
        return fresh
    try:
        return DialogState.model_validate(raw)
    except ValidationError:
        # Never let the error reach a log: pydantic quotes the input, i.e. the answers.
        log.error("conversation %s: stored dialog state unreadable; starting over", conversation_id)
        return fresh


def _choice_labels(flow: Flow, state: DialogState, now: datetime) -> dict[str, str]:
    """Labels of the choices the person was answering, for a readable transcript."""
    if state.node is None or state.finished:
        return {}
    shown = engine.step(flow, state, Start(), now).messages
    return {c.id: c.label for m in shown for c in m.choices}


def _inbound_body(msg: InboundMessage) -> dict[str, Any]:
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
