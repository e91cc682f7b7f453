"""Fixtures for the Signal tests: the fake signal-cli daemon (at the wire) and the real
service (app, store, flow) talking to it.

    signal_cli      function: FakeSignalCli on a free loopback port
    make_signal     factory → a running app whose Signal channel points at it
    person          factory for people on Signal (each with a fresh account id)
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.channels.signal_texts import LANGUAGES, words
from bot.conversation.flows import publish_files
from bot.keys import SIGNAL
from bot.settings import DeliverySettings, Settings, SignalSettings
from tests.conftest import Office
from tests.signal.fake_signal_cli import FakeSignalCli
from tests.telegram.conftest import INTAKE

BOT_LABELS = {words(lang).bot for lang in LANGUAGES}


@pytest.fixture
async def signal_cli() -> AsyncIterator[FakeSignalCli]:
    fake = FakeSignalCli()
    await fake.start()
    yield fake
    await fake.stop()


@dataclass
class Signal:
    client: TestClient[web.Request, web.Application]
    fake: FakeSignalCli
    office: Office

    @property
    def app(self) -> web.Application:
        app = self.client.app
        assert app is not None
        return app

    async def connected(self, within: float = 10) -> None:
        runtime = self.app[SIGNAL]
        deadline = time.monotonic() + within
        while runtime.state != "connected":
            assert time.monotonic() < deadline, f"Signal stayed {runtime.state}"
            await asyncio.sleep(0.02)


MakeSignal = Callable[..., Awaitable[Signal]]


@pytest.fixture
async def make_signal(office: Office, signal_cli: FakeSignalCli) -> AsyncIterator[MakeSignal]:
    clients: list[TestClient[web.Request, web.Application]] = []

    async def make(flow_id: str = "mini", **overrides: Any) -> Signal:
        if flow_id == "intake":
            await publish_files(office.store, [INTAKE])
        settings = Settings(
            delivery=DeliverySettings(
                poll_seconds=0.05, backoff_initial_seconds=0.1, backoff_max_seconds=1
            ),
            signal=SignalSettings(
                url=signal_cli.url,
                webchat_url="https://beratung.example/chat",
                reconnect_seconds=0.05,
                **overrides,
            ),
        )
        app = create_app(settings, office.store, flow_id=flow_id)
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        env = Signal(client, signal_cli, office)
        await env.connected()
        return env

    yield make
    for client in clients:
        await client.close()


@dataclass
class Person:
    """Someone writing to the office on Signal, by their account id (ACI)."""

    fake: FakeSignalCli
    aci: str = field(default_factory=lambda: str(uuid.uuid4()))
    number: str | None = None
    seen: int = 0

    def say(self, text: str, **kwargs: Any) -> int:
        return self.fake.incoming(self.aci, text, number=self.number, **kwargs)

    async def next(self, contains: str = "", within: float = 10) -> str:
        """The next message to this person containing `contains`; the ones before it count
        as read."""
        return await self._next(lambda m: contains in m, f"containing {contains!r}", within)

    async def question(self, start: str, within: float = 10) -> str:
        """The next program message (in any language) whose text begins with `start`."""

        def fits(message: str) -> bool:
            label, _, text = message.partition("\n")
            return label in BOT_LABELS and text.startswith(start)

        return await self._next(fits, f"starting {start!r}", within)

    async def _next(self, fits: Callable[[str], bool], what: str, within: float) -> str:
        deadline = time.monotonic() + within
        while True:
            got = self.fake.to(self.aci)
            while self.seen < len(got):
                message = got[self.seen]
                self.seen += 1
                if fits(message):
                    return message
            assert time.monotonic() < deadline, f"no message {what}: {got}"
            await asyncio.sleep(0.02)

    async def quiet(self, seconds: float = 0.4) -> list[str]:
        await asyncio.sleep(seconds)
        got = self.fake.to(self.aci)[self.seen :]
        self.seen += len(got)
        return got


@pytest.fixture
def person(signal_cli: FakeSignalCli) -> Callable[..., Person]:
    def make(**kwargs: Any) -> Person:
        return Person(signal_cli, **kwargs)

    return make
