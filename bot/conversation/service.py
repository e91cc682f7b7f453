"""The conversation service: the one place that decides what happens to a message.

Bot phase → the dialog engine; handed over → the case transcript for the counsellor. The
inbound line, the new state and every reply it causes are stored in ONE transaction, and
only then does `handle` return, which is when a channel may acknowledge the message.

This module takes a message, holds the person's lock, opens the one transaction and
dispatches to the turn that handles it; each job is a module of its own (docs/architecture.md):
`bot_turn` (the dialog engine), `case_turn` (a case with the office), `driven_turn` and
`external` (Rasa), `opening` (a new conversation, a closed case reopened), `files`, `held`,
`notices`, `history`, `understand`; `units` holds what a unit of work is about and returns.
The turns are plain functions of the transaction and a `Context`; none calls back up here.

Ordering warning: messages of one person must be handled one at a time. Within a process a
lock per `ContactKey` serialises them; across replicas PostgreSQL's row lock on the
conversation (SELECT … FOR UPDATE) does, and on SQLite the single writer does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

from bot import metrics
from bot.channels.base import InboundMessage
from bot.clock import Clock
from bot.conversation import (
    case_turn,
    driven_turn,
    external,
    files,
    history,
    notices,
    opening,
    understand,
)
from bot.conversation.bot_turn import bot_turn, dialog_goes_on
from bot.conversation.code_hold import CodeHold
from bot.conversation.context import Context
from bot.conversation.driven_turn import HANDOVER_CHOICE, Driver, ExternalReply
from bot.conversation.external import ExternalHandover, ExternalIntake
from bot.conversation.flows import FlowCatalog
from bot.conversation.held import HELD_BURST, HELD_INTERVAL, held
from bot.conversation.history import History
from bot.conversation.locks import ContactLocks
from bot.conversation.typing_board import TypingBoard
from bot.conversation.understand import Understander
from bot.conversation.units import (
    AttachmentRefused,
    ContactKey,
    Handled,
    HeldTooOften,
    NeedsCaseMaterial,
    ResumeConflict,
    Suggested,
    TooManyNewConversations,
)
from bot.evidence import clean as evidence
from bot.office.hours import OfficeHours
from bot.ratelimit import KeyedLimiter
from bot.settings import OfficeContactSettings
from dialogs.model import Flow
from storage import arrival, cases, conversations, outbox, stats
from storage.case_material import CaseMaterial
from storage.held import NeedsFullUnit
from storage.records import ContactRef, Delivery, DirectPush, Owner
from storage.store import Store, Tx

__all__ = [
    # What callers used to import from here before the service was split along its jobs.
    "HANDOVER_CHOICE",
    "HELD_BURST",
    "HELD_INTERVAL",
    "AttachmentRefused",
    "ContactKey",
    "ContactLocks",
    "ConversationService",
    "Driver",
    "ExternalHandover",
    "ExternalIntake",
    "ExternalReply",
    "Handled",
    "HeldTooOften",
    "History",
    "ResumeConflict",
    "TooManyNewConversations",
    "Understander",
]

log = logging.getLogger(__name__)

Committed = Callable[[Handled], Awaitable[None]]
"""Told a message's outcome as soon as it is durably stored (see `handle`)."""


