"""What an orchestrator asks: is the process alive, and is it ready to move messages?
SQLite and PostgreSQL (where the cross-replica listener is one of the parts)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from bot.app import create_app
from bot.channels.memory import MemoryChannel
from bot.keys import WORKER
from bot.settings import DeliverySettings, Settings
from storage.db import Database
from storage.notify import OUTBOX_CHANNEL, Listener
from tests.conftest import Office

Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client(office: Office) -> AsyncIterator[Client]:
    channel = MemoryChannel()
    settings = Settings(delivery=DeliverySettings(poll_seconds=0.05))
    app = create_app(settings, office.store, channels={channel.name: channel}, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def _get(client: Client, path: str) -> tuple[int, dict[str, object]]:
    resp = await client.get(path)
    return resp.status, await resp.json()


async def _ready(client: Client) -> None:
    """Until everything has started (on a busy machine the replicas' listener takes a moment)."""
    for _ in range(200):
        if (await _get(client, "/readyz"))[0] == 200:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(await _get(client, "/readyz"))


async def test_a_running_service_is_alive_and_ready(client: Client) -> None:
    assert await _get(client, "/livez") == (200, {"status": "alive"})
    await _ready(client)
    assert await _get(client, "/readyz") == (200, {"status": "ready"})
    assert await _get(client, "/healthz") == (200, {"status": "ok"})


async def test_a_stopped_delivery_worker_makes_it_not_ready_but_alive(client: Client) -> None:
    await _ready(client)
    worker = client.app[WORKER]
    worker.stop()  # as if its task had ended: replies would no longer go out
    for _ in range(100):
        status, body = await _get(client, "/readyz")
        if status == 503:
            break
        await asyncio.sleep(0.05)
    assert (status, body) == (503, {"status": "not ready", "failing": ["delivery worker"]})
    assert (await _get(client, "/livez"))[0] == 200


async def test_a_schema_from_another_version_makes_it_not_ready(
    client: Client, office: Office
) -> None:
    await _ready(client)
    async with office.store.db.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0007'"))
    assert await _get(client, "/readyz") == (503, {"status": "not ready", "failing": ["schema"]})


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_listener_whose_connection_was_cut_says_so_and_comes_back(
    office: Office,
) -> None:
    woken: list[str] = []
    waiting = Listener(office.store.db, {OUTBOX_CHANNEL: woken.append}, reconnect_seconds=3600)
    back = Listener(
        office.store.db,
        {OUTBOX_CHANNEL: woken.append},
        on_reconnect=lambda: woken.append("caught up"),
        reconnect_seconds=0.2,
    )
    await waiting.start()
    await back.start()
    try:
        assert waiting.alive() and back.alive()
        # Another session ends both connections, as a database restart would.
        admin = Database(office.store.db.url.render_as_string(hide_password=False))
        try:
            async with admin.engine.begin() as conn:
                await conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
                        # This test's database only: other tests share the cluster.
                        " AND datname = current_database()"
                    )
                )
        finally:
            await admin.dispose()
        for _ in range(250):
            if not waiting.alive() and woken:
                break
            await asyncio.sleep(0.02)
        assert not waiting.alive()  # what /readyz reports as "replica listener"
        assert woken == ["caught up"] and back.alive()  # reconnected by itself, caught up
    finally:
        await waiting.stop()
        await back.stop()
