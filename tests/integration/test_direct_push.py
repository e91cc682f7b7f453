"""A reply to the person who just wrote goes out at once, not in the delivery worker's next
round; the outbox stays its durable path: a reply that cannot be pushed is retried by the
worker, and an earlier reply still waiting is never overtaken. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from bot.channels.base import InboundMessage, OutboundMessage
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from bot.conversation.flows import FlowCatalog
from bot.conversation.service import ConversationService, Handled
from bot.delivery.worker import DeliveryWorker
from bot.settings import DeliverySettings
from storage import outbox
from tests.conftest import Office

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RESPONSE = {"de": "in zwei Werktagen"}
_ids = itertools.count(1)


class Wired:
    """The service with the worker's push, as the app wires them; no worker loop runs."""

    def __init__(self, office: Office) -> None:
        self.clock = ManualClock(NOW)
        self.channel = MemoryChannel()
        self.store = office.store
        self.service = ConversationService(
            office.store, FlowCatalog("mini"), response_time=RESPONSE, clock=self.clock
        )
        self.worker = DeliveryWorker(
            office.store,
            {self.channel.name: self.channel},
            DeliverySettings(backoff_initial_seconds=1, backoff_max_seconds=1),
            clock=self.clock,
            reveal=self.service.codes.reveal,
        )
        self.service.pusher = self.worker

    async def send(self, address: str, **fields: object) -> int:
        msg = InboundMessage(self.channel.name, address, f"m{next(_ids)}", **fields)  # type: ignore[arg-type]
        handled = await self.service.handle(msg)
        return handled.pushed

    async def waiting(self) -> int:
        await self.worker.flush_pushed()
        async with self.store.read() as tx:
            return await outbox.pending(tx)

    def texts(self, address: str) -> list[str]:
        return [m.text for m in self.channel.to(address)]


async def test_a_reply_goes_out_at_once_and_leaves_the_outbox_once_sent(office: Office) -> None:
    wired = Wired(office)
    assert await wired.send("p-1", command="start", language="de") >= 1
    assert await wired.send("p-1", choice="accept") >= 1
    said = wired.texts("p-1")
    assert said and said[-1] == "Sind Sie jetzt in Gefahr?"  # without any delivery round
    assert await wired.waiting() == 0  # the rows went in one batch after the sends
    assert await wired.worker.run_once() == 0
    assert wired.texts("p-1") == said  # nothing twice
    ids = [m.delivery_id for m in wired.channel.sent]
    assert len(set(ids)) == len(ids)


async def test_a_reply_that_cannot_be_pushed_is_retried_by_the_worker_in_order(
    office: Office,
) -> None:
    wired = Wired(office)
    reference = Wired(office)
    await reference.send("ref", command="start", language="de")
    await reference.send("ref", choice="accept")
    await reference.send("ref", choice="no")

    wired.channel.failures_left = 1
    assert await wired.send("p-2", command="start", language="de") == 0
    assert wired.texts("p-2") == []
    # The next messages' replies must not overtake the first ones, still waiting: the first
    # answer's unit meets the person anew, the second one's knows them from the first
    # (storage/arrival.py: on PostgreSQL the unit's write itself asks the outbox).
    assert await wired.send("p-2", choice="accept") == 0
    assert await wired.send("p-2", choice="no") == 0
    assert wired.texts("p-2") == []
    assert await wired.waiting() > 0

    wired.clock.advance(seconds=2)  # the retry is due
    while await wired.worker.run_once():
        pass
    assert wired.texts("p-2") == reference.texts("ref")
    assert await wired.waiting() == 0