class Pusher(Protocol):
    """What sends a unit's replies at once after its commit (bot/delivery/worker.py)."""

    @property
    def lease(self) -> timedelta: ...

    def sent_not_cleared(self, contact_id: int) -> frozenset[int]: ...

    async def push(self, deliveries: Sequence[Delivery]) -> int: ...


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
        office_contact: OfficeContactSettings | None = None,
        office_name: str = "",
    ) -> None:
        self.store = store
        self.office_contact = office_contact or OfficeContactSettings()
        """Told to a person who declines consent (`{office_contact}`, bot/office/contact.py)."""
        self.office_name = office_name
        self.evidence_limits = evidence_limits or evidence.Limits()
        """How large and how many files people may send (settings `[attachments]`)."""
        self._cleaning = asyncio.Semaphore(2)
        self.codes = codes or CodeHold(clock)
        """New cases' codes until shown; give the delivery worker the same hold."""
        self.catalog = catalog
        self.response_time = dict(response_time)
        self.clock = clock
        self.on_outbox = on_outbox
        self.pusher: Pusher | None = None
        """Sends a unit's replies to the person who wrote at once after the commit (the
        delivery worker); None: they wait for the worker's next round."""
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

    def _context(self) -> Context:
        """The settings a turn reads, as they are now (the app changes some while running)."""
        return Context(
            catalog=self.catalog,
            timezone=self.timezone,
            office_hours=self.office_hours,
            response_time=self.response_time,
            office_contact=self.office_contact,
            office_name=self.office_name,
            codes=self.codes,
            typing=self.typing,
            ready_case_material=self.store.ready_case_material,
            held_messages=self.held_messages,
            new_conversations=self.new_conversations,
            evidence_limits=self.evidence_limits,
            driven=self.driver is not None,
        )

    async def handle(self, msg: InboundMessage, committed: Committed | None = None) -> Handled:
        """Process one inbound message durably; returns once it is committed.

        `committed` is awaited right after the commit, before the replies are pushed (the web
        chat acknowledges the message there, so its acknowledgement comes before the reply).
        While the case waits in the queue and the office is closed, the person gets one short
        notice per closed period that their message waits (see `notices.closed_notice`)."""
        key = ContactKey(msg.channel, self.store.contact_pseudonym(msg.channel, msg.address))
        clean: evidence.CleanFile | None = None
        if msg.attachment is not None:
            # CPU work on a worker thread, before any lock or transaction.
            clean = await files.clean(msg.attachment, self.evidence_limits, self._cleaning)
        elif self.driver is not None:
            return await self._handle_driven(key, msg, self.driver)
        with metrics.UNIT_OF_WORK.time():
            async with self.locks.hold(key):
                suggested = await self._understand(msg) if self.nlu and msg.text else ()
                try:
                    handled = await self._unit(msg, suggested, None, clean, committed)
                except NeedsCaseMaterial:
                    # Nothing was stored. No Argon2id or key generation inside a transaction:
                    # made here, in a worker thread, while the writer serves everyone else.
                    made = await self.store.case_material()
                    handled = await self._unit(msg, suggested, made, clean, committed)
        if handled.case is not None:
            metrics.HANDOVERS.inc()
        if self.on_activity is not None and (
            handled.case is not None or handled.owner in ("queued", "counsellor", "closed")
        ):
            self.on_activity()
        if handled.replies > handled.pushed and self.on_outbox is not None:
            self.on_outbox()
        return handled

    async def _unit(
        self,
        msg: InboundMessage,
        suggested: Suggested,
        made: CaseMaterial | None,
        clean: evidence.CleanFile | None = None,
        committed: Committed | None = None,
    ) -> Handled:
        """The message's one transaction. `made`: a new case's material made beforehand; None:
        one made ahead is taken if the message hands over (`NeedsCaseMaterial` if none is
        ready). Unused, it is simply dropped."""
        ctx = self._context()
        pusher = self.pusher

        def new_push() -> DirectPush | None:
            if pusher is None:
                return None
            return DirectPush(msg.channel, msg.address, pusher.lease, pusher.sent_not_cleared)

        now = self.clock()
        push = new_push()
        handled: Handled | None = None
        if self.store.light_units and clean is None:
            # Most messages need no ORM session (storage/light.py); one that does is run
            # again in a session, with the case material the first try took, if any.
            taken: list[CaseMaterial] = []

            def take_ready() -> CaseMaterial | None:
                found = ctx.ready_case_material()
                if found is not None:
                    taken.append(found)
                return found

            light_ctx = dataclasses.replace(ctx, ready_case_material=take_ready)
            try:
                async with self.store.light_tx(now, push=push) as tx:
                    handled = await _dispatch(tx, light_ctx, msg, suggested, made, clean)
            except NeedsFullUnit:
                push = new_push()
                made = made or (taken[0] if taken else None)
        if handled is None:
            # A message's statements touch a handful of rows; a file's may be megabytes.
            async with self.store.tx(now, push=push, small=clean is None) as tx:
                handled = await _dispatch(tx, ctx, msg, suggested, made, clean)
        if committed is not None:
            await committed(handled)
        if push is not None and push.rows and pusher is not None:
            # Still under the person's lock: their next message's replies come after these.
            try:
                sent = await pusher.push(outbox.pushed(push))
            except Exception:
                # Stored all the same: the worker offers them once their lease ends.
                log.exception("the replies of a stored message could not be pushed")
                sent = 0
            handled = dataclasses.replace(handled, pushed=sent)
        return handled

    async def _understand(self, msg: InboundMessage) -> Suggested:
        """Ask the NLU about a text that answers a free-text node marked `understand` (see
        `understand.to_understand`). Runs under the contact lock, outside any write
        transaction."""
        assert self.nlu is not None and msg.text is not None
        async with self.store.read(self.clock()) as tx:
            flow = await understand.to_understand(tx, self.catalog, msg)
        if flow is None:
            return ()
        return await understand.suggestions(self.nlu, flow, msg.text)

    async def languages(self) -> Sequence[str]:
        """The languages of the flow new conversations start on (what a channel may offer)."""
        async with self.store.read() as tx:
            version = await self.catalog.current(tx)
            return (await self.catalog.flow(tx, version.id)).languages

    async def history(
        self, channel: str, address: str, token: bytes | None, after: int = 0
    ) -> History:
        """The transcript for a returning device (see `history.history`)."""
        ctx = self._context()
        async with self.store.read(self.clock()) as tx:
            return await history.history(tx, ctx, channel, address, token, after)

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
        ctx = self._context()
        async with self.store.read(self.clock()) as tx:
            wraps = await cases.code_wraps(tx, code)
        # Argon2id (a quarter of a second) outside any transaction: on SQLite no other
        # person's message waits for it.
        found = await cases.open_with_code(wraps, self.store.kdf)
        if found is None:
            return None
        async with self.locks.hold(key), self.store.tx(self.clock()) as tx:
            resumed = await history.resume(tx, ctx, channel, address, token, found)
        if resumed is None:
            return None
        log.info("case %s resumed with its code on a new device", resumed.case_id)
        if self.on_outbox is not None:
            self.on_outbox()  # the notice to the device that held the case
        return resumed

    async def forget(self, channel: str, address: str) -> int:
        """Delete everything of this person: every conversation, case (crypto-shredded) and the
        address. Returns how many conversations went."""
        key = ContactKey(channel, self.store.contact_pseudonym(channel, address))
        async with self.locks.hold(key), self.store.tx(self.clock()) as tx:
            gone = await history.forget(tx, channel, address)
        if gone is None:
            return 0
        log.info("a person deleted their %s conversations", gone)
        await self.forget_in_driver([key.pseudonym])
        return gone

    async def counsellor_reply(self, case_id: int, counsellor_id: int, text: str) -> int | None:
        """A counsellor's message to the person, on the person's channel through the outbox.

        Only the counsellor who claimed the case may write; returns the line's sequence number,
        or None when the case is not theirs (any more).
        """
        async with self.store.tx(self.clock()) as tx:
            seq = await case_turn.counsellor_reply(tx, case_id, counsellor_id, text)
        if seq is not None and self.on_outbox is not None:
            self.on_outbox()
        return seq

    async def person_typing(self, channel: str, address: str) -> None:
        """The person is typing: shown in the console while their case is with the office."""
        async with self.store.read(self.clock()) as tx:
            case_id = await case_turn.typing_case(tx, channel, address)
        if case_id is not None:
            self.typing.person_typing(case_id)
            if self.on_person_typing is not None:
                self.on_person_typing(case_id)

    async def typing_target(self, case_id: int, counsellor_id: int) -> tuple[str, str] | None:
        """(channel, address) to show "a counsellor is typing" on, if the case is theirs."""
        async with self.store.read(self.clock()) as tx:
            return await case_turn.typing_target(tx, case_id, counsellor_id)

    async def close_notice(self, tx: Tx, case_id: int) -> bool:
        """Tell the person that the office closed their case, in the closing transaction
        (see `notices.close_notice`). False: the person is not reachable."""
        return await notices.close_notice(tx, case_id)

    def outbox_filled(self) -> None:
        """Wake the delivery worker after a caller committed outbox rows itself."""
        if self.on_outbox is not None:
            self.on_outbox()

    # ---------------------------------------------------------- dialogs driven elsewhere
    # Rasa (and any other external dialog manager) runs the bot phase itself and calls these
    # through our actions; ownership and writing stay here, under the same lock and checks.

    async def external_flow(self) -> tuple[Flow, datetime]:
        """The published flow (for its rules and texts) and the office's local time now."""
        ctx = self._context()
        async with self.store.read(self.clock()) as tx:
            return await external.current_flow(tx, ctx)

    async def external_owner(self, channel: str, address: str) -> Owner | None:
        """Who owns this person's open conversation; None when there is none."""
        async with self.store.read(self.clock()) as tx:
            return await external.owner_of(tx, channel, address)

    async def external_sender(self, channel: str, sender_id: str) -> tuple[str, str]:
        """(channel, address) of an external dialog manager's sender id.

        When Rasa drives a conversation on one of our channels, its sender id is that
        contact's keyed pseudonym: the person's real channel and address are returned, so a
        handover hands over that conversation and counsellor replies reach that channel.
        Any other sender id is an address on `channel` (Rasa's own channels).
        """
        async with self.store.read(self.clock()) as tx:
            return await external.sender_address(tx, channel, sender_id)

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
                contact = await external.open_conversation(
                    tx, self.catalog, channel, address, intake
                )
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
        ctx = self._context()
        async with self.store.tx(self.clock()) as tx:
            done = await external.hand_over(
                tx, ctx, contact, intake, made, deliver=deliver, session_token=session_token
            )
        if isinstance(done, ExternalHandover):
            return done
        log.info(
            "conversation %s: case %s created via %s",
            done.conversation_id,
            done.case.case_id,
            intake.via,
        )
        if deliver and self.on_outbox is not None:
            self.on_outbox()
        told = str(self.codes.reveal(done.payload)["text"])
        metrics.HANDOVERS.inc()
        if self.on_activity is not None:
            self.on_activity()
        return ExternalHandover("queued", done.case, told, delivered=deliver)

    async def _handle_driven(self, key: ContactKey, msg: InboundMessage, driver: Driver) -> Handled:
        """One driven turn in two transactions around the driver's answer.

        The person's line is committed first (nothing is lost when Rasa fails), then Rasa is
        asked holding only the turn lock, then its answers are stored and queued. Ordering
        warning: `self.turns` keeps one person's turns in order; the contact lock is free
        while Rasa answers, because Rasa calls our actions (which take it) before it does.
        """
        async with self.turns.hold(key):
            async with self.locks.hold(key):
                ctx = self._context()
                async with self.store.tx(self.clock()) as tx:
                    turn = await driven_turn.receive(tx, ctx, msg)
                if isinstance(turn, driven_turn.DrivenTurn) and turn.message is None:
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
                handled = await driven_turn.answer(tx, turn, replies)
        if handled.replies and self.on_outbox is not None:
            self.on_outbox()
        return handled


