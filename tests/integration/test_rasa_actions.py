"""Our Rasa actions, served by rasa-sdk's real server (`anlaufstelle rasa actions` as a
subprocess) and by the route mounted in our app: one contract, both servers, with action
calls in Rasa 3.x's exact format (tests/rasa_wire.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.channels.rasa_actions import (
    ACTION_CREATE_CASE,
    ACTION_CRISIS,
    ACTION_HANDOVER,
    ACTION_VALIDATE_INTAKE,
)
from bot.cli.bootstrap import open_store
from bot.conversation.flows import SHIPPED_INTAKE, publish_files
from bot.settings import RasaSettings, Settings
from storage import cases, contacts, conversations
from storage.records import CaseContent
from tests.rasa_wire import action_call, complete_slots
from tests.serve import free_port

# one worker for the module: rasa-sdk's server (`sdk_server`) starts once
pytestmark = pytest.mark.xdist_group("rasa-actions")

TOKEN = "rasa-action-token-for-tests-0123"
CANARY = "Zitronenfalter-Quokka-4711-rasa"
CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANLAUFSTELLE_")}
    env.update(
        ANLAUFSTELLE_DATA_DIR=str(data_dir),
        ANLAUFSTELLE_KDF_MEMORY_KIB="1024",
        ANLAUFSTELLE_KDF_TIME_COST="1",
        ANLAUFSTELLE_RASA__ACTION_TOKEN=TOKEN,
        ANLAUFSTELLE_LOG_LEVEL="DEBUG",
    )
    return env


def _settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        kdf_memory_kib=1024,
        kdf_time_cost=1,
        rasa=RasaSettings(actions_enabled=True, action_token=TOKEN),
    )


async def _prepare(data_dir: Path) -> None:
    store, _ = await open_store(_settings(data_dir), create=True)
    try:
        await publish_files(store, [SHIPPED_INTAKE])
    finally:
        await store.db.dispose()


@dataclass
class Home:
    data_dir: Path

    @property
    def settings(self) -> Settings:
        return _settings(self.data_dir)

    async def case_for_code(self, code: str) -> CaseContent:
        store, _ = await open_store(self.settings, create=False)
        try:
            async with store.tx() as tx:
                found = await cases.private_key_for_code(tx, code)
                assert found is not None, "no case has this code"
                case_id, key = found
                return await cases.read(tx, case_id, key)
        finally:
            await store.db.dispose()

    async def owner_of(self, sender_id: str) -> str | None:
        store, _ = await open_store(self.settings, create=False)
        try:
            async with store.read() as tx:
                contact = await contacts.find(tx, "rasa", sender_id)
                conv = None if contact is None else await conversations.latest_for(tx, contact.id)
                return None if conv is None else conv.owner
        finally:
            await store.db.dispose()

    async def case_count(self) -> int:
        store, _ = await open_store(self.settings, create=False)
        try:
            async with store.read() as tx:
                return len(await cases.queue(tx))
        finally:
            await store.db.dispose()


class ActionServer:
    """`anlaufstelle rasa actions`: rasa-sdk's own Sanic server with our actions."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.log = data_dir / "actions.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        exe = Path(sys.executable).with_name("anlaufstelle")
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(exe), "rasa", "actions", "--port", str(self.port)],
                env=_env(self.data_dir),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as resp:  # noqa: S310
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if self.proc.poll() is not None:
                raise AssertionError(f"the action server exited:\n{self.output()}")
            time.sleep(0.2)
        raise AssertionError(f"the action server did not answer:\n{self.output()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    data_dir = tmp_path_factory.mktemp("rasa-home")
    asyncio.run(_prepare(data_dir))
    return Home(data_dir)


@pytest.fixture(scope="module")
def sdk_server(home: Home) -> Iterator[ActionServer]:
    server = ActionServer(home.data_dir)
    server.start()
    yield server
    server.stop()


class Endpoint(Protocol):
    async def post(
        self,
        body: Any,
        *,
        token: str | None = TOKEN,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]: ...


def _data(body: Any) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def _params(token: str | None) -> dict[str, str]:
    return {} if token is None else {"token": token}


class SdkEndpoint:
    def __init__(self, server: ActionServer, http: aiohttp.ClientSession) -> None:
        self.server, self.http = server, http

    async def post(
        self, body: Any, *, token: str | None = TOKEN, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        async with self.http.post(
            f"{self.server.url}/webhook",
            data=_data(body),
            params=_params(token),
            headers={"Content-Type": "application/json", **(headers or {})},
        ) as resp:
            return resp.status, json.loads(await resp.read() or b"null")


class MountedEndpoint:
    def __init__(self, client: TestClient[web.Request, web.Application]) -> None:
        self.client = client

    async def post(
        self, body: Any, *, token: str | None = TOKEN, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        resp = await self.client.post(
            "/rasa/webhook",
            data=_data(body),
            params=_params(token),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        return resp.status, json.loads(await resp.read() or b"null")


@pytest.fixture(params=[pytest.param("rasa_sdk_server", marks=pytest.mark.slow), "mounted"])
async def endpoint(request: pytest.FixtureRequest, home: Home) -> AsyncIterator[Endpoint]:
    if request.param == "rasa_sdk_server":
        server: ActionServer = request.getfixturevalue("sdk_server")
        async with aiohttp.ClientSession() as http:
            yield SdkEndpoint(server, http)
        return
    store, _ = await open_store(home.settings, create=False)
    app = create_app(home.settings, store)
    try:
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            yield MountedEndpoint(client)
    finally:
        await store.db.dispose()


_senders = iter(range(1, 1_000_000))


def sender() -> str:
    """A fresh Rasa conversation per call site (the servers share one database)."""
    return f"rasa-user-{next(_senders)}-{time.monotonic_ns()}"


def _code(response: dict[str, Any]) -> str:
    texts = " ".join(r["text"] or "" for r in response["responses"])
    match = CODE.search(texts)
    assert match, "the answer tells the person their case code"
    return match.group(0)


def _slot_events(response: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in response["events"] if e["event"] == "slot"}


# ---------------------------------------------------------------- cases and handover


async def test_create_case_from_the_slots_pauses_rasa(endpoint: Endpoint, home: Home) -> None:
    who = sender()
    status, body = await endpoint.post(
        action_call(ACTION_CREATE_CASE, sender_id=who, slots=complete_slots())
    )
    assert status == 200, body
    assert [e["event"] for e in body["events"]] == ["pause"]
    (reply,) = body["responses"]
    assert "Ihr Fall-Code" in reply["text"] and "{" not in reply["text"]
    assert reply["buttons"] == [] and set(reply) >= {"text", "custom", "response", "image"}

    content = await home.case_for_code(_code(body))
    assert content.answers == {
        "incident_when": {"bucket": "this_week", "date": None},
        "life_area": ["housing"],
        "municipality": "garbsen",
        "grounds": ["racism", "language"],
    }
    assert await home.owner_of(who) == "queued"
    # What the person was told is in the case's transcript, sealed like every line.
    assert any("Fall-Code" in str(line.body) for line in content.transcript)


async def test_a_retried_call_creates_no_second_case(endpoint: Endpoint, home: Home) -> None:
    who = sender()
    call = action_call(ACTION_CREATE_CASE, sender_id=who, slots=complete_slots())
    status, _ = await endpoint.post(call)
    assert status == 200
    before = await home.case_count()
    status, again = await endpoint.post(call)
    assert status == 200
    assert again["events"][0]["event"] == "pause"
    assert again["responses"] == []  # already with the counsellors: nothing more to say
    assert await home.case_count() == before


async def test_incomplete_form_is_rejected_in_rasas_error_shape(endpoint: Endpoint) -> None:
    slots = complete_slots(grounds=None, municipality="berlin")
    status, body = await endpoint.post(
        action_call(ACTION_CREATE_CASE, sender_id=sender(), slots=slots)
    )
    assert status == 400
    assert body["action_name"] == ACTION_CREATE_CASE
    assert "municipality" in body["error"] and "grounds" in body["error"]
    assert "berlin" not in body["error"]  # names of slots, never their values


async def test_handover_with_what_there_is_and_the_queue_owns_it(
    endpoint: Endpoint, home: Home
) -> None:
    who = sender()
    assert await home.owner_of(who) is None
    slots = {"language": "en", "municipality": "hannover", "crisis": True}
    status, body = await endpoint.post(action_call(ACTION_HANDOVER, sender_id=who, slots=slots))
    assert status == 200, body
    assert body["events"] == [{"event": "pause", "timestamp": None}]
    assert "Your case code" in body["responses"][0]["text"]
    content = await home.case_for_code(_code(body))
    assert content.answers == {"municipality": "hannover"}
    assert await home.owner_of(who) == "queued"


async def test_crisis_resources_in_the_persons_language(endpoint: Endpoint) -> None:
    for language, expected in (
        ("de", "Polizei: 110"),
        ("en", "Police: 110"),
        ("ls", "Polizei: 110"),
    ):
        call = action_call(ACTION_CRISIS, sender_id=sender(), slots={"language": language})
        status, body = await endpoint.post(call)
        assert status == 200
        assert expected in body["responses"][0]["text"]
        assert _slot_events(body) == {"crisis": True}


# ---------------------------------------------------------------- form validation


async def validate(endpoint: Endpoint, slot: str, value: Any, **slots: Any) -> tuple[int, Any]:
    call = action_call(
        ACTION_VALIDATE_INTAKE,
        sender_id=sender(),
        slots={"language": "de", **slots},
        candidates={slot: value},
        requested_slot=slot,
        active_loop="intake_form",
    )
    return await endpoint.post(call)


async def test_form_validation_accepts_values_by_the_flows_rules(endpoint: Endpoint) -> None:
    cases_: list[tuple[str, Any, Any]] = [
        ("grounds", ["age", "racism"], ["racism", "age"]),  # the flow's order
        ("grounds", "disability", ["disability"]),
        ("life_area", ["work"], ["work"]),
        ("municipality", "garbsen", "garbsen"),
        ("municipality", "Garbsen", "garbsen"),  # typed label, as in our chat
        ("incident_date", "this_month", "this_month"),
        ("incident_date", "3.1.2025", "2025-01-03"),
        ("incident_date", "2025-01-03T00:00:00.000+01:00", "2025-01-03"),  # duckling
    ]
    for slot, value, expected in cases_:
        status, body = await validate(endpoint, slot, value)
        assert status == 200, (slot, value, body)
        assert _slot_events(body)[slot] == expected, (slot, value)
        assert body["responses"] == [], (slot, value)


async def test_form_validation_rejects_values_with_the_flows_texts(endpoint: Endpoint) -> None:
    tomorrow = (date.today() + timedelta(days=2)).strftime("%d.%m.%Y")
    rejected = [
        ("grounds", ["not_sure", "racism"], "gehen nur allein"),  # ui.only_alone
        ("municipality", "berlin", "Bitte wählen Sie eine der Antworten"),
        ("life_area", ["moon"], "Bitte wählen Sie eine der Antworten"),
        ("incident_date", tomorrow, "Zukunft"),
        ("incident_date", "31.02.2025", "Datum"),
    ]
    for slot, value, text in rejected:
        status, body = await validate(endpoint, slot, value)
        assert status == 200, (slot, value, body)
        assert _slot_events(body)[slot] is None, (slot, value)
        said = " ".join(r["text"] for r in body["responses"])
        assert text in said, (slot, value, said)


async def test_crisis_words_in_a_form_answer_show_the_resources(endpoint: Endpoint) -> None:
    status, body = await validate(endpoint, "municipality", "ich will nicht mehr leben")
    assert status == 200
    assert _slot_events(body) == {"municipality": None, "crisis": True}
    assert "110" in body["responses"][0]["text"]


async def test_a_turn_without_a_value_rejects_the_validation(endpoint: Endpoint) -> None:
    call = action_call(
        ACTION_VALIDATE_INTAKE,
        sender_id=sender(),
        text="was soll das?",
        intent="greet",
        requested_slot="grounds",
        active_loop="intake_form",
    )
    status, body = await endpoint.post(call)
    assert status == 400
    assert body == {"error": body["error"], "action_name": ACTION_VALIDATE_INTAKE}


# ---------------------------------------------------------------- the wire


async def test_unknown_action_is_404(endpoint: Endpoint) -> None:
    status, body = await endpoint.post(action_call("action_does_not_exist", sender_id=sender()))
    assert status == 404
    assert body["action_name"] == "action_does_not_exist"
    assert "No registered action" in body["error"]


async def test_bad_bodies_are_400(endpoint: Endpoint) -> None:
    call = action_call(ACTION_CRISIS, sender_id=sender())
    bad = [
        b"{not json",
        b"null",
        b"[]",
        json.dumps({**call, "tracker": None}).encode(),
        json.dumps({**call, "tracker": {**call["tracker"], "sender_id": ""}}).encode(),
        json.dumps({**call, "tracker": {**call["tracker"], "events": {}}}).encode(),
        # 5,000 nested levels in 10 kB used to raise RecursionError in the parser (a 500).
        b"[" * 5000 + b"]" * 5000,
        json.dumps({**call, "domain": "DEEP"}).replace('"DEEP"', "[" * 5000 + "]" * 5000).encode(),
        # Past Python's int-conversion limit: a plain ValueError, not a JSONDecodeError.
        json.dumps({**call, "domain": "HUGE"}).replace('"HUGE"', "7" * 5000).encode(),
    ]
    for raw in bad:
        status, body = await endpoint.post(raw)
        assert status == 400, raw
        assert "error" in body
        assert "request_body" not in body  # rasa-sdk would echo the person's texts


async def test_missing_domain_for_an_unknown_digest_is_449(endpoint: Endpoint) -> None:
    call = action_call(ACTION_CRISIS, sender_id=sender(), include_domain=False)
    call["domain_digest"] = "a-digest-this-server-never-saw"
    status, body = await endpoint.post(call)
    assert status == 449
    assert body["action_name"] == ACTION_CRISIS
    # Rasa then sends the domain; later calls with that digest may leave it out.
    status, _ = await endpoint.post(action_call(ACTION_CRISIS, sender_id=sender()))
    assert status == 200
    status, _ = await endpoint.post(
        action_call(ACTION_CRISIS, sender_id=sender(), include_domain=False)
    )
    assert status == 200


async def test_deflate_compressed_bodies_are_accepted(endpoint: Endpoint) -> None:
    call = action_call(ACTION_CRISIS, sender_id=sender(), slots={"language": "en"})
    status, body = await endpoint.post(
        zlib.compress(json.dumps(call).encode()), headers={"Content-Encoding": "deflate"}
    )
    assert status == 200
    assert "Police: 110" in body["responses"][0]["text"]


async def test_a_missing_or_wrong_token_is_401(endpoint: Endpoint) -> None:
    call = action_call(ACTION_CRISIS, sender_id=sender())
    for token in (None, "", "wrong-token-of-the-same-length!!", TOKEN + "x", "ünïcødé"):
        status, body = await endpoint.post(call, token=token)
        assert status == 401, token
        assert body == {"error": "unauthorized"}


async def test_half_a_surrogate_pair_in_the_call_is_taken_not_a_500(
    endpoint: Endpoint, home: Home
) -> None:
    """JSON may carry "\\ud800"; it cannot be stored as UTF-8, and a 500 makes Rasa call
    again and again. It arrives as U+FFFD instead, on both servers."""
    who = f"{sender()}-\ud800"
    status, body = await endpoint.post(
        action_call(ACTION_CREATE_CASE, sender_id=who, slots=complete_slots())
    )
    assert status == 200, body
    assert [e["event"] for e in body["events"]] == ["pause"]


# ---------------------------------------------------------------- nothing in the clear


async def test_the_mounted_route_only_exists_with_its_setting(home: Home) -> None:
    store, _ = await open_store(home.settings, create=False)
    settings = home.settings.model_copy(update={"rasa": RasaSettings()})
    try:
        async with TestClient(TestServer(create_app(settings, store), host="127.0.0.1")) as c:
            resp = await c.post("/rasa/webhook", params={"token": TOKEN}, json={})
            assert resp.status in (404, 405)
    finally:
        await store.db.dispose()


async def test_a_canary_appears_nowhere_at_rest_or_in_the_logs(
    home: Home, sdk_server: ActionServer, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """Canary slot values, texts and sender ids reach the case sealed; neither the database
    files nor either server's logs hold them in plaintext (logs at DEBUG)."""
    # As in production (`anlaufstelle serve` runs without an access log and bot/cli/main.py holds
    # the access loggers at WARNING): the test server's request lines carry Rasa's ?token=.
    # In this order: set_level also sets the capture handler's level, so DEBUG must come last.
    caplog.set_level(logging.WARNING, logger="aiohttp.access")
    caplog.set_level(logging.DEBUG)
    store, _ = await open_store(home.settings, create=False)
    app = create_app(home.settings, store)
    calls = []
    for i in range(2):
        who = f"{CANARY}-sender-{i}-{time.monotonic_ns()}"
        slots = complete_slots(account=f"{CANARY} account {i}", municipality=f"{CANARY} town")
        calls.append(
            action_call(
                ACTION_VALIDATE_INTAKE,
                sender_id=who,
                text=f"{CANARY} text {i}",
                candidates={"municipality": f"{CANARY} typed"},
                requested_slot="municipality",
                active_loop="intake_form",
            )
        )
        calls.append(action_call(ACTION_HANDOVER, sender_id=who, slots=slots, text=f"{CANARY} {i}"))
        calls.append(action_call("action_unknown", sender_id=who, text=f"{CANARY} unknown"))
    codes = []
    try:
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            mounted = MountedEndpoint(client)
            async with aiohttp.ClientSession() as http:
                sdk = SdkEndpoint(sdk_server, http)
                for i, call in enumerate(calls):
                    status, body = await (mounted if i < 3 else sdk).post(call)
                    if call["next_action"] == ACTION_HANDOVER:
                        assert status == 200
                        codes.append(_code(body))
    finally:
        await store.db.dispose()
    for code in codes:
        content = await home.case_for_code(code)
        assert CANARY in content.answers["account"]  # sealed, but there for the counsellor
        assert "municipality" not in content.answers  # not a valid answer: not kept

    sdk_server.stop()  # flushes its log; the module's other tests ran before this one
    logs = sdk_server.output() + "\n".join(r.getMessage() for r in caplog.records)
    assert "DEBUG" in sdk_server.output() or caplog.records
    assert CANARY not in logs
    assert TOKEN not in logs
    for path in home.data_dir.iterdir():
        if path.is_file() and path.name != "actions.log":
            assert CANARY.encode() not in path.read_bytes(), path.name


async def test_an_action_name_with_a_line_break_forges_no_log_line(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store, _ = await open_store(home.settings, create=False)
    try:
        async with TestClient(TestServer(create_app(home.settings, store), host="127.0.0.1")) as c:
            forged = "action_x\r\nERROR bot.console.pages: login.ok admin"
            call = action_call(ACTION_CRISIS, sender_id=sender())
            call["next_action"] = forged
            resp = await c.post("/rasa/webhook", params={"token": TOKEN}, json=call)
            assert resp.status == 404
    finally:
        await store.db.dispose()
    assert caplog.records
    assert all("\n" not in r.getMessage() and "\r" not in r.getMessage() for r in caplog.records)
