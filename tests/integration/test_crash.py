"""Kill the running service with SIGKILL in the middle of a conversation, start it again, and
check that nothing acknowledged was lost and every reply arrived exactly once.

The service runs as a real `anlaufstelle serve` process with the HTTP bridge channel; the
test plays the bridge peer: it posts the person's messages and receives the replies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.channels.bridge import NAME as BRIDGE
from bot.channels.bridge import SIGNATURE_HEADER, sign, signature_ok
from bot.clock import SystemClock
from bot.conversation.code_hold import CODE_SLOT
from storage import cases, contacts, conversations, teams
from storage.crypto import KdfParams, ServerKey
from storage.db import Database
from storage.store import Store
from tests.serve import Server, free_port

pytestmark = pytest.mark.slow

SECRET = "bridge-secret-for-tests"
CANARY = "CANARY-7f3e-Kreuzberg-Wohnung"
CASE_CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
CONTACT = "crash-person-1"

# The shipped intake, answered by choice ids: each step is one acknowledged message.
SCRIPT: list[dict[str, Any]] = [
    {"command": "start", "language": "de"},
    {"choice": "de"},
    {"choice": "accept"},
    {"choice": "no"},
    {"choice": "this_week"},
    {"choices": ["housing"]},
    {"choice": "garbsen"},
    {"choices": ["disability"]},
    {"text": f"Mir wurde die Wohnung verweigert. {CANARY}"},
    {"choice": "affected"},
    {"choices": ["counselling"]},
    {"choice": "anonymous_chat"},
    {"choice": "internet"},
    {"text": "Noch eine Nachricht nach der Übergabe."},
]
KILL_AFTER = 6  # messages acknowledged before the crash


@dataclass
class Receiver:
    """The bridge peer's callback endpoint: records every delivery it is offered."""

    mode: str = "reject"  # reject | slow | accept
    offered: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    slow_seen: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not signature_ok(SECRET, body, request.headers.get(SIGNATURE_HEADER)):
            return web.Response(status=401)
        if self.mode == "reject":
            return web.Response(status=503)
        payload = json.loads(body)
        self.offered.append((payload["delivery_id"], payload["message"]))
        if self.mode == "slow":
            self.slow_seen.set()
            await asyncio.sleep(30)  # the service is killed while it waits for our answer
        return web.Response(status=204)

    def distinct(self) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for delivery_id, message in self.offered:
            seen.setdefault(delivery_id, message)
        return list(seen.values())


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    recv = Receiver()
    app = web.Application()
    app.router.add_post("/callback", recv.handle)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield recv, f"http://127.0.0.1:{port}/callback"
    await runner.cleanup()


@pytest.fixture
def service(tmp_path: Path, receiver: tuple[Receiver, str]) -> Iterator[Server]:
    svc = Server(
        tmp_path,
        ANLAUFSTELLE_BRIDGE__ENABLED="true",
        ANLAUFSTELLE_BRIDGE__CALLBACK_URL=receiver[1],
        ANLAUFSTELLE_BRIDGE__SECRET=SECRET,
        ANLAUFSTELLE_DELIVERY__POLL_SECONDS="0.2",
        ANLAUFSTELLE_DELIVERY__BACKOFF_MAX_SECONDS="0.5",
        ANLAUFSTELLE_DELIVERY__LEASE_SECONDS="2",
        ANLAUFSTELLE_LOG_LEVEL="DEBUG",
    )
    yield svc
    svc.stop()


async def post(http: aiohttp.ClientSession, svc: Server, index: int) -> int:
    body = json.dumps({"contact": CONTACT, "message_id": f"msg-{index}", **SCRIPT[index]}).encode()
    async with http.post(
        f"{svc.url}/bridge/messages",
        data=body,
        headers={SIGNATURE_HEADER: sign(SECRET, body), "Content-Type": "application/json"},
    ) as resp:
        return resp.status


async def wait_for(condition: Any, seconds: float = 30) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def test_sigkill_mid_conversation_loses_nothing_and_delivers_once(
    service: Server, receiver: tuple[Receiver, str]
) -> None:
    recv, _ = receiver
    await service.astart()
    async with aiohttp.ClientSession() as http:
        # Replies pile up in the outbox while the peer is down; each message is acknowledged.
        for i in range(KILL_AFTER):
            assert await post(http, service, i) == 200
        # The peer comes back but answers slowly: kill the service while a reply is in flight.
        recv.mode = "slow"
        await asyncio.wait_for(recv.slow_seen.wait(), 20)
        in_flight = asyncio.create_task(post(http, service, KILL_AFTER))
        await asyncio.sleep(0.05)
        service.kill()
        # Acknowledged just before the kill, or not at all: either way it is sent again below.
        with contextlib.suppress(aiohttp.ClientError):
            await in_flight

        recv.mode = "accept"
        await service.astart()
        # Whether or not it was acknowledged, the message is sent again with the same id:
        # it must count once.
        for i in range(KILL_AFTER, len(SCRIPT)):
            assert await post(http, service, i) == 200
        assert await post(http, service, KILL_AFTER) == 200

    recovery = service.recovery_key()
    keys = ServerKey.load(service.data_dir / "server.key")
    db = Database(f"sqlite+aiosqlite:///{service.data_dir / 'anlaufstelle.sqlite3'}")
    store = Store(db, keys, KdfParams.fast(), clock=SystemClock())
    try:
        async with store.tx() as tx:
            (entry,) = await cases.queue(tx)
            team_keys = await teams.unlock_with_recovery_key(tx, entry.team_id, recovery)
            private = await cases.private_key_for_team(tx, entry.case_id, team_keys)
            assert private is not None
            content = await cases.read(tx, entry.case_id, private)
    finally:
        await db.dispose()

    person_lines = [
        {k: v for k, v in line.body.items() if k not in ("label", "labels")}
        for line in content.transcript
        if line.sender == "person"
    ]
    labels = [line.body.get("label") for line in content.transcript if line.sender == "person"]
    assert "Garbsen" in labels  # choices are kept with the words the person saw
    bot_lines = [line.body["text"] for line in content.transcript if line.sender == "bot"]
    sent = [{k: v for k, v in step.items() if k != "language"} for step in SCRIPT]
    assert person_lines == sent  # every acknowledged message exactly once, in order

    # Every reply the bot stored reaches the peer, in order; a reply offered twice (the crash
    # hit while it was in flight) carries the same delivery id both times.
    await wait_for(lambda: len(recv.distinct()) >= len(bot_lines))
    await asyncio.sleep(1.0)  # nothing more should come
    # The case code reached the peer; the transcript keeps only its slot (it is never stored).
    delivered = [CASE_CODE.sub(CODE_SLOT, m["text"]) for m in recv.distinct()]
    assert delivered == bot_lines
    assert sum(CODE_SLOT in line for line in bot_lines) == 1
    ids = [d for d, _ in recv.offered]
    assert len(ids) > len(set(ids)), "the reply in flight at the kill was offered again"
    assert any(CANARY in str(line) for line in person_lines)


