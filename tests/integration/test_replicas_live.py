"""Two replicas on one PostgreSQL database, each with its own connections and memory: the
person's web chat socket is on replica A, the reply is delivered by replica B, and it still
arrives live; so does the counsellor's typing hint; a replica whose signal connection was cut
reconnects by itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from bot.app import create_app
from bot.channels import webchat
from bot.clock import SystemClock
from bot.keys import SERVICE, WEBCHAT, WORKER
from bot.settings import DeliverySettings, Settings
from storage import cases, flows, teams
from storage.crypto import KdfParams
from storage.db import Database
from storage.store import Store
from tests.conftest import COUNSELLOR_PASSWORD, Office
from tests.integration.test_webchat_ws import _complete_after_hello, connect

Client = TestClient[web.Request, web.Application]
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


@dataclass
class Replicas:
    a: Client
    b: Client
    b_store: Store


@pytest.fixture
async def replicas(office: Office) -> AsyncIterator[Replicas]:
    # Both poll rarely: only a signal can make anything arrive quickly.
    settings = Settings(delivery=DeliverySettings(poll_seconds=30))
    url = office.store.db.url.render_as_string(hide_password=False)
    b_store = Store(Database(url), office.store.keys, KdfParams.fast(), clock=SystemClock())
    app_a = create_app(settings, office.store, flow_id="mini")
    app_b = create_app(settings, b_store, flow_id="mini")
    async with (
        TestClient(TestServer(app_a, host="127.0.0.1")) as a,
        TestClient(TestServer(app_b, host="127.0.0.1")) as b,
    ):
        yield Replicas(a, b, b_store)
    await b_store.db.dispose()


async def test_a_reply_delivered_by_another_replica_arrives_live(
    replicas: Replicas, office: Office
) -> None:
    chat = await connect(replicas.a)
    await chat.send({"type": "hello", "language": "de"})
    session = (await chat.next("welcome"))["session"]
    await _complete_after_hello(chat)
    replicas.a.app[WORKER].stop()  # from now on only replica B delivers
    async with office.store.tx() as tx:
        (entry,) = await cases.queue(tx)
        counsellor = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert counsellor is not None
        assert await cases.claim(tx, entry.case_id, counsellor.counsellor_id)

    # The counsellor's console is on B: B stores the reply and B's worker delivers it.
    seq = await replicas.b.app[SERVICE].counsellor_reply(
        entry.case_id, counsellor.counsellor_id, "Guten Tag, hier Frau M."
    )
    while True:
        live = await chat.next("message")
        if live["sender"] == "counsellor":
            break
    assert (live["text"], live["seq"]) == ("Guten Tag, hier Frau M.", seq)

    # The typing hint crosses too.
    address = webchat.address_for(webchat.decode_token(session) or b"")
    await replicas.b.app[WEBCHAT].typing(address)
    assert (await chat.next("typing"))["sender"] == "counsellor"


async def test_a_cut_signal_connection_reconnects_and_catches_up(
    replicas: Replicas, office: Office
) -> None:
    chat = await connect(replicas.a)
    await chat.send({"type": "hello", "language": "de"})
    await chat.next("welcome")
    await _complete_after_hello(chat)
    replicas.a.app[WORKER].stop()
    async with office.store.tx() as tx:
        (entry,) = await cases.queue(tx)
        counsellor = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert counsellor is not None
        assert await cases.claim(tx, entry.case_id, counsellor.counsellor_id)
    async with replicas.b_store.db.engine.begin() as conn:  # a database restart, as A sees it
        await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
                # This test's database only: other tests share the cluster.
                " AND datname = current_database()"
            )
        )
    # Whatever was signalled while A was cut off, A's page gets it once A is back.
    await replicas.b.app[SERVICE].counsellor_reply(
        entry.case_id, counsellor.counsellor_id, "Sind Sie noch da?"
    )
    while True:
        live = await chat.next("message")
        if live["sender"] == "counsellor":
            break
    assert live["text"] == "Sind Sie noch da?"
    ready = await (await replicas.a.get("/readyz")).json()
    assert ready["failing"] == ["delivery worker"]  # stopped above; the listener is back


async def _first_question(client: Client) -> str:
    chat = await connect(client)
    await chat.send({"type": "hello", "language": "de"})
    await chat.next("welcome")
    return str((await chat.until_prompt())["text"])


async def test_a_flow_published_on_another_replica_is_where_new_conversations_start(
    replicas: Replicas, office: Office
) -> None:
    assert await _first_question(replicas.a) == "Dürfen wir Ihre Angaben speichern?"
    source = office.flow_path.read_text(encoding="utf-8")
    changed = source.replace("Dürfen wir Ihre Angaben speichern?", "Dürfen wir speichern?")
    async with replicas.b_store.tx() as tx:  # an admin publishes in B's console
        await flows.publish(tx, "mini", changed, "admin")
    # A learns of it by B's notification (no restart, no wait for the cache's age).
    for _ in range(100):
        if await _first_question(replicas.a) == "Dürfen wir speichern?":
            return
        await asyncio.sleep(0.05)
    raise AssertionError("replica A still starts conversations on the old version")
