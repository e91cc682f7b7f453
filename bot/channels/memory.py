"""A channel that keeps what it is given in memory: for the terminal simulator and tests.

It can be told to fail, so retry and ordering behaviour can be watched without a network.
"""

from __future__ import annotations

import asyncio

from bot.channels.base import DeliveryFailed, OutboundMessage, RecipientUnreachable


class MemoryChannel:
    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self.sent: list[OutboundMessage] = []
        self.failures_left = 0
        """The next this many sends raise DeliveryFailed."""
        self.unreachable: set[str] = set()
        self.arrived = asyncio.Event()
        self.typing_to: list[str] = []
        """Addresses a typing hint was shown to, in order."""

    async def send(self, message: OutboundMessage) -> None:
        if message.address in self.unreachable:
            raise RecipientUnreachable(message.address)
        if self.failures_left > 0:
            self.failures_left -= 1
            raise DeliveryFailed("simulated outage")
        self.sent.append(message)
        self.arrived.set()

    async def typing(self, address: str) -> None:
        self.typing_to.append(address)

    def to(self, address: str) -> list[OutboundMessage]:
        return [m for m in self.sent if m.address == address]