async def _dispatch(
    tx: Tx,
    ctx: Context,
    msg: InboundMessage,
    suggested: Suggested = (),
    made: CaseMaterial | None = None,
    clean: evidence.CleanFile | None = None,
) -> Handled:
    """Where one message goes, inside its transaction: a duplicate is ignored, a file is
    attached, a held contact's message is kept unseen, a stale button is refused, a
    message with no open conversation reopens a case or starts one; then the bot's turn or
    the case's."""
    contact, conv, taken = await arrival.arrive(tx, msg.channel, msg.address, msg.client_message_id)
    if not taken:
        log.info("contact %s: duplicate message ignored", contact.id)
        return Handled("duplicate", None, None)
    if clean is not None:
        return await files.attach(tx, ctx, contact, conv, clean, msg)
    if contact.blocked:
        kept = await held(tx, ctx, contact, conv, msg)
        if kept is not None:
            return kept
    if (
        msg.in_reply_to is not None
        and conv is not None
        and (
            not (conv.owner == "bot" or await dialog_goes_on(tx, conv))
            or await conversations.newest_bot_line(tx, conv.id) != msg.in_reply_to
        )
    ):
        # Not the question on screen now: after a later question, after the handover or a
        # restart. It must not answer whatever is current. A button of a conversation that
        # is over (closed, or expired while a Telegram chat kept its keyboard) is not
        # refused: it begins a new conversation, whose first step takes no answer, so the
        # person is not left with nothing to press.
        log.info("contact %s: a button of an earlier question was refused", contact.id)
        return Handled("stale", None, None)
    if conv is None:
        reopened = await opening.reopen(tx, ctx, contact, msg)
        if reopened is not None:
            return reopened
        conv = await opening.start(tx, ctx, contact, msg)
        notice = opening.fresh_notice(conv, msg)
        if msg.source is not None:
            # Outreach counts: a monthly counter only, never stored with the conversation.
            await stats.count(tx, tx.now.strftime("%Y-%m"), {"source": [msg.source]})
        handled = await bot_turn(tx, ctx, contact, conv, msg, suggested, notice, made)
        return dataclasses.replace(handled, started=True)
    if conv.owner == "bot" or await dialog_goes_on(tx, conv):
        return await bot_turn(tx, ctx, contact, conv, msg, suggested, made=made)
    return await case_turn.to_case(tx, ctx, contact, conv, msg)
