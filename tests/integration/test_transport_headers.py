"""What every response says about transport: HSTS over TLS on the chat as on the console, no
Server header naming versions, and X-Forwarded-Proto believed from trusted proxies only."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.settings import ConsoleSettings, Settings, WebChatSettings
from tests.conftest import Office

PATHS = ["/chat", "/chat/accessibility", "/console/login", "/healthz", "/nirgends"]


def _settings(trusted: list[str]) -> Settings:
    return Settings(
        console=ConsoleSettings(trust_forwarded_proto=True),
        webchat=WebChatSettings(trusted_proxies=trusted),
    )


async def test_behind_a_trusted_tls_proxy_every_page_sends_hsts(office: Office) -> None:
    app = create_app(_settings(["127.0.0.1"]), office.store, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        for path in PATHS:
            resp = await client.get(path, headers={"X-Forwarded-Proto": "https"})
            assert resp.headers.get("Strict-Transport-Security") == "max-age=31536000", path
        plain = await client.get("/chat")
        assert "Strict-Transport-Security" not in plain.headers


async def test_x_forwarded_proto_from_anyone_else_is_ignored(office: Office) -> None:
    """A client that talks plain http to us directly cannot claim https: no HSTS, and the
    console keeps its plain-http cookie names."""
    app = create_app(_settings(["10.9.8.7"]), office.store, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        for path in PATHS:
            resp = await client.get(path, headers={"X-Forwarded-Proto": "https"})
            assert "Strict-Transport-Security" not in resp.headers, path
        login = await client.get("/console/login", headers={"X-Forwarded-Proto": "https"})
        cookie = login.headers["Set-Cookie"]
        assert not cookie.startswith("__Host-") and "Secure" not in cookie


@pytest.mark.parametrize("path", [*PATHS, "/chat/static/chat.css", "/console/static/console.css"])
async def test_no_response_names_server_software_or_versions(office: Office, path: str) -> None:
    app = create_app(Settings(), office.store, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        resp = await client.get(path)
        server = resp.headers.get("Server", "")
        assert "aiohttp" not in server and "Python" not in server
        assert not any(c.isdigit() for c in server), server


async def test_a_request_the_parser_refuses_names_no_versions_either(office: Office) -> None:
    app = create_app(Settings(), office.store, flow_id="mini")
    async with TestServer(app, host="127.0.0.1") as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GARBAGE\r\n\r\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(4096), 10)
        writer.close()
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    assert head.startswith("HTTP/1.") and " 400 " in head.splitlines()[0]
    assert "aiohttp" not in head and "Python" not in head


async def test_a_web_chat_upgrade_carries_transport_headers_but_no_page_headers(
    office: Office,
) -> None:
    """The 101 of a web chat socket says nothing of versions and keeps HSTS behind a trusted
    TLS proxy; the page's document headers (CSP and the like) stay off it: a browser applies
    none of them to a WebSocket, and the header map lives as long as the socket does."""
    app = create_app(_settings(["127.0.0.1"]), office.store, flow_id="mini")
    async with TestServer(app, host="127.0.0.1") as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        site = f"127.0.0.1:{server.port}"
        writer.write(
            f"GET /chat/ws HTTP/1.1\r\nHost: {site}\r\nOrigin: http://{site}\r\n".encode()
            + b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Forwarded-Proto: https\r\n\r\n"
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        writer.close()
    lines = head.decode("latin-1").split("\r\n")
    assert " 101 " in lines[0], lines[0]
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    assert headers["server"] == "Anlaufstelle"
    assert headers["strict-transport-security"] == "max-age=31536000"
    for page_only in ("content-security-policy", "permissions-policy", "referrer-policy"):
        assert page_only not in headers, page_only
