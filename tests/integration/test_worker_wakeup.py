"""The delivery worker does not sleep through a signal: a reply committed while a round is
running (after its query looked and found nothing) is delivered at once, not after the poll
interval. Seen as a flake with two replicas that poll every 30 s."""

from __future__ import annotations

import asyncio

from bot.channels.base import InboundMessage
from bot.channels.memory import MemoryChannel
from bot.clock import SystemClock
from bot.conversation.flows import FlowCatalog
from bot.conversation.service import ConversationService
from bot.delivery.worker import DeliveryWorker
from bot.settings import DeliverySettings
from tests.conftest import Office


async def test_a_wake_that_comes_during_an_empty_round_is_not_lost(office: Office) -> None:
    channel = MemoryChannel()
    service = ConversationService(
        office.store, FlowCatalog("mini"), response_time={"de": "bald"}, clock=SystemClock()
    )

    class WokenDuringTheRound(DeliveryWorker):
        """The first round finds nothing; before it ends, a reply is committed and the
        commit's signal arrives (as a NOTIFY from another replica would)."""

        rounds = 0

        async def run_once(self) -> int:
            sent = await super().run_once()
            self.rounds += 1
            if self.rounds == 1:
                await service.handle(InboundMessage(channel.name, "p-1", "m-1", command="start"))
                self.wake()
            return sent

    worker = WokenDuringTheRound(
        office.store,
        {channel.name: channel},
        DeliverySettings(poll_seconds=30),
        clock=SystemClock(),
        reveal=service.codes.reveal,
    )
    task = asyncio.create_task(worker.run())
    try:
        for _ in range(100):
            if channel.to("p-1"):
                break
            await asyncio.sleep(0.05)
        assert channel.to("p-1"), "the reply waited for the 30 s poll"
    finally:
        worker.stop()
        await asyncio.wait_for(task, 10)
