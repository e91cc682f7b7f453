"""Deeply nested and otherwise hostile JSON on every JSON entry point of the service: each
answers its documented error (an error frame, a 400) instead of crashing the handler.

Ten kilobytes of 5,000 nested arrays used to raise RecursionError inside json.loads: the
web chat socket dropped with 1006 and a traceback per frame, the bridge answered 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.channels.bridge import SIGNATURE_HEADER, sign
from bot.settings import BridgeSettings, Settings
from tests.conftest import Office

SECRET = "bridge-secret-for-tests"
DEEP = "[" * 5000 + "]" * 5000
"""About 10 kB: well under every size limit."""
DEEP_IN_A_FIELD = '{"type": "ping", "x": ' + DEEP + "}"
HUGE_NUMBER = '{"type": "ping", "x": ' + "7" * 5000 + "}"
"""Beyond Python's int-conversion limit: json.loads raises a plain ValueError."""

Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client(office: Office) -> AsyncIterator[Client]:
    settings = Settings(
        bridge=BridgeSettings(enabled=True, callback_url="http://127.0.0.1:9/cb", secret=SECRET)
    )
    app = create_app(settings, office.store, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


def assert_no_crash(caplog: pytest.LogCaptureFixture) -> None:
    assert "Traceback" not in caplog.text
    assert "RecursionError" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]


async def test_web_chat_frames_get_an_error_frame_and_the_socket_stays(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ws = await client.ws_connect("/chat/ws", headers={"Origin": f"http://127.0.0.1:{client.port}"})
    for raw in (DEEP, DEEP_IN_A_FIELD, HUGE_NUMBER):
        await ws.send_str(raw)
        msg = await ws.receive(timeout=10)
        assert msg.type == WSMsgType.TEXT, msg
        frame = json.loads(msg.data)
        assert frame["type"] == "error"
        assert frame["code"] == "bad_frame"
    await ws.send_str(json.dumps({"type": "ping"}))
    assert json.loads((await ws.receive(timeout=10)).data) == {"type": "pong"}
    await ws.send_str(json.dumps({"type": "hello", "language": "de"}))
    assert json.loads((await ws.receive(timeout=10)).data)["type"] == "welcome"
    await ws.close()
    assert_no_crash(caplog)


async def bridge_post(client: Client, body: bytes) -> tuple[int, Any]:
    headers = {SIGNATURE_HEADER: sign(SECRET, body), "Content-Type": "application/json"}
    resp = await client.post("/bridge/messages", data=body, headers=headers)
    return resp.status, await resp.json()


async def test_the_signed_bridge_answers_400_not_500(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    deep_message = '{"contact": "c1", "message_id": "m1", "text": ' + DEEP + "}"
    for raw in (DEEP, deep_message, HUGE_NUMBER):
        status, body = await bridge_post(client, raw.encode())
        assert status == 400, body
        assert "error" in body
    # A well-formed message still goes through.
    ok = {"contact": "c1", "message_id": "m2", "command": "start", "language": "de"}
    status, body = await bridge_post(client, json.dumps(ok).encode())
    assert (status, body) == (200, {"status": "processed"})
    assert_no_crash(caplog)
