"""The metrics listener an operator scrapes: off by default, counts and gauges only, and no
label that says anything about a person or a case's content (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from bot import metrics
from bot.app import create_app
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from bot.conversation.handover import add_months
from bot.settings import DeliverySettings, MetricsSettings, Settings
from storage.models import Case
from tests.conftest import Office
from tests.integration.test_console import intake
from tests.integration.test_conversation import NOW, Person
from tests.serve import free_port

CANARY = "Glockenblume-Tapir-9012-canary"
Client = TestClient[web.Request, web.Application]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def _scrape(port: int) -> Samples:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as r:
        assert r.status == 200
        text = await r.text()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
async def served(
    office: Office,
) -> AsyncIterator[tuple[TestClient[web.Request, web.Application], int]]:
    port = free_port()
    channel = MemoryChannel()
    settings = Settings(
        delivery=DeliverySettings(poll_seconds=0.05),
        metrics=MetricsSettings(enabled=True, port=port),
    )
    app = create_app(
        settings,
        office.store,
        channels={channel.name: channel},
        flow_id="mini",
        clock=ManualClock(NOW),
    )
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client, port


async def test_the_numbers_an_operator_needs_and_nothing_about_anyone(
    served: tuple[Client, int], office: Office
) -> None:
    client, port = served
    before = await _scrape(port)
    _, case_id = await intake(office, MemoryChannel(), account=f"Im Amt abgewiesen {CANARY}")
    async with office.store.tx() as tx:  # the two months end in five days
        incident = add_months(NOW.date(), -2) + timedelta(days=5)
        await tx.session.execute(
            update(Case).where(Case.id == case_id).values(incident_date=incident)
        )
    assert (await client.get("/chat")).status == 200
    assert (await client.get("/console/cases/12345", allow_redirects=False)).status == 303
    after = await _scrape(port)

    def grew(name: str) -> float:
        return after[(name, ())] - before.get((name, ()), 0.0)

    assert grew("anlaufstelle_conversations_started_total") >= 1
    assert grew("anlaufstelle_handovers_total") >= 1
    assert after[("anlaufstelle_queue_length", (("team", "region"),))] == 1
    assert after[("anlaufstelle_cases_near_agg_deadline", ())] == 1
    assert after[("anlaufstelle_outbox_backlog", ())] == 0
    assert after[("anlaufstelle_outbox_oldest_age_seconds", ())] == 0
    assert grew("anlaufstelle_unit_of_work_seconds_count") >= 6  # one per message
    routes = {dict(labels).get("route") for name, labels in after if "http_request" in name}
    assert "/chat" in routes and "/console/cases/{case_id}" in routes
    assert not any("12345" in str(route) for route in routes)  # templates, never values
    labels = " ".join(f"{name}{labels}" for name, labels in after)
    assert CANARY not in labels and "garbsen" not in labels and "de" not in routes


async def test_metrics_are_off_unless_enabled(office: Office) -> None:
    port = free_port()
    app = create_app(Settings(), office.store, channels={}, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")):
        with pytest.raises(aiohttp.ClientConnectorError):
            await _scrape(port)


async def test_a_crisis_is_counted_and_never_logged_with_its_conversation(
    office: Office, caplog: pytest.LogCaptureFixture
) -> None:
    """The danger a person named must not outlive their case in the journal: the operator
    sees how many crisis messages went out, not whose conversation had one. (No app here:
    its delivery worker would race the person's own for their replies.)"""

    def count() -> float:
        return metrics.REGISTRY.get_sample_value("anlaufstelle_crisis_messages_total") or 0.0

    before = count()
    person = Person(office.store, MemoryChannel())
    await person.send(command="start", language="de")
    await person.send(choice="accept")
    with caplog.at_level(logging.DEBUG):
        replies = await person.send(text="Ich will mich umbringen.")
    assert any(r.kind == "crisis" for r in replies)
    assert count() - before == 1
    assert not [r.getMessage() for r in caplog.records if "crisis" in r.getMessage().lower()]
