"""The delivery worker: takes replies from the outbox and hands them to their channel.

A reply leaves the outbox only after its channel accepted it; failures retry with
exponential backoff (or the peer's Retry-After), forever, because a reply that never
arrives is worse than a late one. A person who cannot be reached any more (blocked the bot)
is marked unreachable, which the counsellor sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from bot import metrics
from bot.channels.base import (
    Channel,
    DeliveryFailed,
    Link,
    Option,
    OutboundMessage,
    RecipientUnreachable,
)
from bot.clock import Clock
from bot.settings import DeliverySettings
from storage import contacts, outbox
from storage.records import Delivery
from storage.store import Store

log = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 30.0
UNDELIVERABLE_CHANNELS = frozenset({"rasa", contacts.PARKED_CHANNEL})
"""Channels nothing can be sent to: "rasa" is a conversation on Rasa's own channels (our
actions made it), and Rasa has no way in for a counsellor's reply; "parked" is a contact cut
off from its device when its case code was replaced. Its replies are dropped
and the contact marked unreachable at once, instead of waiting in the outbox forever; the
reply itself stays in the case's transcript."""


def backoff_seconds(attempt: int, initial: float, maximum: float, rng: random.Random) -> float:
    """Full-jitter exponential backoff, so many failed replies do not retry in lockstep."""
    ceiling = min(maximum, initial * (2 ** max(0, attempt - 1)))
    return rng.uniform(ceiling / 2, ceiling)


def to_outbound(
    delivery: Delivery, reveal: Callable[[dict[str, Any]], dict[str, Any]] | None = None
) -> OutboundMessage:
    """The stored reply as its channel sends it; `reveal` fills what is never stored (a new
    case's code, held in memory by the conversation service)."""
    p: dict[str, Any] = delivery.payload if reveal is None else reveal(delivery.payload)
    return OutboundMessage(
        delivery_id=delivery.delivery_id,
        address=delivery.address,
        text=p["text"],
        sender=p.get("sender", "bot"),
        kind=p.get("kind", "info"),
        language=p.get("language", "de"),
        expects=p.get("expects", "none"),
        choices=tuple(Option(*choice) for choice in p.get("choices", [])),
        exclusive=tuple(p.get("exclusive", ())),
        min_choices=p.get("min_choices", 0),
        max_choices=p.get("max_choices"),
        max_length=p.get("max_length"),
        actions=tuple(Option(i, label) for i, label in p.get("actions", [])),
        seq=p.get("seq"),
        case_code=p.get("case_code"),
        suggested=tuple(p.get("suggested", ())),
        more=str(p.get("more") or ""),
        owner=p.get("owner"),
        links=tuple(Link(str(t), str(h)) for t, h in p.get("links", ())),
    )


