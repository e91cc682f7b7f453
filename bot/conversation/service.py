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
import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot import metrics
from bot.channels.base import ArrivedFile, FileRefused, InboundMessage, SlowDown
from bot.clock import Clock
from bot.conversation import case_texts
from bot.conversation.code_hold import CODE_SLOT, HELD, CodeHold
from bot.conversation.flows import FlowCatalog
from bot.conversation.typing_board import TypingBoard
from bot.evidence import clean as evidence
from bot.office import texts as office_texts
from bot.office.hours import OfficeHours
from bot.rasa import texts as driven_texts
from bot.ratelimit import KeyedLimiter
from dialogs import engine
from dialogs.bidi import isolate_latin
from dialogs.crisis import find_crisis
from dialogs.model import Flow, FreeTextNode, HandoverNode
from dialogs.steps import (
    Back,
    BotMessage,
    ChoiceInput,
    ChoicesInput,
    CrisisDetected,
    CrisisHandoverRequested,
    DialogEnded,
    DialogState,
    HandoverRequested,
    Input,
    Restart,
    SetLanguage,
    Start,
    TextInput,
)
from storage import (
    attachments,
    audit,
    cases,
    contacts,
    conversations,
    notes,
    notify,
    outbox,
    stats,
)
from storage.case_material import CaseMaterial
from storage.cases import HandoverRequest
from storage.crypto import CryptoError
from storage.records import CaseCreated, ContactRef, ConversationRef, Owner, TranscriptLine
from storage.store import Store, Tx

log = logging.getLogger(__name__)

Suggested = tuple[tuple[str, tuple[str, ...]], ...]


class Understander(Protocol):
    """Free-text understanding (bot.rasa.nlu): store key -> choice ids; empty when unsure."""

    async def suggest(self, flow: Flow, text: str) -> Mapping[str, tuple[str, ...]]: ...


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
class ContactKey:
    """Identifies one person's conversation for locking: channel + keyed pseudonym, no address."""

    channel: str
    pseudonym: str


@dataclass(frozen=True)
class Handled:
    status: Literal["processed", "duplicate", "stale"]
    """stale: a button of an earlier question, refused (nothing stored)."""
    conversation_id: int | None
    owner: Owner | None
    case: CaseCreated | None = None
    replies: int = 0


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
class _DrivenTurn:
    """What the first transaction of a driven turn leaves to do outside it."""

    contact: ContactRef
    conversation_id: int
    language: str
    message: str | None
    """For the driving dialog manager; None: hand over now (the person chose to)."""
    replies: int = 0
    """Lines already queued in the first transaction (the disclosure at the start)."""


@dataclass(frozen=True)
class History:
    """What a returning person may see of their conversation."""

    owner: Owner | None
    """None: this address has no conversation yet."""
    lines: tuple[TranscriptLine, ...]
    case_id: int | None
    readable: bool = True
    """False when the conversation was handed over and this device holds no key for it."""
    conversation_id: int | None = None
    """Which conversation the lines are of (a new one numbers its lines from 1 again)."""
    files: bool = False
    """The person may send files now: the conversation is open and they gave consent."""


class AttachmentRefused(FileRefused):
    """A file was not taken; nothing of it was stored. `reason` is a code safe to log that
    the channel turns into words: one of `evidence.Reason`, "case_full" (too many files or
    bytes in this conversation), "no_conversation" (nothing to attach it to yet) or
    "no_consent" (the person has not agreed to the storing yet)."""


class ResumeConflict(Exception):
    """This device already holds another case; it cannot take over a second one."""


class TooManyNewConversations(SlowDown):
    """The sender's network has started as many conversations as it may for now."""


class HeldTooOften(SlowDown):
    """A contact whose messages are held as abuse sent more than the tight limit allows."""


class _NeedsCaseMaterial(Exception):
    """A handover found no case key pair and code made ahead. Raised inside the transaction,
    which rolls back with nothing stored; `handle` makes the material outside it (a worker
    thread) and runs the message's unit of work once more, now with it."""


