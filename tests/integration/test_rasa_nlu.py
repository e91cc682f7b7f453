"""Free-text understanding through Rasa's NLU, against a small HTTP server that answers as
Rasa's HTTP API documents (`POST /model/parse`), including slow and failing answers."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.base import InboundMessage
from bot.clock import SystemClock
from bot.conversation.flows import FlowCatalog, publish_files
from bot.conversation.service import ConversationService
from bot.rasa.nlu import NluClient, Suggester
from storage.store import Store
from tests.serve import free_port

FLOW = Path(__file__).resolve().parent.parent / "flows" / "understand.yaml"
TOKEN = "rasa-auth-token-for-tests"
TEXT = "Der Vermieter sagte, an Leute wie mich vermietet er nicht."


@dataclass
class FakeRasa:
    """Answers like Rasa's `/model/parse`; `mode` makes it slow or broken."""

    mode: str = "ok"
    seen: list[dict[str, Any]] = field(default_factory=list)

    async def parse(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.seen.append({"token": request.query.get("token"), "text": body.get("text")})
        if self.mode == "slow":
            await asyncio.sleep(2)
        if self.mode == "error":
            return web.json_response({"version": "3.6.20", "status": "failure"}, status=500)
        if self.mode == "garbage":
            return web.Response(text="<html>proxy error</html>", content_type="text/html")
        return web.json_response(
            {
                "text": body["text"],
                "intent": {"name": "report_discrimination", "confidence": 0.93},
                "entities": [
                    {
                        "entity": "grounds",
                        "value": "racism",
                        "start": 0,
                        "end": 3,
                        "confidence_entity": 0.91,
                        "extractor": "DIETClassifier",
                    },
                    {
                        "entity": "grounds",
                        "value": "religion_belief",
                        "start": 4,
                        "end": 9,
                        "confidence_entity": 0.31,
                        "extractor": "DIETClassifier",
                    },
                    {
                        "entity": "grounds",
                        "value": "moon",
                        "start": 10,
                        "end": 14,
                        "confidence_entity": 0.99,
                        "extractor": "DIETClassifier",
                    },
                    {
                        "entity": "life_area",
                        "value": "housing",
                        "start": 15,
                        "end": 20,
                        "extractor": "RegexEntityExtractor",
                    },
                ],
                "intent_ranking": [{"name": "report_discrimination", "confidence": 0.93}],
                "response_selector": {"all_retrieval_intents": [], "default": {}},
            }
        )


@pytest.fixture
async def rasa() -> AsyncIterator[tuple[FakeRasa, str]]:
    fake = FakeRasa()
    app = web.Application()
    app.router.add_post("/model/parse", fake.parse)
    async with TestServer(app, host="127.0.0.1") as server:
        yield fake, str(server.make_url("")).rstrip("/")


_people = itertools.count(1)


async def walk(store: Store, url: str, text: str = TEXT, nlu_timeout: float = 0.5) -> list[Any]:
    """One person: start, then the free text; returns the bot's lines after the text."""
    await publish_files(store, [FLOW])
    async with aiohttp.ClientSession() as session:
        nlu = Suggester(NluClient(url, TOKEN, nlu_timeout, session), min_confidence=0.6)
        service = ConversationService(
            store, FlowCatalog("understand"), response_time={}, nlu=nlu, clock=SystemClock()
        )
        who = f"person-{next(_people)}"
        await service.handle(InboundMessage("memory", who, "1", command="start"))
        handled = await service.handle(InboundMessage("memory", who, "2", text=text))
        assert handled.status == "processed"
        history = await service.history("memory", who, None)
    return [line.body for line in history.lines if line.sender == "bot"][1:]


async def test_recognised_choices_are_pre_selected(
    store: Store, rasa: tuple[FakeRasa, str]
) -> None:
    fake, url = rasa
    (prompt,) = await walk(store, url)
    assert prompt["text"] == "Warum?"
    # racism: confident; religion_belief: below the threshold; moon: not a choice there.
    assert prompt["suggested"] == ["racism"]
    assert fake.seen == [{"token": TOKEN, "text": TEXT}]


@pytest.mark.parametrize("mode", ["slow", "error", "garbage"])
async def test_a_slow_or_failing_rasa_means_plain_choices(
    store: Store, rasa: tuple[FakeRasa, str], mode: str
) -> None:
    fake, url = rasa
    fake.mode = mode
    started = asyncio.get_running_loop().time()
    (prompt,) = await walk(store, url, nlu_timeout=0.3)
    assert asyncio.get_running_loop().time() - started < 1.8  # never waited for the slow one
    assert prompt["text"] == "Warum?"
    assert prompt["suggested"] == []
    assert len(fake.seen) == 1


async def test_an_absent_rasa_means_plain_choices(store: Store) -> None:
    (prompt,) = await walk(store, f"http://127.0.0.1:{free_port()}")
    assert prompt["text"] == "Warum?" and prompt["suggested"] == []


async def test_crisis_words_never_reach_rasa(store: Store, rasa: tuple[FakeRasa, str]) -> None:
    fake, url = rasa
    lines = await walk(store, url, text="Ich will nicht mehr leben.")
    assert lines[0]["kind"] == "crisis"
    assert lines[-1]["suggested"] == []
    assert fake.seen == []
