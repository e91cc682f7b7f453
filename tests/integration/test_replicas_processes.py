"""Two real `anlaufstelle serve` processes on one throwaway PostgreSQL database: they start
together safely, and when one is killed mid-conversation the people continue on the other
with every acknowledged message kept and no reply shown twice."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text

from storage.crypto import ServerKey
from storage.db import Database
from tests.serve import Server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CONVERSATIONS = 50
MakeDb = Callable[..., Awaitable[str]]


def _replicas(tmp_path: Path, url: str, count: int = 2, **env: str) -> list[Server]:
    key = tmp_path / "server.key"
    if not key.exists():
        ServerKey.generate().save(key)
    made = []
    for n in range(count):
        data = tmp_path / f"replica-{n}-{os.urandom(3).hex()}"
        data.mkdir(mode=0o700)
        made.append(
            Server(
                data,
                ANLAUFSTELLE_DATABASE_URL=url,
                ANLAUFSTELLE_SERVER_KEY_FILE=str(key),
                **env,
            )
        )
    return made


async def test_replicas_started_together_on_an_empty_database(
    tmp_path: Path, make_postgres_database: MakeDb
) -> None:
    for attempt in range(10):
        url = await make_postgres_database()
        replicas = _replicas(tmp_path, url)
        try:
            await asyncio.gather(*(r.astart() for r in replicas))  # both answer, none failed
            notices = [r.output().count("recovery key") for r in replicas]
            assert sorted(notices) == [0, 1], (attempt, notices)  # the first start, once
        finally:
            for r in replicas:
                r.stop()


class Person:
    """One browser on the web chat, answering whatever the bot asks."""

    def __init__(self, http: aiohttp.ClientSession, number: int) -> None:
        self.http = http
        self.number = number
        self.session: str | None = None
        self.acked: list[str] = []
        """What the service acknowledged (so it must be kept), as the history shows it."""
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.prompt: dict[str, Any] | None = None

    async def connect(self, server: Server) -> dict[str, Any]:
        self.ws = await self.http.ws_connect(
            f"{server.url}/chat/ws", headers={"Origin": server.url}
        )
        await self.ws.send_json({"type": "hello", "session": self.session, "language": "de"})
        welcome = await self.frame("welcome")
        self.session = welcome["session"]
        return welcome

    async def frame(self, kind: str) -> dict[str, Any]:
        assert self.ws is not None
        while True:
            data: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.receive_str(), 20))
            if data["type"] == "message" and data.get("kind") == "prompt":
                self.prompt = data
            if data["type"] == kind:
                return data

    async def until_prompt(self) -> None:
        while self.prompt is None:
            await self.frame("message")

    async def answer_one(self, i: int) -> None:
        assert self.ws is not None and self.prompt is not None
        prompt, self.prompt = self.prompt, None
        choices = [c["id"] for c in prompt.get("choices", [])]
        if prompt.get("expects") == "many" and choices:
            frame, shown = {"type": "answer", "choices": choices[:1]}, choices[0]
        elif choices:
            frame, shown = {"type": "answer", "choice": choices[0]}, choices[0]
        else:
            words = f"Person {self.number} schreibt {i}"
            frame, shown = {"type": "text", "text": words}, words
        await self.ws.send_json({"id": f"p{self.number}-{i}", **frame})
        ack = await self.frame("ack")
        assert ack["id"] == f"p{self.number}-{i}"
        self.acked.append(shown)
        await self.until_prompt()


def _person_values(history: list[dict[str, Any]]) -> list[str]:
    values = []
    for line in history:
        if line["sender"] != "person":
            continue
        if line.get("text"):
            values.append(line["text"])
        if line.get("choice"):
            values.append(line["choice"])
        values.extend(line.get("choices") or [])
    return values


async def test_a_killed_replica_loses_no_acknowledged_message(
    tmp_path: Path, make_postgres_database: MakeDb
) -> None:
    url = await make_postgres_database()
    a, b = _replicas(
        tmp_path,
        url,
        # A killed replica's leased replies go to the other one after this long.
        ANLAUFSTELLE_DELIVERY__LEASE_SECONDS="3",
        # Every person of the test comes from 127.0.0.1.
        ANLAUFSTELLE_WEBCHAT__MAX_SOCKETS_PER_CLIENT="200",
    )
    await a.astart()
    await b.astart()
    try:
        async with aiohttp.ClientSession() as http:
            people = [Person(http, n) for n in range(CONVERSATIONS)]
            for p in people:
                await p.connect(a)
            await asyncio.gather(*(p.until_prompt() for p in people))

            async def talk(p: Person) -> None:
                with contextlib.suppress(Exception):  # the replica dies under them
                    for i in range(6):
                        await asyncio.sleep(0.6)  # a person, not a flood
                        await p.answer_one(i)

            talking = [asyncio.create_task(talk(p)) for p in people]
            await asyncio.sleep(2.0)
            for _ in range(300):  # on a busy machine the first answers take longer
                if any(p.acked for p in people):
                    break
                await asyncio.sleep(0.1)
            a.kill()  # mid-conversation: some answers stored, some replies not yet sent
            await asyncio.gather(*talking)
            assert any(p.acked for p in people)

            # Everyone's page reconnects, now to B (no sticky sessions needed).
            for p in people:
                welcome = await p.connect(b)
                history = welcome["history"]
                seqs = [line["seq"] for line in history]
                assert len(seqs) == len(set(seqs)), "a line twice in the history"
                shown = _person_values(history)
                assert shown[: len(p.acked)] == p.acked, (p.number, p.acked, shown)
                # Live after the welcome: only lines the history did not have, each once.
                live: list[int] = []
                with contextlib.suppress(TimeoutError):
                    while True:
                        assert p.ws is not None
                        raw = await asyncio.wait_for(p.ws.receive_str(), 0.3)
                        data = json.loads(raw)
                        if data["type"] == "message" and data.get("seq") is not None:
                            live.append(data["seq"])
                assert not set(live) & set(seqs) and len(live) == len(set(live))

        # B's worker took over what A had leased: nothing stays behind in the outbox.
        db = Database(url)
        try:
            for _ in range(100):
                async with db.engine.connect() as conn:
                    left = (await conn.execute(text("SELECT count(*) FROM outbox"))).scalar()
                if left == 0:
                    break
                await asyncio.sleep(0.2)
            assert left == 0
        finally:
            await db.dispose()
    finally:
        a.stop()
        b.stop()
