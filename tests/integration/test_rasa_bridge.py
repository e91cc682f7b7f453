"""The Rasa bridge (rasa.drive_conversations): Rasa's REST channel drives the bot phase of a
person on one of our channels (here the memory channel), on SQLite and PostgreSQL.

Rasa is a small aiohttp server that answers as Rasa's REST channel documents
(`POST /webhooks/rest/webhook` → a list of `{"recipient_id", "text", "buttons"}`), slowly or
failing on demand; for "a counsellor, please" it calls our mounted action route with an
action call in Rasa 3.x's exact format (tests/rasa_wire.py), as Rasa does before answering.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.app import create_app, run_housekeeping
from bot.channels.base import InboundMessage, OutboundMessage
from bot.channels.memory import MemoryChannel
from bot.channels.rasa_actions import ACTION_HANDOVER
from bot.clock import SystemClock
from bot.conversation.driven_turn import HANDOVER_CHOICE
from bot.conversation.external import ExternalIntake
from bot.conversation.flows import SHIPPED_INTAKE, FlowCatalog, publish_files
from bot.conversation.service import ConversationService
from bot.delivery.worker import DeliveryWorker
from bot.keys import SERVICE
from bot.rasa.driver import replies_from
from bot.settings import ConsoleSettings, RasaSettings, Settings, SettingsError, WebChatSettings
from storage import cases, contacts, conversations, outbox
from storage.models import Base, Counsellor
from storage.records import CaseContent
from storage.store import Store
from tests.conftest import Office
from tests.rasa_wire import action_call
from tests.serve import free_port

TOKEN = "rasa-action-token-for-bridge-tests"
API_TOKEN = "rasa-http-api-token-for-bridge-tests"
CANARY = "Schwalbenschwanz-Okapi-0815-bridge"
CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
WEBHOOK = "/webhooks/rest/webhook"

GREETING = "Hallo! Worum geht es?"
AREA_QUESTION = "In welchem Lebensbereich ist es passiert?"
THANKS = "Danke. Möchten Sie mehr erzählen?"


@dataclass
class FakeRasa:
    """Rasa's REST channel with a tiny scripted assistant; `mode` makes it slow or broken."""

    mode: str = "ok"
    actions_url: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)
    action_answers: list[dict[str, Any]] = field(default_factory=list)
    tracker_api: str = "pro"
    """"pro": DELETE …/tracker exists; "oss": it does not (405), only PUT …/tracker/events;
    "broken": it fails (500)."""
    trackers: list[tuple[str, str, str | None, Any]] = field(default_factory=list)
    """(method, conversation id, ?token=, body) of every tracker call."""

    async def delete_tracker(self, request: web.Request) -> web.StreamResponse:
        if self.tracker_api == "oss":
            raise web.HTTPMethodNotAllowed("DELETE", ["GET", "PUT", "POST"])
        if self.tracker_api == "broken":
            return web.json_response({"error": "internal"}, status=500)
        self.trackers.append(
            ("DELETE", request.match_info["cid"], request.query.get("token"), None)
        )
        return web.json_response({})

    async def replace_events(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.trackers.append(("PUT", request.match_info["cid"], request.query.get("token"), body))
        return web.json_response({"sender_id": request.match_info["cid"], "events": body})

    async def webhook(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        sender, message = body["sender"], body["message"]
        self.seen.append({"sender": sender, "message": message})
        if self.mode == "slow":
            await asyncio.sleep(SLOW_RASA)
        if self.mode == "error":
            return web.json_response({"error": "internal"}, status=500)
        if message.startswith("/greet"):
            return web.json_response(
                [
                    {"recipient_id": sender, "text": "Willkommen."},
                    {
                        "recipient_id": sender,
                        "text": GREETING,
                        "buttons": [
                            {"title": "Diskriminierung melden", "payload": "/report"},
                            {"title": "Mit jemandem sprechen", "payload": "/want_counsellor"},
                        ],
                    },
                    {"recipient_id": sender, "image": "https://example.org/logo.png"},
                ]
            )
        if message == "/report":
            buttons = [
                {"title": "Wohnen", "payload": '/inform{"life_area": "housing"}'},
                {"title": "Arbeit", "payload": '/inform{"life_area": "work"}'},
            ]
            return web.json_response(
                [{"recipient_id": sender, "text": AREA_QUESTION, "buttons": buttons}]
            )
        if message == "/want_counsellor":
            # Rasa runs the rule's action before it answers the REST call, as in production.
            call = action_call(ACTION_HANDOVER, sender_id=sender, slots={"life_area": ["housing"]})
            async with (
                aiohttp.ClientSession() as http,
                http.post(
                    f"{self.actions_url}/rasa/webhook", params={"token": TOKEN}, json=call
                ) as resp,
            ):
                assert resp.status == 200, await resp.text()
                answer = await resp.json()
            self.action_answers.append(answer)
            said = [{"recipient_id": sender, "text": "Einen Moment, ich verbinde Sie."}]
            said += [{"recipient_id": sender, **r} for r in answer["responses"]]
            return web.json_response(said)
        return web.json_response([{"recipient_id": sender, "text": THANKS}])


@dataclass
class Bridge:
    store: Store
    service: ConversationService
    channel: MemoryChannel
    rasa: FakeRasa
    app: web.Application | None = None


_ids = itertools.count(1)


async def _bridge(office: Office, rasa_url: str | None) -> AsyncIterator[Bridge]:
    await publish_files(office.store, [SHIPPED_INTAKE])
    fake = FakeRasa()
    rasa_app = web.Application()
    rasa_app.router.add_post(WEBHOOK, fake.webhook)
    rasa_app.router.add_delete("/conversations/{cid}/tracker", fake.delete_tracker)
    rasa_app.router.add_put("/conversations/{cid}/tracker/events", fake.replace_events)
    settings = Settings(
        rasa=RasaSettings(
            actions_enabled=True,
            action_token=TOKEN,
            api_token=API_TOKEN,
            drive_conversations=True,
            rest_url=rasa_url or "http://set-below.invalid",
            # Our actions answer the fake Rasa within it even on a loaded CI machine (a
            # person's first message there once took longer than 0.5 s).
            rest_timeout=2.0,
        ),
        webchat=WebChatSettings(enabled=False),
        console=ConsoleSettings(enabled=False),
    )
    channel = MemoryChannel()
    async with TestServer(rasa_app, host="127.0.0.1") as rasa_server:
        if rasa_url is None:
            url = str(rasa_server.make_url("")).rstrip("/")
            settings.rasa.rest_url = url
        app = create_app(settings, office.store, channels={channel.name: channel})
        async with TestServer(app, host="127.0.0.1") as ours:
            fake.actions_url = str(ours.make_url("")).rstrip("/")
            yield Bridge(office.store, app[SERVICE], channel, fake, app)


@pytest.fixture
async def bridge(office: Office) -> AsyncIterator[Bridge]:
    async for b in _bridge(office, None):
        yield b


SLOW_RASA = 30.0
"""Seconds the fake Rasa takes in "slow" mode, far beyond our REST timeout."""


class Person:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.address = f"bridged-person-{next(_ids)}"

    @property
    def pseudonym(self) -> str:
        return self.bridge.store.contact_pseudonym("memory", self.address)

    async def send(self, expect: int = 1, **fields: Any) -> list[OutboundMessage]:
        """Send, then wait until `expect` more messages reached the person's channel."""
        before = len(self.bridge.channel.to(self.address))
        msg = InboundMessage("memory", self.address, f"m{next(_ids)}", **fields)
        handled = await self.bridge.service.handle(msg)
        assert handled.status == "processed"
        for _ in range(200):
            if len(self.bridge.channel.to(self.address)) >= before + expect:
                break
            await asyncio.sleep(0.02)
        got = self.bridge.channel.to(self.address)[before:]
        assert len(got) == expect, [m.text for m in got]
        return got

    async def owner(self) -> str | None:
        async with self.bridge.store.read() as tx:
            contact = await contacts.find(tx, "memory", self.address)
            conv = None if contact is None else await conversations.latest_for(tx, contact.id)
            return None if conv is None else conv.owner


async def read_case(store: Store, code: str) -> tuple[int, CaseContent]:
    async with store.tx() as tx:
        found = await cases.private_key_for_code(tx, code)
        assert found is not None, "no case has this code"
        case_id, key = found
        return case_id, await cases.read(tx, case_id, key)


async def counsellor_id(store: Store) -> int:
    async with store.read() as tx:
        found = await tx.session.scalar(
            select(Counsellor.id).where(Counsellor.username == "berater-region")
        )
    assert found is not None
    return found


async def hand_over(person: Person) -> str:
    """The person asks for a counsellor through Rasa's button; returns the case code."""
    await person.send(expect=3, command="start", language="de")  # disclosure first
    said = await person.send(expect=2, choice="/want_counsellor")
    match = CODE.search(" ".join(m.text for m in said))
    assert match, [m.text for m in said]
    return match.group(0)


# ---------------------------------------------------------------- Rasa drives


async def test_rasa_drives_with_texts_and_buttons_under_the_pseudonym(bridge: Bridge) -> None:
    person = Person(bridge)
    disclosure, welcome, greeting = await person.send(expect=3, command="start", language="de")
    # Before Rasa's first word, in our words and on every channel: an automatic assistant.
    assert "automatischer Assistent" in disclosure.text and "kein Mensch" in disclosure.text
    assert disclosure.sender == "bot"
    assert welcome.text == "Willkommen." and welcome.expects == "none"
    assert greeting.text == GREETING and greeting.expects == "choice"
    assert [(o.id, o.label) for o in greeting.choices] == [
        ("/report", "Diskriminierung melden"),
        ("/want_counsellor", "Mit jemandem sprechen"),
    ]
    (area,) = await person.send(choice="/report")  # a button: its payload goes to Rasa
    assert area.text == AREA_QUESTION
    assert [o.label for o in area.choices] == ["Wohnen", "Arbeit"]
    (thanks,) = await person.send(text="Es war bei einer Wohnungsbesichtigung.")
    assert thanks.text == THANKS and thanks.expects == "text"

    assert [s["message"] for s in bridge.rasa.seen] == [
        '/greet{"language": "de"}',
        "/report",
        "Es war bei einer Wohnungsbesichtigung.",
    ]
    # Rasa knows the person only by the contact's keyed pseudonym, never by the address.
    assert {s["sender"] for s in bridge.rasa.seen} == {person.pseudonym}
    assert await person.owner() == "bot"
    history = await bridge.service.history("memory", person.address, None)
    person_lines = [line.body for line in history.lines if line.sender == "person"]
    assert {"choice": "/report", "label": "Diskriminierung melden"} in person_lines


async def test_handover_through_our_action_then_never_rasa_again(bridge: Bridge) -> None:
    person = Person(bridge)
    code = await hand_over(person)
    assert await person.owner() == "queued"
    # The action handed over the person's real conversation and told them the code itself;
    # Rasa was told nothing of it.
    (answer,) = bridge.rasa.action_answers
    assert answer["responses"] == [] and answer["events"][0]["event"] == "pause"
    async with bridge.store.read() as tx:
        assert await contacts.find(tx, "rasa", person.pseudonym) is None

    asked = len(bridge.rasa.seen)
    await person.send(expect=0, text="Ist jemand da?")
    await person.send(expect=0, choice="/report")
    assert len(bridge.rasa.seen) == asked  # after the handover nothing goes to Rasa
    case_id, content = await read_case(bridge.store, code)
    assert content.answers == {"life_area": ["housing"]}
    person_lines = [line.body for line in content.transcript if line.sender == "person"]
    assert person_lines[-2:] == [{"text": "Ist jemand da?"}, {"choice": "/report"}]

    counsellor = await counsellor_id(bridge.store)
    async with bridge.store.tx() as tx:
        assert await cases.claim(tx, case_id, counsellor)
    before = len(bridge.channel.to(person.address))
    assert await bridge.service.counsellor_reply(case_id, counsellor, "Guten Tag, hier Frau M.")
    for _ in range(200):
        if len(bridge.channel.to(person.address)) > before:
            break
        await asyncio.sleep(0.02)
    (reply,) = bridge.channel.to(person.address)[before:]
    assert reply.text == "Guten Tag, hier Frau M." and reply.sender == "counsellor"
    assert len(bridge.rasa.seen) == asked


async def test_crisis_words_get_our_resources_and_never_reach_rasa(bridge: Bridge) -> None:
    person = Person(bridge)
    await person.send(expect=3, command="start", language="de")
    asked = len(bridge.rasa.seen)
    crisis, offer = await person.send(expect=2, text="Ich will nicht mehr leben.")
    assert crisis.kind == "crisis" and "110" in crisis.text
    assert [o.id for o in offer.choices] == [HANDOVER_CHOICE]
    assert len(bridge.rasa.seen) == asked
    (told,) = await person.send(choice=HANDOVER_CHOICE)
    code = CODE.search(told.text)
    assert code
    async with bridge.store.read() as tx:
        (entry,) = await cases.queue(tx)
    assert entry.crisis is True  # the crisis our code saw makes it a crisis case
    assert len(bridge.rasa.seen) == asked


@pytest.mark.parametrize("mode", ["slow", "error", "absent"])
async def test_a_slow_failing_or_absent_rasa_loses_nothing(office: Office, mode: str) -> None:
    url = f"http://127.0.0.1:{free_port()}" if mode == "absent" else None
    async for bridge in _bridge(office, url):
        bridge.rasa.mode = mode
        person = Person(bridge)
        started = asyncio.get_running_loop().time()
        disclosure, sorry = await person.send(expect=2, text="Mir ist etwas passiert.")
        assert "automatischer Assistent" in disclosure.text
        # Our timeout (2 s) answered, not Rasa: it would take SLOW_RASA; the margin is
        # for a busy machine, not a speed claim.
        assert asyncio.get_running_loop().time() - started < SLOW_RASA / 2
        assert "kann gerade nicht antworten" in sorry.text
        assert [o.id for o in sorry.choices] == [HANDOVER_CHOICE]
        (sorry_en,) = await person.send(language="en")
        assert "cannot answer right now" in sorry_en.text

        (told,) = await person.send(choice=HANDOVER_CHOICE)  # the office without Rasa
        code = CODE.search(told.text)
        assert code, told.text
        assert await person.owner() == "queued"
        _, content = await read_case(bridge.store, code.group(0))
        said = [line.body for line in content.transcript if line.sender == "person"]
        assert {"text": "Mir ist etwas passiert."} in said  # nothing lost
        asked = len(bridge.rasa.seen)
        await person.send(expect=0, text="Hallo?")
        assert len(bridge.rasa.seen) == asked


# ---------------------------------------------------------------- nothing in the clear


async def _plaintext_rows(store: Store, needle: str) -> list[str]:
    """Tables whose rows hold `needle` in any column, as text or bytes."""
    found = []
    async with store.read() as tx:
        for table in Base.metadata.sorted_tables:
            for row in (await tx.session.execute(select(table))).all():
                for value in row:
                    if (isinstance(value, str) and needle in value) or (
                        isinstance(value, bytes) and needle.encode() in value
                    ):
                        found.append(table.name)
    return found


async def test_a_canary_appears_nowhere_at_rest_or_in_the_logs(
    bridge: Bridge, caplog: pytest.LogCaptureFixture, database_url: str
) -> None:
    """Texts and button payloads the person sends through Rasa and after the handover are
    sealed or under the server key, and never logged. Rasa itself receives them: it is
    outside our encryption (docs/rasa.md)."""
    # In this order: set_level also sets the capture handler's level, so DEBUG must come last.
    caplog.set_level(logging.WARNING, logger="aiohttp.access")  # request lines carry ?token=
    caplog.set_level(logging.DEBUG)
    person = Person(bridge)
    await person.send(expect=3, command="start", language="de")
    await person.send(text=f"{CANARY} vor der Übergabe")
    said = await person.send(expect=2, choice="/want_counsellor")
    code = CODE.search(" ".join(m.text for m in said))
    assert code
    await person.send(expect=0, text=f"{CANARY} nach der Übergabe")

    assert any(CANARY in s["message"] for s in bridge.rasa.seen)  # expected: Rasa sees it
    _, content = await read_case(bridge.store, code.group(0))
    assert sum(CANARY in str(line.body) for line in content.transcript) == 2
    assert await _plaintext_rows(bridge.store, CANARY) == []
    assert await _plaintext_rows(bridge.store, person.address) == []
    if database_url.startswith("sqlite"):
        db_file = Path(database_url.split("///", 1)[1])
        for path in db_file.parent.iterdir():
            if path.name.startswith(db_file.name):
                assert CANARY.encode() not in path.read_bytes(), path.name
    logs = "\n".join(r.getMessage() for r in caplog.records)
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    assert any(r.name.startswith("bot.") for r in caplog.records)
    for secret in (CANARY, TOKEN, person.address):
        assert secret not in logs


# ---------------------------------------------------------------- Rasa's own channels


async def test_a_reply_to_rasas_own_channel_is_dropped_not_retried_forever(
    office: Office,
) -> None:
    await publish_files(office.store, [SHIPPED_INTAKE])
    service = ConversationService(
        office.store, FlowCatalog("intake"), response_time={}, clock=SystemClock()
    )
    # A sender id that is no contact's pseudonym: a conversation on Rasa's own channels.
    assert await service.external_sender("rasa", "rasa-user-7") == ("rasa", "rasa-user-7")
    intake = ExternalIntake({}, False, "de", via="rasa")
    done = await service.external_handover("rasa", "rasa-user-7", intake)
    assert done.case is not None and done.text is not None and not done.delivered
    counsellor = await counsellor_id(office.store)
    async with office.store.tx() as tx:
        assert await cases.claim(tx, done.case.case_id, counsellor)
    assert await service.counsellor_reply(done.case.case_id, counsellor, "Hallo")
    worker = DeliveryWorker(office.store, {}, clock=SystemClock())
    assert await worker.run_once() == 0
    async with office.store.read() as tx:
        assert await outbox.pending(tx) == 0
        contact = await contacts.find(tx, "rasa", "rasa-user-7")
    assert contact is not None and contact.unreachable


# ---------------------------------------------------------------- the wire and settings


def test_rasa_answers_we_cannot_show_are_skipped() -> None:
    assert replies_from({"error": "x"}) is None
    replies = replies_from(
        [
            {"recipient_id": "p", "text": "a"},
            {"recipient_id": "p", "custom": {"x": 1}},
            "nonsense",
            {"recipient_id": "p", "buttons": [{"title": "B", "payload": "/b"}, {"title": 1}]},
            {"recipient_id": "p", "text": "c", "buttons": [{"title": "L", "payload": "x" * 101}]},
        ]
    )
    assert replies is not None
    assert [(r.text, r.buttons) for r in replies] == [
        ("a", ()),
        ("", (("/b", "B"),)),
        ("c", ()),
    ]


async def test_driving_without_a_rest_url_stops_the_start(office: Office) -> None:
    settings = Settings(rasa=RasaSettings(drive_conversations=True))
    with pytest.raises(SettingsError, match="rest_url"):
        create_app(settings, office.store)


# ---------------------------------------------------------------- Rasa's tracker goes with the case


async def test_a_person_deleting_the_case_deletes_rasas_tracker_too(bridge: Bridge) -> None:
    person = Person(bridge)
    await hand_over(person)
    assert bridge.rasa.trackers == []
    assert await bridge.service.forget("memory", person.address) == 1
    assert bridge.rasa.trackers == [("DELETE", person.pseudonym, API_TOKEN, None)]


async def test_without_rasas_delete_endpoint_the_tracker_is_emptied(bridge: Bridge) -> None:
    bridge.rasa.tracker_api = "oss"  # Rasa Open Source: no DELETE …/tracker
    person = Person(bridge)
    await person.send(expect=3, command="start", language="de")
    await bridge.service.forget("memory", person.address)
    assert bridge.rasa.trackers == [("PUT", person.pseudonym, API_TOKEN, [])]


async def test_retention_deletes_the_tracker_of_each_shredded_case(bridge: Bridge) -> None:
    person = Person(bridge)
    code = await hand_over(person)
    async with bridge.store.tx() as tx:
        counsellor = await tx.session.scalar(select(Counsellor.id).limit(1))
        assert counsellor is not None
        found = await cases.private_key_for_code(tx, code)
        assert found is not None
        assert await cases.claim(tx, found[0], counsellor)
        assert await cases.close(tx, found[0], counsellor)
    assert bridge.app is not None
    swept = await run_housekeeping(bridge.app, datetime.now(UTC) + timedelta(days=400))
    assert swept.deleted_cases == 1
    assert bridge.rasa.trackers == [("DELETE", person.pseudonym, API_TOKEN, None)]


async def test_a_rasa_that_cannot_delete_is_logged_without_the_pseudonym(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    person = Person(bridge)
    await person.send(expect=3, command="start", language="de")
    bridge.rasa.tracker_api = "broken"
    caplog.set_level(logging.INFO)
    assert await bridge.service.forget("memory", person.address) == 1  # ours is gone anyway
    assert bridge.rasa.trackers == []
    messages = [r.getMessage() for r in caplog.records]
    assert "rasa: deleting a tracker answered HTTP 500" in messages
    assert "rasa trackers: 1 of 1 not deleted" in messages
    assert all(person.pseudonym not in m for m in messages)


async def test_a_held_person_reaches_neither_rasa_nor_the_queue(bridge: Bridge) -> None:
    # Marked as abuse while Rasa drives: what they send is kept, but Rasa never sees it and
    # a closed case is not reopened by it.
    person = Person(bridge)
    code = await hand_over(person)
    case_id, _ = await read_case(bridge.store, code)
    counsellor = await counsellor_id(bridge.store)
    async with bridge.store.tx() as tx:
        contact = await cases.contact_of(tx, case_id)
        assert contact is not None and await contacts.block(tx, contact)
        assert await cases.claim(tx, case_id, counsellor)
        await cases.close(tx, case_id, counsellor)
    asked = len(bridge.rasa.seen)
    await person.send(expect=0, text="Hallo?")
    await person.send(expect=0, choice="/greet")
    assert len(bridge.rasa.seen) == asked
    async with bridge.store.read() as tx:
        assert (await cases.entry(tx, case_id)).status == "closed"  # type: ignore[union-attr]
