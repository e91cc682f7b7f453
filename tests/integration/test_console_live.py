"""The console's live stream: an open tab hears at once that something changed (nudges
only, never content) and fetches its page's JSON; across two replicas on PostgreSQL too, so
a person writing on replica A moves the counsellor's page on replica B."""

from __future__ import annotations

import asyncio
import re

import pyotp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.settings import DeliverySettings, Settings
from storage import cases, teams
from tests.conftest import COUNSELLOR_PASSWORD, Office
from tests.integration.test_replicas_live import Replicas
from tests.integration.test_webchat_ws import Chat, _complete_after_hello, connect

Client = TestClient[web.Request, web.Application]


async def console_session(client: Client, office: Office, username: str) -> str:
    """Log in on this app as a browser would; the session cookie's value."""
    secret = pyotp.random_base32()
    async with office.store.tx() as tx:
        row = await teams.login_account(tx, username)
        assert row is not None
        await teams.set_totp_secret(tx, row.counsellor_id, secret)
    page = await client.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]*)"', await page.text())
    assert csrf
    resp = await client.post(
        "/console/login",
        data={
            "csrf": csrf.group(1),
            "username": username,
            "password": COUNSELLOR_PASSWORD,
            "code": pyotp.TOTP(secret).now(),
        },
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    sid = resp.cookies["console"].value
    client.session.cookie_jar.clear()
    return sid


class Stream:
    """A console tab's EventSource, reduced to the event names it hears."""

    def __init__(self, client: Client, sid: str) -> None:
        self.client, self.sid = client, sid
        self.events: asyncio.Queue[str] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Stream:
        resp = await self.client.get("/console/events", headers={"Cookie": f"console={self.sid}"})
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/event-stream")

        async def read() -> None:
            async for raw in resp.content:
                line = raw.decode().strip()
                if line.startswith("event:"):
                    await self.events.put(line.removeprefix("event:").strip())
                assert "data:" not in line or line == "data: activity"  # no content, ever

        self._task = asyncio.create_task(read())
        await asyncio.sleep(0.1)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()

    async def next(self) -> str:
        return await asyncio.wait_for(self.events.get(), 30)  # a busy machine: see Chat.next


async def _handed_over(client: Client, office: Office) -> tuple[Chat, int, int]:
    chat = await connect(client)
    await chat.send({"type": "hello", "language": "de"})
    await chat.next("welcome")
    await _complete_after_hello(chat)
    async with office.store.tx() as tx:
        (entry,) = await cases.queue(tx)
        keys = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert keys is not None
        assert await cases.claim(tx, entry.case_id, keys.counsellor_id)
    return chat, entry.case_id, keys.counsellor_id


async def test_a_new_case_nudges_an_open_queue_tab(office: Office) -> None:
    settings = Settings(delivery=DeliverySettings(poll_seconds=0.05))
    app = create_app(settings, office.store, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        sid = await console_session(client, office, "berater-region")
        async with Stream(client, sid) as tab:
            chat = await connect(client)
            await chat.send({"type": "hello", "language": "de"})
            await chat.next("welcome")
            await _complete_after_hello(chat)
            assert await tab.next() == "nudge"
        queue = await client.get("/console/queue.json", headers={"Cookie": f"console={sid}"})
        assert len((await queue.json())["cases"]) == 1


async def test_the_stream_is_for_signed_in_tabs_only(office: Office) -> None:
    app = create_app(Settings(), office.store, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        resp = await client.get("/console/events", allow_redirects=False)
        assert resp.status in (302, 303)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_the_person_on_one_replica_moves_the_counsellors_page_on_another(
    replicas: Replicas, office: Office
) -> None:
    two = replicas
    chat, case_id, _ = await _handed_over(two.a, office)  # the person is on replica A
    sid = await console_session(two.b, office, "berater-region")  # the counsellor on B
    status_url = f"/console/cases/{case_id}/status.json"
    cookie = {"Cookie": f"console={sid}"}
    async with Stream(two.b, sid) as tab:
        last = (await (await two.b.get(status_url, headers=cookie)).json())["last_seq"]
        await chat.send({"type": "typing"})
        assert await tab.next() == "typing"
        status = await (await two.b.get(status_url, headers=cookie)).json()
        assert status["typing"] is True  # B's page shows A's person typing

        await chat.answer(text="Ich bin noch da.")
        while await tab.next() != "nudge":
            pass
        status = await (await two.b.get(f"{status_url}?after={last}", headers=cookie)).json()
        assert [line["text"] for line in status["lines"]] == ["Ich bin noch da."]