HELD_BURST = 5
"""Messages a held contact may send at once; then one every HELD_INTERVAL seconds."""
HELD_INTERVAL = 600.0


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
        clock: Clock,
        on_outbox: Callable[[], None] | None = None,
        timezone: tzinfo | None = None,
        nlu: Understander | None = None,
        office_hours: OfficeHours | None = None,
        codes: CodeHold | None = None,
        evidence_limits: evidence.Limits | None = None,
    ) -> None:
        self.store = store
        self.evidence_limits = evidence_limits or evidence.Limits()
        """How large and how many files people may send (settings `[attachments]`)."""
        self._cleaning = asyncio.Semaphore(2)
        self.codes = codes or CodeHold(clock)
        """New cases' codes until shown; give the delivery worker the same hold."""
        self.catalog = catalog
        self.response_time = dict(response_time)
        self.clock = clock
        self.on_outbox = on_outbox
        self.on_activity: Callable[[], None] | None = None
        """Called after a turn that changed something the counsellors see (a new case, a
        message in a case); the console nudges its open tabs."""
        self.on_person_typing: Callable[[int], None] | None = None
        self.timezone = timezone or ZoneInfo("Europe/Berlin")
        """The dialog sees the office's local time: "today" is the person's day, not UTC's."""
        self.office_hours = office_hours
        """None: no hours known (tests, benchmarks); the office counts as always open."""
        self.locks = ContactLocks()
        self.typing = TypingBoard(clock.monotonic)
        self.nlu = nlu
        """Optional free-text understanding (Rasa NLU), asked before a step, never inside
        the write transaction: a slow Rasa must not hold the database's writer."""
        self.driver: Driver | None = None
        """Optional external dialog manager (Rasa's REST channel) that runs the bot phase
        instead of our flows; asked outside any transaction and outside the contact lock."""
        self.turns = ContactLocks()
        """Serialises a person's driven turns, which hold no contact lock while the driver
        is asked: Rasa calls our actions during that wait, and they take the contact lock."""
        self.held_messages = KeyedLimiter(HELD_BURST, 1 / HELD_INTERVAL, clock.monotonic)
        """A held contact's messages are stored (for the admins, as evidence) but only a few:
        a flood of abuse must not fill the database. Per process, forgotten on restart."""
        self.new_conversations: KeyedLimiter | None = None
        """New conversations per client network (`InboundMessage.client`), checked where a
        conversation is created, so every path that can create one (the web chat's socket
        and its no-JavaScript form alike, whatever session token it brings) is limited."""

    async def handle(self, msg: InboundMessage) -> Handled:
        """Process one inbound message durably; returns once it is committed.

        While the case waits in the queue and the office is closed, the person gets one short
        notice per closed period that their message waits (see `_closed_notice`)."""
        key = ContactKey(msg.channel, self.store.contact_pseudonym(msg.channel, msg.address))
        clean: evidence.CleanFile | None = None
        if msg.attachment is not None:
            # CPU work on a worker thread, before any lock or transaction.
            clean = await self._clean(msg.attachment)
        elif self.driver is not None:
            return await self._handle_driven(key, msg, self.driver)
        with metrics.UNIT_OF_WORK.time():
            async with self.locks.hold(key):
                suggested = await self._understand(msg) if self.nlu and msg.text else ()
                try:
                    handled = await self._unit(msg, suggested, None, clean)
                except _NeedsCaseMaterial:
                    # Nothing was stored. No Argon2id or key generation inside a transaction:
                    # made here, in a worker thread, while the writer serves everyone else.
                    made = await self.store.case_material()
                    handled = await self._unit(msg, suggested, made, clean)
        if handled.case is not None:
            metrics.HANDOVERS.inc()
        if self.on_activity is not None and (
            handled.case is not None or handled.owner in ("queued", "counsellor", "closed")
        ):
            self.on_activity()
        if handled.replies and self.on_outbox is not None:
            self.on_outbox()
        return handled

    async def _unit(
        self,
        msg: InboundMessage,
        suggested: Suggested,
        made: CaseMaterial | None,
        clean: evidence.CleanFile | None = None,
    ) -> Handled:
        """The message's one transaction. `made`: a new case's material made beforehand; None:
        one made ahead is taken if the message hands over (`_NeedsCaseMaterial` if none is
        ready). Unused, it is simply dropped."""
        async with self.store.tx(self.clock()) as tx:
            return await self._handle(tx, msg, suggested, made, clean)

    async def languages(self) -> Sequence[str]:
        """The languages of the flow new conversations start on (what a channel may offer)."""
        async with self.store.read() as tx:
            version = await self.catalog.current(tx)
            return (await self.catalog.flow(tx, version.id)).languages

    async def history(
        self, channel: str, address: str, token: bytes | None, after: int = 0
    ) -> History:
        """The transcript for a returning device: bot phase with the server key, a handed-over
        case only with a key the device holds (its session token). `after`: only the lines
        numbered above it (a page catching up on what it lacks)."""
        async with self.store.read(self.clock()) as tx:
            contact = await contacts.find(tx, channel, address)
            conv = None if contact is None else await conversations.latest_for(tx, contact.id)
            if conv is None:
                return History(None, (), None)
            if conv.case_id is None:
                lines = await conversations.bot_phase_lines(tx, conv.id, after)
                files = conv.owner == "bot" and await self._consented(tx, conv)
                return History(
                    conv.owner, self._for_person(lines), None, conversation_id=conv.id, files=files
                )
            key = (
                None
                if token is None
                else await cases.private_key_for_session(tx, conv.case_id, token)
            )
            if key is None:
                return History(conv.owner, (), conv.case_id, False, conv.id)
            try:
                found = await cases.transcript_after(tx, conv.case_id, key, after)
            except CryptoError:  # changed in the database: show nothing rather than a forgery
                log.error("case %s: content failed its integrity check", conv.case_id)
                return History(conv.owner, (), conv.case_id, False, conv.id)
            return History(
                conv.owner,
                self._for_person(found),
                conv.case_id,
                True,
                conv.id,
                files=conv.owner in ("queued", "counsellor"),
            )

    def _for_person(self, lines: Sequence[TranscriptLine]) -> tuple[TranscriptLine, ...]:
        """Stored lines as the person sees them again: a new case's code in its slot while
        this process still holds it."""
        return tuple(
            dataclasses.replace(line, body=self.codes.reveal(line.body))
            if line.sender == "bot"
            else line
            for line in lines
        )

    async def forget_in_driver(self, pseudonyms: Sequence[str]) -> int:
        """Ask the driving dialog manager (Rasa) to delete its copies of these conversations,
        after our deletion committed; returns how many it confirmed. Best effort: a failure
        is logged by count, and the threat model says what may then remain at Rasa."""
        if self.driver is None or not pseudonyms:
            return 0
        done = 0
        for pseudonym in pseudonyms:
            done += await self.driver.forget(pseudonym)
        if done < len(pseudonyms):
            log.warning(
                "rasa trackers: %s of %s not deleted", len(pseudonyms) - done, len(pseudonyms)
            )
        return done

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
            before = await contacts.address_of(tx, owner_contact)
            await contacts.move_address(tx, owner_contact, channel, address)
            if token is not None:
                await cases.add_session_wrap(tx, case_id, private, token)
            content = await cases.read(tx, case_id, private)
            latest = await conversations.latest_for(tx, owner_contact)
            if before != (channel, address):
                await self._opened_elsewhere(tx, case_id, before, channel, latest)
            await audit.record(tx, "person", "case.resumed", case_id)
        log.info("case %s resumed with its code on a new device", case_id)
        if self.on_outbox is not None:
            self.on_outbox()  # the notice to the device that held the case
        owner = latest.owner if latest else None
        lines = self._for_person(content.transcript)
        return History(owner, lines, case_id, True, latest.id if latest else None)

    async def _opened_elsewhere(
        self,
        tx: Tx,
        case_id: int,
        before: tuple[str, str],
        channel: str,
        latest: ConversationRef | None,
    ) -> None:
        """A resume moved the case away from the device that held it: that device is told
        (it may not have been the person who resumed), and the team sees it in the notes."""
        language = latest.language if latest else "de"
        old_channel, old_address = before
        if old_channel != contacts.PARKED_CHANNEL:
            left = await contacts.contact_for(tx, old_channel, old_address)
            told = case_texts.text("opened_elsewhere", language)
            await outbox.enqueue(tx, left.id, _notice_payload(told, language, owner="closed"))
            await notify.announce_outbox(tx)
        entry = await cases.entry(tx, case_id)
        if entry is not None:
            # The console words it (bot/console/case_pages.py `event_text`).
            event = {
                "event": "opened_elsewhere",
                "from": old_channel,
                "to": channel,
                "told": old_channel != contacts.PARKED_CHANNEL,
            }
            await notes.add(tx, case_id, entry.team_id, None, "event", event)

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
        await self.forget_in_driver([key.pseudonym])
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

    async def person_typing(self, channel: str, address: str) -> None:
        """The person is typing: shown in the console while their case is with the office."""
        async with self.store.read(self.clock()) as tx:
            contact = await contacts.find(tx, channel, address)
            conv = None if contact is None else await conversations.active_for(tx, contact.id)
        if conv is not None and conv.case_id is not None and conv.owner in ("queued", "counsellor"):
            self.typing.person_typing(conv.case_id)
            if self.on_person_typing is not None:
                self.on_person_typing(conv.case_id)

    async def typing_target(self, case_id: int, counsellor_id: int) -> tuple[str, str] | None:
        """(channel, address) to show "a counsellor is typing" on, if the case is theirs."""
        async with self.store.read(self.clock()) as tx:
            status = await cases.status_of(tx, case_id)
            if status is None or status[:2] != ("claimed", counsellor_id):
                return None
            contact_id = await cases.contact_of(tx, case_id)
            if contact_id is None:
                return None
            return await contacts.address_of(tx, contact_id)

    # ---------------------------------------------------------- dialogs driven elsewhere
    # Rasa (and any other external dialog manager) runs the bot phase itself and calls these
    # through our actions; ownership and writing stay here, under the same lock and checks.

    async def external_flow(self) -> tuple[Flow, datetime]:
        """The published flow (for its rules and texts) and the office's local time now."""
        async with self.store.read(self.clock()) as tx:
            version = await self.catalog.current(tx)
            flow = await self.catalog.flow(tx, version.id)
            return flow, tx.now.astimezone(self.timezone)

    async def external_owner(self, channel: str, address: str) -> Owner | None:
        """Who owns this person's open conversation; None when there is none."""
        async with self.store.read(self.clock()) as tx:
            contact = await contacts.find(tx, channel, address)
            conv = None if contact is None else await conversations.latest_for(tx, contact.id)
            return None if conv is None or conv.owner == "closed" else conv.owner

    async def external_sender(self, channel: str, sender_id: str) -> tuple[str, str]:
        """(channel, address) of an external dialog manager's sender id.

        When Rasa drives a conversation on one of our channels, its sender id is that
        contact's keyed pseudonym: the person's real channel and address are returned, so a
        handover hands over that conversation and counsellor replies reach that channel.
        Any other sender id is an address on `channel` (Rasa's own channels).
        """
        async with self.store.read(self.clock()) as tx:
            contact = await contacts.find_by_pseudonym(tx, sender_id)
            if contact is None or contact.channel == channel:
                return channel, sender_id
            return await contacts.address_of(tx, contact.id)

    async def external_handover(
        self, channel: str, address: str, intake: ExternalIntake, *, deliver: bool = False
    ) -> ExternalHandover:
        """Hand a conversation that an external dialog ran over to the counsellors' queue.

        Exactly as at our own flows' handover node: the case gets its key pair, the answers
        are sealed to it, the team is chosen by the flow's routing, and the owner moves from
        `bot` to `queued` by a conditional update. A conversation that is no longer the bot's
        is left alone (a retried call creates no second case). `deliver`: the handover text
        also goes to the person's channel through the outbox (a conversation we deliver).
        """
        key = ContactKey(channel, self.store.contact_pseudonym(channel, address))
        async with self.locks.hold(key):
            async with self.store.tx(self.clock()) as tx:
                # Committed on its own: a conversation row made in the handover's own session
                # would keep a stale case_id after hand_over's update, and the transcript line
                # below would not be sealed to the case.
                contact = await contacts.contact_for(tx, channel, address)
                if await conversations.active_for(tx, contact.id) is None:
                    version = await self.catalog.current(tx)
                    flow = await self.catalog.flow(tx, version.id)
                    language = (
                        intake.language
                        if intake.language in flow.languages
                        else flow.default_language
                    )
                    previous = await conversations.last_case_of(tx, contact.id)
                    await conversations.start(tx, contact.id, version.id, language, previous)
            return await self._external_handover(contact, intake, deliver=deliver)

    async def _external_handover(
        self,
        contact: ContactRef,
        intake: ExternalIntake,
        *,
        deliver: bool,
        session_token: bytes | None = None,
    ) -> ExternalHandover:
        """The handover in its own transaction; the caller holds the contact lock.

        `session_token`: the person's device may reread the case (the web chat's secret);
        only a handover the person asked for on that device has it, not one Rasa asked for.
        The case's key pair and code are made before the transaction (dropped when the
        conversation turns out not to be the bot's any more).
        """
        made = await self.store.case_material()
        async with self.store.tx(self.clock()) as tx:
            conv = await conversations.active_for(tx, contact.id)
            if conv is None:  # closed in between by the idle sweeper: nothing to hand over
                return ExternalHandover("closed", None, None)
            if conv.owner != "bot":
                return ExternalHandover(conv.owner, None, None)
            flow = await self.catalog.flow(tx, conv.flow_version_id)
            language = intake.language if intake.language in flow.languages else conv.language
            node = _handover_node(flow)
            when = intake.answers.get(node.incident_date_from) if node.incident_date_from else None
            today = tx.now.astimezone(self.timezone).date()
            # Crisis words caught by our own check in a driven conversation count too.
            crisis = intake.crisis or _driven_crisis(await conversations.load_state(tx, conv.id))
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
            self.codes.put(created.case_id, created.case_code)
            message = BotMessage(flow.text(node.text, language), kind="info", node_id=node.id)
            payload = self._payload(flow, message, language, created, tx.now, contact.channel)
            # The transcript keeps what the person was told, sealed to the case like every line.
            seq = await conversations.append(tx, conv.id, "bot", payload)
            if deliver:
                payload["seq"] = seq
                await outbox.enqueue(tx, contact.id, payload)
                await notify.announce_outbox(tx)
        log.info("conversation %s: case %s created via %s", conv.id, created.case_id, intake.via)
        if deliver and self.on_outbox is not None:
            self.on_outbox()
        told = str(self.codes.reveal(payload)["text"])
        metrics.HANDOVERS.inc()
        if self.on_activity is not None:
            self.on_activity()
        return ExternalHandover("queued", created, told, delivered=deliver)

    # ---------------------------------------------------------- the bot phase driven by Rasa
    # With a driver (rasa.drive_conversations), Rasa's dialog runs the bot phase of people on
    # our channels. Our code still decides: the owner is checked before anything is sent to
    # Rasa, crisis words get our crisis resources without a round trip, every line is stored
    # and every answer leaves through the outbox.

    async def _handle_driven(self, key: ContactKey, msg: InboundMessage, driver: Driver) -> Handled:
        """One driven turn in two transactions around the driver's answer.

        The person's line is committed first (nothing is lost when Rasa fails), then Rasa is
        asked holding only the turn lock, then its answers are stored and queued. Ordering
        warning: `self.turns` keeps one person's turns in order; the contact lock is free
        while Rasa answers, because Rasa calls our actions (which take it) before it does.
        """
        async with self.turns.hold(key):
            async with self.locks.hold(key):
                async with self.store.tx(self.clock()) as tx:
                    turn = await self._driven_receive(tx, msg)
                if isinstance(turn, _DrivenTurn) and turn.message is None:
                    intake = ExternalIntake({}, False, turn.language, via="rasa-bridge")
                    done = await self._external_handover(
                        turn.contact, intake, deliver=True, session_token=msg.session_token
                    )
                    sent = 1 if done.delivered and done.case is not None else 0
                    return Handled("processed", turn.conversation_id, done.owner, done.case, sent)
            if isinstance(turn, Handled):
                if turn.replies and self.on_outbox is not None:
                    self.on_outbox()
                return turn
            assert turn.message is not None
            if turn.replies and self.on_outbox is not None:
                self.on_outbox()  # the disclosure goes out while Rasa thinks
            replies = await driver.send(turn.contact.pseudonym, turn.message)
            async with self.locks.hold(key), self.store.tx(self.clock()) as tx:
                handled = await self._driven_answer(tx, turn, replies)
        if handled.replies and self.on_outbox is not None:
            self.on_outbox()
        return handled

    async def _driven_receive(self, tx: Tx, msg: InboundMessage) -> Handled | _DrivenTurn:
        contact = await contacts.contact_for(tx, msg.channel, msg.address)
        if not await contacts.record_receipt(tx, contact.id, msg.client_message_id):
            log.info("contact %s: duplicate message ignored", contact.id)
            return Handled("duplicate", None, None)
        conv = await conversations.active_for(tx, contact.id)
        if contact.blocked:
            held = await self._held(tx, contact, conv, msg)
            if held is not None:
                return held  # never to Rasa, never to a queue
        started = False
        if conv is None:
            reopened = await self._reopen(tx, contact, msg)
            if reopened is not None:
                return reopened
            conv = await self._start(tx, contact, msg)
            started = True
        if conv.owner != "bot":
            # Handed over: to the case, never to Rasa.
            return await self._to_case(tx, contact, conv, msg)
        flow = await self.catalog.flow(tx, conv.flow_version_id)
        language = msg.language if msg.language in flow.languages else conv.language
        state = _driven_state(await conversations.load_state(tx, conv.id))
        body = _inbound_body(msg)
        if msg.choice is not None:
            label = await _offered_label(tx, conv.id, msg.choice)
            if label is not None:
                body["label"] = label
        await conversations.append(tx, conv.id, "person", body)
        disclosed = 0
        if started:
            # Before Rasa's first answer, in our words: an automatic assistant answers here.
            text = driven_texts.text(driven_texts.DISCLOSURE, language)
            await self._send_bot(
                tx, contact.id, conv.id, _driven_payload(text, language, "info", "none", ())
            )
            await notify.announce_outbox(tx)
            disclosed = 1
        if msg.text is not None and find_crisis(msg.text, flow.crisis.words):
            # Our crisis resources at once; the text is not sent to Rasa, and a later handover
            # becomes a crisis case.
            state["crisis"] = True
            await conversations.save_state(tx, conv.id, state, language)
            log.warning("conversation %s: crisis resources shown (text)", conv.id)
            message = BotMessage(flow.text(flow.crisis.message, language), kind="crisis")
            await self._send_bot(
                tx, contact.id, conv.id, self._payload(flow, message, language, None, tx.now)
            )
            await self._send_bot(
                tx, contact.id, conv.id, _unavailable_payload(language, crisis=True)
            )
            await notify.announce_outbox(tx)
            return Handled("processed", conv.id, "bot", None, 2 + disclosed)
        await conversations.save_state(tx, conv.id, state, language)
        if msg.choice == HANDOVER_CHOICE:
            return _DrivenTurn(contact, conv.id, language, None, disclosed)
        return _DrivenTurn(contact, conv.id, language, _driver_message(msg, language), disclosed)

    async def _driven_answer(
        self, tx: Tx, turn: _DrivenTurn, replies: Sequence[ExternalReply] | None
    ) -> Handled:
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
            await self._send_bot(tx, turn.contact.id, conv.id, payload)
        if payloads:
            await notify.announce_outbox(tx)
        log.info("conversation %s: %s driver answers", conv.id, len(payloads))
        return Handled("processed", conv.id, conv.owner, None, len(payloads))

    async def _send_bot(
        self, tx: Tx, contact_id: int, conversation_id: int, payload: dict[str, Any]
    ) -> None:
        """A bot line into the transcript (sealed once handed over) and the outbox."""
        payload["seq"] = await conversations.append(tx, conversation_id, "bot", payload)
        await outbox.enqueue(tx, contact_id, payload)

    async def _to_case(
        self, tx: Tx, contact: ContactRef, conv: ConversationRef, msg: InboundMessage
    ) -> Handled:
        # Handed over: the line goes to the case, sealed; the bot never answers again in the
        # dialog, it only says when the office is closed.
        await conversations.append(tx, conv.id, "person", _inbound_body(msg))
        if conv.case_id is not None:
            self.typing.stopped(conv.case_id)
        log.info("conversation %s: message for case %s", conv.id, conv.case_id)
        replies = 0
        if conv.owner == "queued" and await self._closed_notice(tx, contact, conv):
            replies = 1
        return Handled("processed", conv.id, conv.owner, replies=replies)

    async def _closed_notice(self, tx: Tx, contact: ContactRef, conv: ConversationRef) -> bool:
        """Tell a person whose case waits that the office is closed, once per closed period.

        "Once" is read from the transcript's clear metadata, not from memory, so it survives a
        restart and holds across replicas: any bot line since the office closed (this notice,
        or the handover text, which already said the office is closed) means they know.
        """
        if self.office_hours is None:
            return False
        since = self.office_hours.closed_since(tx.now)
        if since is None:
            return False
        last = await conversations.last_line_at(tx, conv.id, "bot")
        if last is not None and last >= since:
            return False
        flow = await self.catalog.flow(tx, conv.flow_version_id)
        text = office_texts.queued_notice(
            conv.language, flow.default_language, self.office_hours.next_opening(tx.now)
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

    async def _understand(self, msg: InboundMessage) -> Suggested:
        """Ask the NLU about a text that answers a free-text node marked `understand`.

        Checked here first, in our own code: the conversation is the bot's (never a text
        meant for a counsellor), and the text has no crisis words (those get the crisis
        resources at once, not a round trip). Runs under the contact lock, outside any
        write transaction.
        """
        assert self.nlu is not None and msg.text is not None
        async with self.store.read(self.clock()) as tx:
            contact = await contacts.find(tx, msg.channel, msg.address)
            conv = None if contact is None else await conversations.active_for(tx, contact.id)
            if conv is None or conv.owner != "bot":
                return ()
            flow = await self.catalog.flow(tx, conv.flow_version_id)
            raw = await conversations.load_state(tx, conv.id)
        state = _load_state(raw, flow, None, conv.id)
        node = flow.nodes_by_id.get(state.node) if state.node else None
        if not (isinstance(node, FreeTextNode) and node.understand):
            return ()
        if find_crisis(msg.text, flow.crisis.words):
            return ()
        return tuple((await self.nlu.suggest(flow, msg.text)).items())

    async def _clean(self, raw: bytes | ArrivedFile) -> evidence.CleanFile:
        """Decoding a large image takes hundreds of MB for a moment: two at a time at most,
        so a burst of uploads cannot exhaust the memory (the others wait their turn). A
        spooled upload is read into memory only here, in its turn."""
        size = len(raw) if isinstance(raw, bytes) else raw.size
        if size > self.evidence_limits.max_bytes:
            raise AttachmentRefused("too_large")
        limits = self.evidence_limits

        def clean() -> evidence.CleanFile:
            return evidence.clean(raw if isinstance(raw, bytes) else raw.read(), limits)

        try:
            async with self._cleaning:
                return await asyncio.to_thread(clean)
        except evidence.Refused as refused:
            log.info("a file was refused: %s (%d bytes)", refused.reason, size)
            raise AttachmentRefused(refused.reason) from None

    async def _consented(self, tx: Tx, conv: ConversationRef) -> bool:
        """In the bot phase: the person agreed to the storing (the flow's consent question).
        A conversation driven by an external dialog manager keeps its state elsewhere: no
        files before the handover there."""
        if self.driver is not None:
            return False
        flow = await self.catalog.flow(tx, conv.flow_version_id)
        state = _load_state(await conversations.load_state(tx, conv.id), flow, None, conv.id)
        return engine.consented(flow, state)

    async def _attach(
        self,
        tx: Tx,
        contact: ContactRef,
        conv: ConversationRef | None,
        clean: evidence.CleanFile,
    ) -> Handled:
        """A clean file into the person's open conversation, as one of their lines: under
        the server key in the bot phase (the dialog does not move; the question stays
        open), sealed to the case after handover. A held contact's file is dropped unseen."""
        if contact.blocked:
            log.info("contact %s: a file was dropped (marked as abuse)", contact.id)
            return Handled("processed", None, None)
        if conv is None:
            raise AttachmentRefused("no_conversation")
        if conv.case_id is None and not await self._consented(tx, conv):
            raise AttachmentRefused("no_consent")
        limits = self.evidence_limits
        used = await attachments.usage(tx, conv.id)
        if used.files >= limits.max_files or used.bytes + len(clean.data) > limits.max_case_bytes:
            raise AttachmentRefused("case_full")  # raised in the transaction: nothing stays
        body = attachments.line_body(
            clean.media_type,
            clean.data,
            width=clean.width,
            height=clean.height,
            pages=clean.pages,
        )
        await attachments.add(tx, conv.id, body, clean.data)
        log.info(
            "conversation %s: a file (%s, %d bytes) for case %s",
            conv.id,
            clean.media_type,
            len(clean.data),
            conv.case_id,
        )
        replies = 0
        if conv.case_id is not None:
            self.typing.stopped(conv.case_id)
            if conv.owner == "queued" and await self._closed_notice(tx, contact, conv):
                replies = 1
        return Handled("processed", conv.id, conv.owner, replies=replies)

    async def _handle(
        self,
        tx: Tx,
        msg: InboundMessage,
        suggested: Suggested = (),
        made: CaseMaterial | None = None,
        clean: evidence.CleanFile | None = None,
    ) -> Handled:
        contact = await contacts.contact_for(tx, msg.channel, msg.address)
        if not await contacts.record_receipt(tx, contact.id, msg.client_message_id):
            log.info("contact %s: duplicate message ignored", contact.id)
            return Handled("duplicate", None, None)
        conv = await conversations.active_for(tx, contact.id)
        if clean is not None:
            return await self._attach(tx, contact, conv, clean)
        if contact.blocked:
            held = await self._held(tx, contact, conv, msg)
            if held is not None:
                return held
        if msg.in_reply_to is not None and (
            conv is None
            or not (conv.owner == "bot" or await _dialog_goes_on(tx, conv))
            or await conversations.newest_bot_line(tx, conv.id) != msg.in_reply_to
        ):
            # Not the question on screen now: after a later question, after the handover,
            # after a close or a restart. It must not answer whatever is current.
            log.info("contact %s: a button of an earlier question was refused", contact.id)
            return Handled("stale", None, None)
        notice: case_texts.Notice | None = None
        if conv is None:
            reopened = await self._reopen(tx, contact, msg)
            if reopened is not None:
                return reopened
            conv = await self._start(tx, contact, msg)
            notice = _fresh_notice(conv, msg)
            if msg.source is not None:
                # Outreach counts: a monthly counter only, never stored with the conversation.
                await stats.count(tx, tx.now.strftime("%Y-%m"), {"source": [msg.source]})
        if conv.owner == "bot" or await _dialog_goes_on(tx, conv):
            return await self._bot_turn(tx, contact, conv, msg, suggested, notice, made)
        return await self._to_case(tx, contact, conv, msg)

    async def _held(
        self, tx: Tx, contact: ContactRef, conv: ConversationRef | None, msg: InboundMessage
    ) -> Handled | None:
        """A counsellor marked this contact's messages as abuse: what they send is kept in
        their latest conversation (sealed to its case, marked held: only admins read it) and
        reaches no queue. No case reopens, no counsellor is nudged, nothing is answered, so
        nothing tells the sender they are held. None: no conversation is left to hold it in
        (retention deleted it): the message is handled as any first message."""
        target = conv or await conversations.latest_for(tx, contact.id)
        if target is None:
            return None
        if not self.held_messages.take(str(contact.id)):
            # Raised inside the transaction: the receipt rolls back, nothing is stored.
            raise HeldTooOften
        await conversations.append(tx, target.id, "person", _inbound_body(msg) | {"held": True})
        log.info("contact %s: a message was held (marked as abuse)", contact.id)
        return Handled("processed", target.id, None)

    async def _reopen(self, tx: Tx, contact: ContactRef, msg: InboundMessage) -> Handled | None:
        """A text written after the office closed the case goes back to that case: it is
        reopened for its team, the line is sealed into it, and the person is told so.

        Only typed text reopens: a button or command after close (an old Telegram button,
        /start, "Neu anfangen") starts a new conversation instead, linked to the closed case
        for the counsellor (`previous_case_id`), and the bot answers it. None: nothing to
        reopen here (no closed case, or it was deleted meanwhile)."""
        if msg.text is None:
            return None
        latest = await conversations.latest_for(tx, contact.id)
        if latest is None or latest.owner != "closed" or latest.case_id is None:
            return None
        if not await cases.reopen(tx, latest.case_id):
            return None
        await conversations.append(tx, latest.id, "person", _inbound_body(msg))
        await audit.record(tx, "person", "case.reopened", latest.case_id)
        payload = _notice_payload(
            case_texts.text("reopened", latest.language), latest.language, owner="queued"
        )
        await self._send_bot(tx, contact.id, latest.id, payload)
        await notify.announce_outbox(tx)
        log.info("conversation %s: case %s reopened by a message", latest.id, latest.case_id)
        return Handled("processed", latest.id, "queued", replies=1)

    async def close_notice(self, tx: Tx, case_id: int) -> bool:
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
        payload = _notice_payload(case_texts.text("closed", language), language, owner="closed")
        await self._send_bot(tx, contact_id, conv_id, payload)
        await notify.announce_outbox(tx)
        return True

    def outbox_filled(self) -> None:
        """Wake the delivery worker after a caller committed outbox rows itself."""
        if self.on_outbox is not None:
            self.on_outbox()

    async def _start(self, tx: Tx, contact: ContactRef, msg: InboundMessage) -> ConversationRef:
        limiter = self.new_conversations
        if msg.client is not None and limiter is not None and not limiter.take(msg.client):
            # Raised inside the transaction: the contact row and the receipt roll back too.
            raise TooManyNewConversations
        version = await self.catalog.current(tx)
        flow = await self.catalog.flow(tx, version.id)
        language = msg.language if msg.language in flow.languages else flow.default_language
        previous = await conversations.last_case_of(tx, contact.id)
        conv = await conversations.start(tx, contact.id, version.id, language, previous)
        metrics.CONVERSATIONS_STARTED.inc()
        log.info("conversation %s started on flow %s version %s", conv.id, flow.id, version.number)
        return conv

    async def _bot_turn(
        self,
        tx: Tx,
        contact: ContactRef,
        conv: ConversationRef,
        msg: InboundMessage,
        suggested: Suggested = (),
        notice: case_texts.Notice | None = None,
        made: CaseMaterial | None = None,
    ) -> Handled:
        """One step of the dialog; `notice` first tells the person that this is a new
        conversation (their message came after a closed or deleted one). `made`: see `_unit`."""
        flow = await self.catalog.flow(tx, conv.flow_version_id)
        raw = await conversations.load_state(tx, conv.id)
        state = _load_state(raw, flow, msg.language, conv.id)
        local_now = tx.now.astimezone(self.timezone)
        office_open = self.office_hours is None or self.office_hours.is_open(tx.now)
        result = engine.step(
            flow, state, _to_input(msg, suggested), local_now, office_open=office_open
        )
        if conv.case_id is None and any(
            isinstance(e, CrisisHandoverRequested | HandoverRequested) for e in result.effects
        ):
            # A new case: its material is known before anything is written (or the unit
            # rolls back at once to have it made outside the transaction).
            made = made or self.store.ready_case_material()
            if made is None:
                raise _NeedsCaseMaterial
        body = _inbound_body(msg)
        if msg.choice is not None or msg.choices is not None:
            labels = _choice_labels(flow, state, local_now)
            if msg.choice is not None and msg.choice in labels:
                body["label"] = labels[msg.choice]
            elif msg.choices is not None:
                body["labels"] = [labels.get(c, c) for c in msg.choices]
        await conversations.append(tx, conv.id, "person", body)
        sent = 0
        if notice is not None:
            told = case_texts.text(notice, result.state.language, flow.default_language)
            await self._send_bot(
                tx, contact.id, conv.id, _notice_payload(told, result.state.language, owner="bot")
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
                await audit.record(
                    tx, "system", "case.created", created.case_id, f"team={effect.team}"
                )
                log.info("conversation %s handed over as case %s", conv.id, created.case_id)
            elif isinstance(effect, CrisisDetected):
                log.warning("conversation %s: crisis resources shown (%s)", conv.id, effect.source)
            elif isinstance(effect, DialogEnded):
                ended = True

        language = result.state.language
        if created is not None:
            self.codes.put(created.case_id, created.case_code)
        for message in result.messages:
            payload = self._payload(flow, message, language, created, tx.now, contact.channel)
            # The transcript keeps the whole reply, so a returning person sees the same buttons.
            payload["seq"] = await conversations.append(tx, conv.id, "bot", payload)
            await outbox.enqueue(tx, contact.id, payload)

        if result.messages or sent:
            await notify.announce_outbox(tx)
        owner: Owner = "queued" if created or conv.owner == "queued" else "bot"
        if not handed_over:
            await conversations.save_state(
                tx, conv.id, result.state.model_dump(mode="json"), language
            )
        if ended and await conversations.set_owner(tx, conv.id, "bot", "closed"):
            owner = "closed"
        return Handled("processed", conv.id, owner, created, len(result.messages) + sent)

    def _payload(
        self,
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
        if "{response_time}" in text:
            text = text.replace("{response_time}", self._response_time(language, flow, now))
        # Right to left: German names and the case code keep their place among the words.
        text = isolate_latin(text, language)
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
        return {
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
        } | ({HELD: created.case_id, "code_box": code_box} if held and created else {})

    def _response_time(self, language: str, flow: Flow, now: datetime) -> str:
        """The expected response time at `now`: the setting, and when the office is closed,
        when it opens again (the office's hours at the moment of handover)."""
        during = self.response_time.get(language) or self.response_time.get(
            flow.default_language, ""
        )
        hours = self.office_hours
        if hours is None or hours.is_open(now):
            return during
        return office_texts.closed_response_time(
            during, language, flow.default_language, hours.next_opening(now)
        )


def _present(made: CaseMaterial | None) -> CaseMaterial:
    assert made is not None  # `_bot_turn` has it before anything is written
    return made


async def _dialog_goes_on(tx: Tx, conv: ConversationRef) -> bool:
    """A case created at once on the danger path waits in the queue while the person may go
    on with the questions: the bot answers until a counsellor takes the case (which wipes the
    dialog state), and the answers are sealed into the same case."""
    return (
        conv.owner == "queued"
        and conv.case_id is not None
        and await conversations.load_state(tx, conv.id) is not None
    )


def _driven_state(raw: dict[str, Any] | None) -> dict[str, Any]:
    """The little a driven conversation keeps itself (Rasa holds the dialog state)."""
    if raw is None or raw.get("driven") != "rasa":
        return {"driven": "rasa", "crisis": False}
    return raw


def _driven_crisis(raw: dict[str, Any] | None) -> bool:
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


def _fresh_notice(conv: ConversationRef, msg: InboundMessage) -> case_texts.Notice | None:
    """What to say when a conversation begins after an earlier one: after a closed case
    always (also on /start or "Neu anfangen"), so the person knows that case stays closed
    and a new one begins; otherwise when a message other than "start" begins it (they wrote
    into a conversation that is over: deleted, expired) and must see that this is new."""
    if conv.previous_case_id is not None:
        return "new_after_close"
    return None if msg.command == "start" else "new_conversation"


def _notice_payload(text: str, language: str, *, owner: Owner) -> dict[str, Any]:
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


def _handover_node(flow: Flow) -> HandoverNode:
    for node in flow.nodes:
        if isinstance(node, HandoverNode):
            return node
    raise LookupError(f"flow {flow.id!r} has no handover node")


def _to_input(msg: InboundMessage, suggested: Suggested = ()) -> Input:
    if msg.command == "start":
        return Start(language=msg.language, chosen=msg.language_chosen)
    if msg.command == "back":
        return Back()
    if msg.command == "restart":
        return Restart()
    if msg.choice is not None:
        return ChoiceInput(msg.choice)
    if msg.choices is not None:
        return ChoicesInput(tuple(msg.choices))
    if msg.text is not None:
        return TextInput(msg.text, suggested)
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
    return {c.id: c.label for c in engine.offered(flow, state, now)}


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
