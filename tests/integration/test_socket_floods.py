"""Floods of idle WebSockets against a real `anlaufstelle serve` process (loopback only,
bounded counts and time): a person who behaves keeps being served while they run.

Clients are told apart by X-Forwarded-For with the loopback address as trusted proxy, so
one machine can play an attacker and a person on different networks.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.channels import webchat
from tests.serve import Server

pytestmark = pytest.mark.slow

ATTACKER = "203.0.113.7"
PERSON = "198.51.100.2"
ROUND_TRIP_BOUND = 2.0
"""Seconds a well-behaved person may wait from connecting to the first question."""


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        yield session


def start(tmp_path: Path, file_limit: tuple[int, int] | None = None, **env: str) -> Server:
    server = Server(tmp_path, ANLAUFSTELLE_WEBCHAT__TRUSTED_PROXIES='["127.0.0.1"]', **env)
    server.file_limit = file_limit
    server.start()
    return server


async def open_socket(
    http: aiohttp.ClientSession, server: Server, client: str
) -> aiohttp.ClientWebSocketResponse:
    return await http.ws_connect(
        server.url + "/chat/ws",
        headers={"Origin": server.url, "X-Forwarded-For": client},
        timeout=aiohttp.ClientWSTimeout(ws_close=2),
        heartbeat=None,
    )


async def close_code(ws: aiohttp.ClientWebSocketResponse, wait: float) -> int | None:
    """The code the server closed this socket with within `wait` seconds; None if open."""
    try:
        msg = await ws.receive(timeout=wait)
    except TimeoutError:
        return None
    if msg.type == aiohttp.WSMsgType.CLOSE:
        return int(msg.data)
    return ws.close_code


async def person_round_trip(http: aiohttp.ClientSession, server: Server) -> float:
    """Seconds from connecting to the first question of a new chat."""
    began = time.monotonic()
    ws = await open_socket(http, server, PERSON)
    await ws.send_str(json.dumps({"type": "hello", "language": "de"}))
    while True:
        frame = json.loads(await ws.receive_str(timeout=10))
        if frame["type"] == "message" and frame.get("kind") == "prompt":
            break
    elapsed = time.monotonic() - began
    await ws.close()
    return elapsed


async def form_round_trip(http: aiohttp.ClientSession, server: Server) -> float:
    """Seconds for a person without a socket (the plain-form path chat.js falls back to)
    to load the page and get the first question."""
    began = time.monotonic()
    headers = {"X-Forwarded-For": PERSON}
    async with http.get(server.url + "/chat", headers=headers) as resp:
        page = await resp.text()
    form = page[page.index('id="answer-form"') :]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    post = {**headers, "Origin": server.url, "Sec-Fetch-Site": "same-origin"}
    data = {**fields, "op": "start"}
    async with http.post(server.url + "/chat", data=data, headers=post) as resp:
        assert resp.status == 200
        assert 'name="op" value="choice:' in await resp.text()  # the first question
    return time.monotonic() - began


def log_size(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.glob("std*-*.txt"))


async def healthz_time(http: aiohttp.ClientSession, server: Server) -> float:
    began = time.monotonic()
    async with http.get(server.url + "/healthz", timeout=aiohttp.ClientTimeout(10)) as resp:
        assert resp.status == 200
    return time.monotonic() - began


async def test_one_client_gets_a_few_sockets_and_silent_ones_are_closed(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    server = await asyncio.to_thread(
        start,
        tmp_path,
        ANLAUFSTELLE_WEBCHAT__MAX_SOCKETS_PER_CLIENT="5",
        ANLAUFSTELLE_WEBCHAT__HELLO_TIMEOUT_SECONDS="3",
    )
    try:
        flood = [await open_socket(http, server, ATTACKER) for _ in range(40)]
        codes = await asyncio.gather(*(close_code(ws, 1.0) for ws in flood))
        assert codes.count(webchat.CLOSE_CLIENT_BUSY) == 35
        held = [ws for ws, code in zip(flood, codes, strict=True) if code is None]
        assert len(held) == 5
        # While the five are held, a person elsewhere is served at once.
        assert await person_round_trip(http, server) < ROUND_TRIP_BOUND
        assert await healthz_time(http, server) < ROUND_TRIP_BOUND
        # Silence ends in the hello timeout, with its own code.
        late = await asyncio.gather(*(close_code(ws, 5.0) for ws in held))
        assert late == [webchat.CLOSE_HELLO_TIMEOUT] * 5
        # Their places are free again.
        again = await open_socket(http, server, ATTACKER)
        assert await close_code(again, 0.5) is None
        await again.close()
    finally:
        await asyncio.to_thread(server.stop)
    assert "Traceback" not in server.output()


async def test_a_flood_under_a_small_file_limit_leaves_room_for_everyone_else(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """With 256 open files and no per-client cap worth the name, 300 idle sockets used to
    exhaust the descriptors: no one could connect, and asyncio's accept errors wrote tens of
    megabytes of log within seconds."""
    server = await asyncio.to_thread(
        start,
        tmp_path,
        file_limit=(256, 256),
        ANLAUFSTELLE_WEBCHAT__MAX_SOCKETS_PER_CLIENT="1000",
        ANLAUFSTELLE_WEBCHAT__HELLO_TIMEOUT_SECONDS="60",
    )
    try:
        flood: list[aiohttp.ClientWebSocketResponse] = []
        for _ in range(300):
            try:
                flood.append(await open_socket(http, server, ATTACKER))
            except (aiohttp.ClientError, TimeoutError):
                break  # what today's code does: the service stops accepting
        codes = await asyncio.gather(*(close_code(ws, 1.0) for ws in flood))
        assert len(flood) == 300
        held = codes.count(None)
        assert 0 < held <= 256 * 3 // 4
        assert codes.count(webchat.CLOSE_SERVER_BUSY) == 300 - held
        assert await healthz_time(http, server) < ROUND_TRIP_BOUND
        # The socket cap is reached: a person's socket is told so at once (the page then
        # falls back to its plain forms), and those forms still serve them.
        person = await open_socket(http, server, PERSON)
        assert await close_code(person, 1.0) == webchat.CLOSE_SERVER_BUSY
        assert await form_round_trip(http, server) < ROUND_TRIP_BOUND
        assert await asyncio.to_thread(log_size, tmp_path) < 100_000
        for ws in flood:
            await ws.close()
    finally:
        await asyncio.to_thread(server.stop)


def test_the_open_files_limit_is_raised_at_start(tmp_path: Path) -> None:
    server = start(tmp_path, file_limit=(256, 2048))
    try:
        assert server.proc is not None
        limits = Path(f"/proc/{server.proc.pid}/limits").read_text()
        line = next(x for x in limits.splitlines() if x.startswith("Max open files"))
        assert line.split()[3:5] == ["2048", "2048"]
    finally:
        server.stop()
