"""A reply to the person who just wrote goes out at once, not in the delivery worker's next
round; the outbox stays its durable path: a reply that cannot be pushed is retried by the
worker, and an earlier reply still waiting is never overtaken. SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from bot.channels.base import InboundMessage
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from bot.conversation.flows import FlowCatalog
from bot.conversation.service import ConversationService
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

    wired.channel.failures_left = 1
    assert await wired.send("p-2", command="start", language="de") == 0
    assert wired.texts("p-2") == []
    # The next message's replies must not overtake the first ones, still waiting.
    assert await wired.send("p-2", choice="accept") == 0
    assert wired.texts("p-2") == []
    assert await wired.waiting() > 0

    wired.clock.advance(seconds=2)  # the retry is due
    while await wired.worker.run_once():
        pass
    assert wired.texts("p-2") == reference.texts("ref")
    assert await wired.waiting() == 0
