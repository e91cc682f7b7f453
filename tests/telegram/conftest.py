"""Fixtures for the Telegram tests: a real Bot API peer (telegram-test-api behind the wire
proxy of harness.py) and the real service (app, store, flow) talking to it.

    emulator        function: telegram-test-api on a free loopback port (node)
    proxy           function: the wire proxy in front of it
    make_telegram   function: factory → a running app (aiohttp test server) whose bot is
                    pointed at the proxy; polling by default, or webhook mode
    person          function: factory for scripted people (chat ids are unique per test)

Without node or the npm package the tests skip locally, but fail in CI (like the browser
tests): scripts/install-test-deps installs both.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.app import create_app
from bot.conversation.flows import publish_files
from bot.settings import (
    DeliverySettings,
    LegalSettings,
    OfficeContactSettings,
    Settings,
    TelegramSettings,
)
from tests.conftest import Office
from tests.e2e.helpers import unavailable
from tests.telegram.harness import TOKEN, Emulator, Person, WireProxy

INTAKE = Path(__file__).resolve().parents[2] / "dialogs" / "flows" / "intake.yaml"
WEBHOOK_SECRET = "s3cr3t-Token_for-the-webhook"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    missing = Emulator.missing()
    if missing:
        unavailable(missing)
    emu = Emulator()
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
async def proxy(emulator: Emulator) -> AsyncIterator[WireProxy]:
    p = WireProxy(emulator.url)
    await p.start()
    yield p
    await p.stop()


@dataclass
class Telegram:
    client: TestClient[web.Request, web.Application]
    proxy: WireProxy
    emulator: Emulator
    office: Office
    settings: Settings

    @property
    def app(self) -> web.Application:
        app = self.client.app
        assert app is not None
        return app


MakeTelegram = Callable[..., Awaitable[Telegram]]


def telegram_settings(
    proxy: WireProxy,
    legal: LegalSettings | None = None,
    office_contact: OfficeContactSettings | None = None,
    **overrides: Any,
) -> Settings:
    values: dict[str, Any] = {
        "token": SecretStr(TOKEN),
        "base_url": proxy.base_url,
        "mode": "polling",
        "poll_timeout_seconds": 0,
        "poll_pause_seconds": 0.05,
        "webchat_url": "https://beratung.example/chat",
    }
    values.update(overrides)
    return Settings(
        delivery=DeliverySettings(
            poll_seconds=0.05, backoff_initial_seconds=0.2, backoff_max_seconds=2
        ),
        telegram=TelegramSettings(**values),
        legal=legal or LegalSettings(),
        office_contact=office_contact or OfficeContactSettings(),
    )


@pytest.fixture
async def make_telegram(
    office: Office, proxy: WireProxy, emulator: Emulator
) -> AsyncIterator[MakeTelegram]:
    clients: list[TestClient[web.Request, web.Application]] = []

    async def make(
        flow_id: str = "mini",
        legal: LegalSettings | None = None,
        office_contact: OfficeContactSettings | None = None,
        **overrides: Any,
    ) -> Telegram:
        if flow_id == "intake":
            await publish_files(office.store, [INTAKE])
        settings = telegram_settings(proxy, legal, office_contact, **overrides)
        app = create_app(settings, office.store, flow_id=flow_id)
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return Telegram(client, proxy, emulator, office, settings)

    yield make
    for client in clients:
        await client.close()


_chat_ids = itertools.count(4242001)


@pytest.fixture
async def person(emulator: Emulator) -> AsyncIterator[Callable[..., Person]]:
    people: list[Person] = []

    def make(**kwargs: Any) -> Person:
        p = Person(emulator.url, next(_chat_ids), **kwargs)
        people.append(p)
        return p

    yield make
    for p in people:
        await p.close()
