"""Half a UTF-16 surrogate pair ("\\ud800", legal in JSON, not storable as UTF-8) on every
entry point: the message is taken with U+FFFD in its place (or a form refused with a 400),
never a crash that makes the sender retry forever."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import create_app
from bot.channels.bridge import SIGNATURE_HEADER, sign
from bot.settings import BridgeSettings, DeliverySettings, Settings
from storage.models import Message
from tests.conftest import Office
from tests.integration.test_webchat_pages import Page, get_page, submit
from tests.integration.test_webchat_ws import connect

LONE = "Hallo \ud800 Welt"
SECRET = "bridge-secret-for-tests"
Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client(office: Office) -> AsyncIterator[Client]:
    settings = Settings(
        delivery=DeliverySettings(poll_seconds=0.05),
        bridge=BridgeSettings(
            enabled=True, callback_url="http://127.0.0.1:9/unused", secret=SECRET
        ),
    )
    app = create_app(settings, office.store, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def _lines(office: Office) -> int:
    async with office.store.read() as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(Message)) or 0)


async def test_the_web_chat_takes_the_text_instead_of_asking_to_resend(client: Client) -> None:
    chat = await connect(client)
    await chat.send({"type": "hello", "language": "de"})
    await chat.until_prompt()
    await chat.answer(choice="accept")
    await chat.until_prompt()
    # json.dumps escapes the lone half as \ud800, as a browser's JSON.stringify does.
    await chat.send({"type": "text", "id": "t1", "text": LONE})
    frame = await chat.next()
    while frame["type"] not in ("ack", "error"):
        frame = await chat.next()
    assert frame == {**frame, "type": "ack", "id": "t1"}, frame


async def test_the_no_js_form_refuses_an_unreadable_text_with_400(client: Client) -> None:
    page = await get_page(client)
    page, _ = await submit(client, page.answer, "start")
    page, _ = await submit(client, page.answer, "choice:accept")
    # A surrogate cannot even be percent-encoded as valid UTF-8: the bytes a client sends.
    body = urlencode({**page.answer.fields, "op": "send"}) + "&text=%ED%A0%80"
    resp = await client.post(
        "/chat",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"http://127.0.0.1:{client.port}",
            "Sec-Fetch-Site": "same-origin",
        },
    )
    assert resp.status == 400
    Page(await resp.text())


async def test_the_bridge_takes_the_text_with_200(client: Client, office: Office) -> None:
    async def post(message_id: str, **fields: Any) -> Any:
        body = json.dumps({"contact": "gw-1", "message_id": message_id, **fields}).encode()
        return await client.post(
            "/bridge/messages",
            data=body,
            headers={SIGNATURE_HEADER: sign(SECRET, body), "Content-Type": "application/json"},
        )

    assert (await post("m1", command="start")).status == 200
    assert (await post("m2", choice="accept")).status == 200
    before = await _lines(office)
    resp = await post("m3", text=LONE)
    assert resp.status == 200, await resp.text()
    assert await _lines(office) > before
    # And a contact id with one: taken too (it is only ever hashed and encrypted).
    assert (await post("m4", command="start", contact="gw-\ud800")).status == 200
