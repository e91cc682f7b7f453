"""Signal when things go wrong or get odd (fake signal-cli at the wire): an event delivered
twice, the sidecar going away and coming back, Signal's rate limit, a person gone from
Signal, a phone number in an envelope, attachments, groups, and commands in words."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from bot.keys import CONSOLE, SERVICE, SIGNAL
from bot.settings import DeliverySettings, Settings, SignalSettings, WebChatSettings
from storage import cases, teams
from tests.conftest import COUNSELLOR_PASSWORD, Office
from tests.integration.test_console import Console_, _page, session_of
from tests.signal.conftest import MakeSignal, Person, Signal
from tests.signal.fake_signal_cli import FakeSignalCli


async def _handover(env: Signal, anna: Person) -> int:
    anna.say("Hallo")
    for question, answer in [
        ("Dürfen wir Ihre Angaben speichern?", "1"),
        ("Sind Sie jetzt in Gefahr?", "2"),
        ("Wann ist es passiert?", "2"),
        ("Wo ist es passiert?", "2"),
        ("Was ist passiert?", "Man hat mir die Wohnung nicht gegeben."),
    ]:
        await anna.question(question)
        anna.say(answer)
    await anna.question("Danke.")
    async with env.office.store.tx() as tx:
        [entry] = await cases.queue(tx)
        keys = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert keys is not None
        assert await cases.claim(tx, entry.case_id, keys.counsellor_id)
    return entry.case_id


async def _reply(env: Signal, case_id: int, text: str) -> None:
    async with env.office.store.read() as tx:
        keys = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
    assert keys is not None
    assert await env.app[SERVICE].counsellor_reply(case_id, keys.counsellor_id, text)


async def test_an_event_delivered_twice_is_answered_once(
    make_signal: MakeSignal, person: Callable[..., Person]
) -> None:
    env = await make_signal()
    anna = person()
    anna.say("Hallo")
    await anna.question("Dürfen wir Ihre Angaben speichern?")
    anna.say("1")
    await anna.question("Sind Sie jetzt in Gefahr?")
    env.fake.replay(env.fake.kept[-1][0])  # signal-cli sends the "1" again
    assert await anna.quiet() == []
    anna.say("2")
    await anna.question("Wann ist es passiert?")


async def test_the_sidecar_going_away_loses_no_reply_and_sends_it_once(
    make_signal: MakeSignal, person: Callable[..., Person]
) -> None:
    env = await make_signal()
    anna = person()
    case_id = await _handover(env, anna)
    await env.fake.stop()
    await _reply(env, case_id, "Sind Sie noch da?")
    runtime = env.app[SIGNAL]
    deadline = time.monotonic() + 10
    while runtime.state != "unreachable":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    resp = await env.client.get("/readyz")
    assert resp.status == 200 and (await resp.json())["degraded"] == ["signal"]
    # Written while signal-cli was away: Signal keeps it, signal-cli hands it over later.
    anna.say("Ja, ich bin da.")

    await env.fake.start()  # back on the same port
    await env.connected()
    reply = await anna.next("Sind Sie noch da?", within=15)
    assert reply.startswith("Nachricht von der Beratung")
    deadline = time.monotonic() + 10
    while "Ja, ich bin da." not in await _said(env, case_id):
        assert time.monotonic() < deadline, "the message written meanwhile was lost"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    assert sum("Sind Sie noch da?" in m for m in env.fake.to(anna.aci)) == 1
    assert (await _said(env, case_id)).count("Ja, ich bin da.") == 1


async def _said(env: Signal, case_id: int) -> list[str]:
    """What the person wrote, as the counsellor reads it."""
    async with env.office.store.read() as tx:
        keys = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert keys is not None
        key = await cases.private_key_for_team(tx, case_id, keys.team_keys)
        assert key is not None
        content = await cases.read(tx, case_id, key)
    return [str(line.body.get("text")) for line in content.transcript if line.sender == "person"]


async def test_signals_rate_limit_delays_a_reply_and_a_person_gone_is_marked_unreachable(
    make_signal: MakeSignal, person: Callable[..., Person]
) -> None:
    env = await make_signal()
    anna = person()
    case_id = await _handover(env, anna)
    env.fake.rate_limited = 1
    await _reply(env, case_id, "Erste Antwort")
    assert "Erste Antwort" in await anna.next("Erste Antwort", within=15)

    env.fake.unregistered.add(anna.aci)
    await _reply(env, case_id, "Zweite Antwort")
    deadline = time.monotonic() + 10
    while True:
        async with env.office.store.read() as tx:
            if await cases.contact_unreachable(tx, case_id):
                break
        assert time.monotonic() < deadline, "the person was not marked unreachable"
        await asyncio.sleep(0.05)


async def test_a_phone_number_in_an_envelope_is_never_stored_or_logged(
    make_signal: MakeSignal,
    person: Callable[..., Person],
    caplog: pytest.LogCaptureFixture,
    database_url: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    env = await make_signal()
    number = "+4915187654321"
    anna = person(number=number)
    # signal-cli's error messages name the recipient: they must not reach the logs either.
    env.fake.fail_once = "Failed to send message to {recipient} ({recipient}): network"
    await _handover(env, anna)
    assert number not in caplog.text and anna.aci not in caplog.text
    if database_url.startswith("sqlite"):
        path = Path(database_url.split("///", 1)[1])
        await env.client.close()  # checkpoint the WAL into the file
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert number.encode() not in raw
        assert number[1:].encode() not in raw
        assert anna.aci.encode() not in raw  # the account id is encrypted at rest too


async def test_crisis_words_in_the_first_message_show_the_crisis_numbers_at_once(
    make_signal: MakeSignal, person: Callable[..., Person]
) -> None:
    await make_signal()
    anna = person()
    anna.say("Ich will nicht mehr leben")
    crisis = await anna.next("Polizei 110")
    assert crisis.startswith("Automatische Antwort:")


async def test_commands_in_words_and_what_signal_cannot_take(
    make_signal: MakeSignal, person: Callable[..., Person]
) -> None:
    env = await make_signal()
    anna = person()
    anna.say("/hilfe")
    help_text = await anna.next("So funktioniert dieser Chat")
    assert "/löschen" in help_text and "/delete" in help_text
    anna.say("Hallo")
    await anna.question("Dürfen wir Ihre Angaben speichern?")
    anna.say("/sprache")
    listing = await anna.next("Welche Sprache")
    assert "/sprache en: English" in listing
    anna.say("/sprache en")
    await anna.question("May we store your answers?")
    anna.say("/help")
    assert "How this chat works" in await anna.next("How this chat works")

    anna.fake.incoming(anna.aci, None, attachments=[{"contentType": "image/jpeg", "size": 1}])
    assert "only read text" in await anna.next("only read text")
    anna.fake.incoming(anna.aci, "in a group", group=True)
    anna.fake.publish(
        {
            "envelope": {
                "sourceUuid": anna.aci,
                "timestamp": 1,
                "dataMessage": {"timestamp": 1, "reaction": {"emoji": "👍"}},
            }
        }
    )
    assert await anna.quiet() == []  # neither a group nor a reaction gets an answer

    anna.say("/delete")
    assert "/delete yes" in await anna.next("Really delete")
    assert (await env.app[SERVICE].history("signal", anna.aci, None)).owner == "bot"
    anna.say("/LÖSCHEN ja")
    await anna.next("deleted")
    history = await env.app[SERVICE].history("signal", anna.aci, None)
    assert history.owner is None


async def test_the_admins_see_whether_signal_cli_answers(
    office: Office, signal_cli: FakeSignalCli
) -> None:
    settings = Settings(
        delivery=DeliverySettings(poll_seconds=0.05),
        webchat=WebChatSettings(trusted_proxies=["127.0.0.1"]),
        signal=SignalSettings(url=signal_cli.url, reconnect_seconds=0.05),
    )
    clock = ManualClock(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    app = create_app(settings, office.store, flow_id="mini", clock=clock)
    state = Console_(None, app[CONSOLE], clock, MemoryChannel(), office)  # type: ignore[arg-type]
    async with office.store.tx(clock()) as tx:
        admin_id = await teams.add_counsellor(
            tx,
            "admin",
            await teams.new_password(COUNSELLOR_PASSWORD, tx.kdf),
            role="admin",
            teams={},
        )
        state.secrets["admin"] = pyotp.random_base32()
        await teams.set_totp_secret(tx, admin_id, state.secrets["admin"])
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        state.client = client
        env = Signal(client, signal_cli, office)
        await env.connected()
        admin = await session_of(state, "admin")
        _, page = await _page(state, admin, "/console/office")
        assert '<p id="signal-state">Signal: verbunden' in page

        await signal_cli.stop()
        deadline = time.monotonic() + 10
        while app[SIGNAL].state != "unreachable":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        _, page = await _page(state, admin, "/console/office")
        assert 'role="alert" id="signal-state"' in page and "nicht erreichbar" in page
        await signal_cli.start()
