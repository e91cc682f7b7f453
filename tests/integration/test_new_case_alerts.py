"""Content-free alerts about new cases by e-mail and Telegram group, on SQLite and PostgreSQL.

Real handovers through the conversation service; a tiny SMTP server and a Bot API stand-in
receive what the real clients send."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy import select

from bot.app import create_app
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock, SystemClock
from bot.office import new_case_alerts
from bot.office.alert_senders import configured_senders
from bot.office.new_case_alerts import NewCaseAlerts
from bot.settings import ConsoleSettings, NotificationSettings, Settings
from storage import cases
from storage.models import Counsellor
from storage.store import Store
from tests.alert_fakes import FakeBotApi, TinySmtp
from tests.conftest import Office
from tests.integration.test_conversation import NOW, Person

CANARY = "Zaunkoenig-Canary-93c1"
TOKEN = "123456:TEST-token"
ADDRESSES = {"region": ["team-region@example.org"], "stadt": ["team-stadt@example.org"]}
CHATS = {"region": "-1001", "stadt": "-1002"}
URL = "https://beratung.example/console"


@pytest.fixture
async def smtp() -> AsyncIterator[TinySmtp]:
    server = TinySmtp()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi(TOKEN)
    await api.server.start_server()
    yield api
    await api.server.close()


def notification_settings(
    smtp: TinySmtp, bot_api: FakeBotApi, min_interval: float = 0
) -> NotificationSettings:
    return NotificationSettings(
        min_interval_seconds=min_interval,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        email_from="konsole@example.org",
        email_recipients=ADDRESSES,
        telegram_token=SecretStr(TOKEN),
        telegram_chat_ids=CHATS,
        telegram_base_url=bot_api.base_url,
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def worker(
    store: Store, settings: NotificationSettings, session: aiohttp.ClientSession, clock: ManualClock
) -> NewCaseAlerts:
    return NewCaseAlerts(
        store,
        configured_senders(settings, session, clock),
        console_url=URL,
        poll_seconds=0.05,
        min_interval_seconds=settings.min_interval_seconds,
        clock=clock,
    )


async def handover(office: Office, municipality: str, at: datetime) -> tuple[int, str]:
    person = Person(office.store, MemoryChannel(), clock=ManualClock(at))
    handled = await person.complete_intake(municipality, account=f"Mir ist {CANARY} passiert")
    assert handled.case is not None
    return handled.case.case_id, handled.case.case_code


def assert_content_free(text: str, cases: list[tuple[int, str]]) -> None:
    assert CANARY not in text and "passiert" not in text
    for case_id, code in cases:
        assert code not in text and code.replace("-", "") not in text
        assert f"Fall {case_id}" not in text and f"#{case_id}" not in text
    for word in ("Garbsen", "Krise", "webchat", "memory", "Sprache", "Deutsch"):
        assert word not in text


async def test_one_content_free_alert_per_team_and_none_again_after_a_restart(
    office: Office, smtp: TinySmtp, bot_api: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    settings = notification_settings(smtp, bot_api)
    clock = ManualClock(NOW - timedelta(minutes=5))
    first = worker(office.store, settings, http, clock)
    assert await first.run_once() == 0  # starts after the newest case: no backlog
    cases = [
        await handover(office, "garbsen", NOW),
        await handover(office, "garbsen", NOW),
        await handover(office, "hannover", NOW),
    ]
    clock.now = NOW + timedelta(seconds=5)
    assert await first.run_once() == 0  # not settled yet (the handover may still commit)
    clock.now = NOW + timedelta(minutes=1)
    assert await first.run_once() == 4  # two teams, two channels
    by_team = {mail.recipients[0]: mail for mail in smtp.mails}
    assert sorted(by_team) == ["team-region@example.org", "team-stadt@example.org"]
    region = by_team["team-region@example.org"]
    assert region.message["Subject"] == "Neue Anfrage in der Beratungskonsole"
    assert region.message["From"] == "konsole@example.org"
    assert "Team Region Hannover (2 neu)" in region.text and URL in region.text
    assert "Team Stadt Hannover (1 neu)" in by_team["team-stadt@example.org"].text
    assert sorted(m["chat_id"] for m in bot_api.sent) == ["-1001", "-1002"]
    assert all(m["link_preview_options"] == {"is_disabled": True} for m in bot_api.sent)
    for text in [m.text for m in smtp.mails] + [m["text"] for m in bot_api.sent]:
        assert_content_free(text, cases)
        assert text.startswith("Neue Anfrage")

    # A restart: a new worker on the same database repeats nothing ...
    again = worker(office.store, settings, http, clock)
    clock.now += timedelta(minutes=1)
    assert await again.run_once() == 0
    assert len(smtp.mails) == 2 and len(bot_api.sent) == 2
    # ... and loses nothing that came while it was down.
    later = await handover(office, "hannover", clock.now)
    clock.now += timedelta(minutes=1)
    assert await again.run_once() == 2
    assert "Team Stadt Hannover (1 neu)" in smtp.mails[-1].text
    assert_content_free(smtp.mails[-1].text + bot_api.sent[-1]["text"], [later])


async def test_a_failed_alert_is_retried_next_round_without_repeating_the_others(
    office: Office,
    smtp: TinySmtp,
    bot_api: FakeBotApi,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = notification_settings(smtp, bot_api)
    clock = ManualClock(NOW - timedelta(minutes=5))
    alerts = worker(office.store, settings, http, clock)
    await alerts.run_once()
    await handover(office, "garbsen", NOW)
    clock.now = NOW + timedelta(minutes=1)
    smtp.fail_next = 1
    bot_api.fail_next = 1
    with caplog.at_level(logging.INFO):
        assert await alerts.run_once() == 0
    assert smtp.mails == [] and bot_api.sent == []
    # Our own log lines (not the fake server's access log, which shows its URL).
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot."))
    assert "failed (SMTPSenderRefused 451)" in ours
    assert "failed (Bot API error 429)" in ours
    for secret in ("team-region@example.org", "konsole@example.org", TOKEN, CANARY):
        assert secret not in ours
    clock.now += timedelta(seconds=15)
    assert await alerts.run_once() == 2
    assert len(smtp.mails) == 1 and len(bot_api.sent) == 1
    assert "(1 neu)" in smtp.mails[0].text
    assert await alerts.run_once() == 0


async def test_bursts_are_batched_by_the_minimum_interval(
    office: Office, smtp: TinySmtp, bot_api: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    settings = notification_settings(smtp, bot_api, min_interval=300)
    settings = settings.model_copy(update={"telegram_chat_ids": {}})
    clock = ManualClock(NOW - timedelta(minutes=5))
    alerts = worker(office.store, settings, http, clock)
    await alerts.run_once()
    await handover(office, "garbsen", NOW)
    clock.now = NOW + timedelta(minutes=1)
    assert await alerts.run_once() == 1
    for minute in (1, 2):
        await handover(office, "garbsen", NOW + timedelta(minutes=minute))
    clock.now = NOW + timedelta(minutes=4)
    assert await alerts.run_once() == 0  # too soon after the first alert
    clock.now = NOW + timedelta(minutes=6, seconds=1)
    assert await alerts.run_once() == 1
    assert [m.text.split("(")[1][:6] for m in smtp.mails] == ["1 neu)", "2 neu)"]


async def test_cases_claimed_before_the_alert_are_not_announced(
    office: Office, smtp: TinySmtp, bot_api: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    settings = notification_settings(smtp, bot_api)
    clock = ManualClock(NOW - timedelta(minutes=5))
    alerts = worker(office.store, settings, http, clock)
    await alerts.run_once()
    case_id, _ = await handover(office, "garbsen", NOW)
    async with office.store.tx(NOW) as tx:
        counsellor = await tx.session.scalar(select(Counsellor.id).limit(1))
        assert counsellor is not None
        assert await cases.claim(tx, case_id, counsellor)
    clock.now = NOW + timedelta(minutes=1)
    assert await alerts.run_once() == 0
    assert smtp.mails == [] and bot_api.sent == []


async def test_two_replicas_send_each_alert_once(
    office: Office,
    smtp: TinySmtp,
    bot_api: FakeBotApi,
    http: aiohttp.ClientSession,
    database_url: str,
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one process with one worker")
    settings = notification_settings(smtp, bot_api)
    clock = ManualClock(NOW - timedelta(minutes=5))
    replicas = [worker(office.store, settings, http, clock) for _ in range(3)]
    await asyncio.gather(*(r.run_once() for r in replicas))
    for _ in range(3):
        await handover(office, "garbsen", NOW)
        await handover(office, "hannover", NOW)
    clock.now = NOW + timedelta(minutes=1)
    sent = await asyncio.gather(*(r.run_once() for r in replicas))
    assert sum(sent) == 4
    assert len(smtp.mails) == 2 and len(bot_api.sent) == 2


async def test_the_app_runs_the_alerts_when_configured(
    office: Office,
    smtp: TinySmtp,
    bot_api: FakeBotApi,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(new_case_alerts, "SETTLE", timedelta(0))
    notifications = notification_settings(smtp, bot_api).model_copy(update={"poll_seconds": 0.05})
    settings = Settings(
        notifications=notifications,
        console=ConsoleSettings(public_url="https://beratung.example/"),
    )
    clock = SystemClock()
    app = create_app(settings, office.store, flow_id="mini", clock=clock)
    async with TestClient(TestServer(app, host="127.0.0.1")):
        await asyncio.sleep(0.2)  # the first round sets the start
        person = Person(office.store, MemoryChannel(), clock=clock)
        await person.complete_intake("garbsen")
        for _ in range(100):
            if smtp.mails and bot_api.sent:
                break
            await asyncio.sleep(0.05)
    assert len(smtp.mails) == 1 and len(bot_api.sent) == 1
    assert URL in smtp.mails[0].text
    # Without a destination the worker does not even start.
    bare = create_app(Settings(), office.store, flow_id="mini")
    assert len(bare.cleanup_ctx) == len(app.cleanup_ctx) - 1