async def test_a_canary_appears_nowhere_at_rest_or_in_the_logs(
    service: Server, receiver: tuple[Receiver, str]
) -> None:
    """The person's words, their channel address and message ids never reach the disk or a
    log in the clear: only the receiving peer sees them."""
    recv, _ = receiver
    recv.mode = "accept"
    canary_contact = f"{CANARY}-contact"
    service.env["ANLAUFSTELLE_LOG_LEVEL"] = "DEBUG"
    await service.astart()
    async with aiohttp.ClientSession() as http:
        for i, step in enumerate(SCRIPT):
            body = json.dumps(
                {"contact": canary_contact, "message_id": f"{CANARY}-{i}", **step}
            ).encode()
            headers = {SIGNATURE_HEADER: sign(SECRET, body)}
            async with http.post(f"{service.url}/bridge/messages", data=body, headers=headers) as r:
                assert r.status == 200
    await wait_for(lambda: len(recv.distinct()) >= 12)
    service.stop()

    files = [p for p in service.data_dir.iterdir() if p.is_file()]
    names = {p.name for p in files}
    assert "anlaufstelle.sqlite3" in names
    assert "stderr-1.txt" in names
    assert any(name.endswith("-wal") for name in names) or _wal_was_checkpointed(files)
    for path in files:
        data = path.read_bytes()
        for needle in (CANARY, "Wohnung verweigert", "Noch eine Nachricht"):
            assert needle.encode() not in data, f"{needle!r} found in {path.name}"
    assert "DEBUG" in service.output()  # the logs were written at their most verbose


def _wal_was_checkpointed(files: list[Path]) -> bool:
    # A clean shutdown may fold the WAL into the database file; then only that file remains.
    return any(p.name == "anlaufstelle.sqlite3" and p.stat().st_size > 0 for p in files)


CROWD = 500
CROWD_STEPS = SCRIPT[:8]  # up to the municipality: no handover, every line in the bot phase
KILL_AT_ACKS = 400


async def test_sigkill_while_hundreds_write_at_once_loses_no_acknowledged_message(
    service: Server,
) -> None:
    """Five hundred people answer at the same moment, so their messages share commits
    (storage/group_commit.py); the kill cuts through a group. Every message acknowledged
    before it is stored, once and in order; one not acknowledged may be stored or not."""
    await service.astart()
    acked = [0] * CROWD
    enough = asyncio.Event()

    async def person(http: aiohttp.ClientSession, n: int) -> None:
        for i, step in enumerate(CROWD_STEPS):
            body = json.dumps({"contact": f"crowd-{n}", "message_id": f"c{n}-{i}", **step})
            headers = {SIGNATURE_HEADER: sign(SECRET, body.encode())}
            try:
                async with http.post(
                    f"{service.url}/bridge/messages", data=body, headers=headers
                ) as resp:
                    if resp.status != 200:
                        return
            except aiohttp.ClientError:
                return  # the service is gone
            acked[n] = i + 1
            if sum(acked) >= KILL_AT_ACKS:
                enough.set()

    connector = aiohttp.TCPConnector(limit=CROWD)
    async with aiohttp.ClientSession(connector=connector) as http:
        crowd = [asyncio.create_task(person(http, n)) for n in range(CROWD)]
        await asyncio.wait_for(enough.wait(), 120)
        service.kill()
        await asyncio.gather(*crowd)
    assert sum(acked) < CROWD * len(CROWD_STEPS), "the kill came after everyone had finished"

    keys = ServerKey.load(service.data_dir / "server.key")
    store = Store(Database(f"sqlite+aiosqlite:///{service.database}"), keys, clock=SystemClock())
    sent = [{k: v for k, v in step.items() if k != "language"} for step in CROWD_STEPS]
    try:
        async with store.read() as tx:
            for n in range(CROWD):
                contact = await contacts.find(tx, BRIDGE, f"crowd-{n}")
                conversation = await conversations.active_for(tx, contact.id) if contact else None
                lines = (
                    await conversations.bot_phase_lines(tx, conversation.id) if conversation else []
                )
                stored = [
                    {k: v for k, v in line.body.items() if k not in ("label", "labels")}
                    for line in lines
                    if line.sender == "person"
                ]
                assert stored == sent[: len(stored)], (n, stored)  # in order, none twice
                assert len(stored) >= acked[n], (n, acked[n], stored)  # nothing acked lost
    finally:
        await store.close()