class HeldChannel(MemoryChannel):
    """The person's device, slow to take the next message until `go` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.go = asyncio.Event()

    async def send(self, message: OutboundMessage) -> None:
        await self.go.wait()
        await super().send(message)


async def beside_a_pushing_service(
    office: Office, channel: MemoryChannel, address: str
) -> tuple[ConversationService, ConversationService, DeliveryWorker]:
    """A service whose replies are pushed, a second one beside it (another process) whose
    replies are left to the worker's rounds (which poll only every 30 s), and a person at the
    danger question of the first."""
    clock = ManualClock(NOW)
    pushing = ConversationService(office.store, FlowCatalog("mini"), response_time={}, clock=clock)
    beside = ConversationService(office.store, FlowCatalog("mini"), response_time={}, clock=clock)
    worker = DeliveryWorker(
        office.store, {channel.name: channel}, DeliverySettings(poll_seconds=30), clock=clock
    )
    pushing.pusher = worker
    beside.on_outbox = worker.wake
    await pushing.handle(InboundMessage(channel.name, address, f"m{next(_ids)}", command="start"))
    await pushing.handle(InboundMessage(channel.name, address, f"m{next(_ids)}", choice="accept"))
    await worker.flush_pushed()
    return pushing, beside, worker


async def test_a_reply_behind_a_pushed_one_goes_out_as_soon_as_that_one_is_cleared(
    office: Office,
) -> None:
    """Another process's unit (here: a second service on the same database) queues a reply
    to the person while their pushed reply is still being sent: it waits behind it (order),
    and goes out once the pushed one is sent and cleared, not at the worker's next poll."""
    channel = HeldChannel()
    channel.go.set()
    pushing, beside, worker = await beside_a_pushing_service(office, channel, "p-3")
    rounds = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.05)  # the worker's first round found nothing and waits
        channel.go.clear()
        first = asyncio.create_task(
            pushing.handle(InboundMessage(channel.name, "p-3", f"m{next(_ids)}", choice="no"))
        )
        await _within_5_s(lambda: _waiting_rows(office), 1)
        handled = await beside.handle(
            InboundMessage(channel.name, "p-3", f"m{next(_ids)}", text="gestern")
        )
        assert handled.pushed == 0 and handled.replies > 0  # left to the worker, behind
        await asyncio.sleep(0.1)
        assert len(channel.to("p-3")) == 2  # nothing overtook the pushed reply
        channel.go.set()
        await first
        everything = 3 + handled.replies
        await _within_5_s(lambda: _sent(channel, "p-3"), everything)
        assert channel.to("p-3")[2].text == "Wann ist es passiert?"
        await worker.flush_pushed()
        await _within_5_s(lambda: _gone(office), 1)  # the round's delete commits after its send
        assert len(channel.to("p-3")) == everything  # nothing twice
    finally:
        worker.stop()
        await rounds


async def _waiting_rows(office: Office) -> int:
    async with office.store.read() as tx:
        return await outbox.pending(tx)


async def _sent(channel: MemoryChannel, address: str) -> int:
    return len(channel.to(address))


async def _gone(office: Office) -> int:
    return int(await _waiting_rows(office) == 0)


async def _within_5_s(count: Callable[[], Awaitable[int]], at_least: int) -> None:
    for _ in range(500):
        if await count() >= at_least:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not {at_least} within 5 s but {await count()}")


async def test_clearing_pushed_replies_starts_no_delivery_round_of_its_own(office: Office) -> None:
    """Pushed replies' rows are deleted in batches; with nothing queued behind them, that is
    all: no round of the worker looks through the outbox for nothing (a transaction each)."""
    wired = Wired(office)
    rounds = asyncio.create_task(wired.worker.run())
    looked: list[str] = []

    def claims(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if sql.lstrip().startswith("SELECT") and "lease_until" in sql:
            looked.append("round")

    engine = office.store.db.engine.sync_engine
    try:
        await asyncio.sleep(0.05)  # the worker's first round found nothing and waits
        event.listen(engine, "before_cursor_execute", claims)
        assert await wired.send("p-4", command="start", language="de") >= 1
        assert await wired.send("p-4", choice="accept") >= 1
        assert await wired.waiting() == 0
        await asyncio.sleep(0.1)
        assert looked == []
        assert wired.texts("p-4")[-1] == "Sind Sie jetzt in Gefahr?"
    finally:
        event.remove(engine, "before_cursor_execute", claims)
        wired.worker.stop()
        await rounds


async def test_a_reply_committed_before_the_pushed_one_is_sent_goes_out_after_it(
    office: Office,
) -> None:
    """The same, with the other reply committed in the moment between the pushed reply's
    commit and its push (while the web chat acknowledges the message): the worker's round
    then finds the pushed reply's row at the head of the person's queue; once that row is
    deleted, the rounds look again."""
    channel = MemoryChannel()
    pushing, beside, worker = await beside_a_pushing_service(office, channel, "p-5")
    rounds = asyncio.create_task(worker.run())
    behind: list[Handled] = []

    async def acknowledged(_handled: Handled) -> None:
        behind.append(
            await beside.handle(InboundMessage(channel.name, "p-5", f"m{next(_ids)}", text="x"))
        )
        await asyncio.sleep(0.2)  # the round the reply woke has looked, and found its head

    try:
        await asyncio.sleep(0.05)
        await pushing.handle(
            InboundMessage(channel.name, "p-5", f"m{next(_ids)}", choice="no"), acknowledged
        )
        (handled,) = behind
        assert handled.pushed == 0 and handled.replies > 0
        await _within_5_s(lambda: _sent(channel, "p-5"), 3 + handled.replies)
        assert channel.to("p-5")[2].text == "Wann ist es passiert?"
    finally:
        worker.stop()
        await rounds