class DeliveryWorker:
    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        settings: DeliverySettings | None = None,
        *,
        clock: Clock,
        batch: int = 50,
        reveal: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        self.store = store
        self.channels = dict(channels)
        self.settings = settings or DeliverySettings()
        self.clock = clock
        self.batch = batch
        self.reveal = reveal
        self._wake = asyncio.Event()
        self._stopping = False
        self._rng = random.Random()  # noqa: S311  # jitter, not a secret
        self._pushed: list[Delivery] = []
        """Replies pushed at once, sent, their rows to be deleted in the next batch."""
        self._flusher: asyncio.Task[None] | None = None
        self._not_cleared: dict[int, set[int]] = {}
        """Per contact, the outbox ids of `_pushed` and of the batch being deleted: asked at
        every message (`sent_not_cleared`), so not searched for in the lists."""
        self._woken = False
        """Woken since the last deletion of pushed rows: a reply left to the rounds may sit
        behind a pushed one (committed before it, not yet deleted), so the rounds look again
        once the next batch is deleted. Not otherwise: a round that finds nothing is a
        transaction for nothing, and pushed replies alone never need one."""

    def sent_not_cleared(self, contact_id: int) -> frozenset[int]:
        """The contact's outbox rows this process pushed and is about to delete: sent, so no
        reply after them has to wait for them (`DirectPush.sent`)."""
        return frozenset(self._not_cleared.get(contact_id, ()))

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.lease_seconds)

    async def push(self, deliveries: Sequence[Delivery]) -> int:
        """Replies committed a moment ago for the person who wrote (their rows leased to us,
        storage/outbox.py `enqueue`): sent at once, in order, instead of in the next round.
        Sent ones are deleted in batches (many pushes, one commit); a failure leaves that
        reply to the usual retries and the rest to the rounds, in order. Returns how many
        went out."""
        sent = 0
        try:
            for index, delivery in enumerate(deliveries):
                if not await self._deliver(delivery):
                    rest = [d.outbox_id for d in deliveries[index + 1 :]]
                    if rest:
                        async with self.store.tx(self.clock()) as tx:
                            await outbox.release(tx, rest)
                    self.wake()
                    break
                self._pushed.append(delivery)
                self._not_cleared.setdefault(delivery.contact_id, set()).add(delivery.outbox_id)
                sent += 1
        finally:
            if self._pushed and (self._flusher is None or self._flusher.done()):
                self._flusher = asyncio.create_task(self._delete_pushed(), name="delivery-pushed")
        return sent

    async def _delete_pushed(self) -> None:
        """Delete what was pushed, in one transaction per batch: while one commits, the next
        batch gathers. If it fails, the rows stay leased and come again after the lease,
        under the same delivery ids (the receivers drop what they have seen)."""
        while self._pushed:
            done, self._pushed = self._pushed, []
            try:
                async with self.store.tx(self.clock(), small=True) as tx:
                    await outbox.delivered(tx, [d.outbox_id for d in done])
            except Exception:
                log.exception("delivery: %s pushed replies could not be cleared", len(done))
                return
            finally:
                self._cleared(done)
            if self._woken:
                # A reply queued behind one of these (a counsellor's, say) may go now.
                self._woken = False
                self._wake.set()

    def _cleared(self, done: Sequence[Delivery]) -> None:
        for d in done:
            ids = self._not_cleared.get(d.contact_id)
            if ids is not None:
                ids.discard(d.outbox_id)
                if not ids:
                    del self._not_cleared[d.contact_id]

    async def flush_pushed(self) -> None:
        """Wait until every pushed reply's row is deleted (at stop, and for tests)."""
        while self._flusher is not None and not self._flusher.done():
            await self._flusher
        if self._pushed:
            await self._delete_pushed()

    def wake(self) -> None:
        """New replies are waiting (called after a commit that enqueued some)."""
        self._woken = True
        self._wake.set()

    def stop(self) -> None:
        """Finish the current round, then leave `run` (so no reply is cut off mid-delivery)."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Deliver until stopped or cancelled; sleeps until woken or the poll interval passed."""
        while not self._stopping:
            # Cleared before the round, not after it: a wake that comes while the round runs
            # (a reply committed after its query looked) is kept and starts the next round
            # at once, instead of waiting for the poll interval.
            self._wake.clear()
            try:
                sent = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database may be briefly away; never let the worker die with it.
                log.exception("delivery round failed; retrying")
                sent = 0
            if sent or self._stopping:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.poll_seconds)
        await self.flush_pushed()

    async def run_once(self) -> int:
        """One round: lease due replies, send them concurrently per person, record results."""
        async with self.store.tx(self.clock()) as tx:
            due = await outbox.claim_due(tx, self.batch, self.lease)
        if not due:
            return 0
        results = await asyncio.gather(*(self._deliver(d) for d in due))
        sent = [d.outbox_id for d, ok in zip(due, results, strict=True) if ok]
        if sent:
            # One commit for the whole round: a crash before it only means these replies
            # are offered again under the same delivery ids.
            async with self.store.tx(self.clock()) as tx:
                await outbox.delivered(tx, sent)
        return len(sent)

    async def _deliver(self, delivery: Delivery) -> bool:
        channel = self.channels.get(delivery.channel)
        try:
            if delivery.channel in UNDELIVERABLE_CHANNELS:
                raise RecipientUnreachable(delivery.channel)
            if channel is None:
                raise DeliveryFailed(f"channel {delivery.channel} is not running")
            # A peer that stops reading must not hold up every other person's replies.
            async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
                await channel.send(to_outbound(delivery, self.reveal))
        except RecipientUnreachable:
            async with self.store.tx(self.clock()) as tx:
                await contacts.mark_unreachable(tx, delivery.contact_id)
                dropped = await outbox.drop_for_contact(tx, delivery.contact_id)
            log.warning("contact %s unreachable; %s replies dropped", delivery.contact_id, dropped)
            return False
        except DeliveryFailed as exc:
            await self._retry(delivery, exc.retry_after, f"DeliveryFailed: {exc}")
            return False
        except TimeoutError:
            await self._retry(delivery, None, "send timed out")
            return False
        except Exception as exc:
            # A bug in a channel must not lose the reply: it stays and is retried.
            log.exception("delivery %s: channel %s raised", delivery.outbox_id, delivery.channel)
            await self._retry(delivery, None, exc.__class__.__name__)
            return False
        return True

    async def _retry(self, delivery: Delivery, retry_after: float | None, error: str) -> None:
        cap = self.settings.backoff_max_seconds
        if retry_after is not None and math.isfinite(retry_after):
            wait = min(max(0.0, retry_after), cap)  # a peer's Retry-After, within reason
        else:
            wait = backoff_seconds(
                delivery.attempts, self.settings.backoff_initial_seconds, cap, self._rng
            )
        now = self.clock()
        async with self.store.tx(now) as tx:
            await outbox.retry_later(tx, delivery.outbox_id, now + timedelta(seconds=wait), error)
        metrics.DELIVERY_FAILURES.labels(channel=delivery.channel).inc()
        log.info(
            "delivery %s attempt %s failed (%s); retry in %.1fs",
            delivery.outbox_id,
            delivery.attempts,
            error,
            wait,
        )
