"""The danger path on SQLite and PostgreSQL: a person in danger reaches the queue with one tap,
the crisis case is at the top, and the questions go on into the same case if they choose."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.channels.base import InboundMessage, OutboundMessage
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from bot.conversation.flows import FlowCatalog, publish_files
from bot.conversation.handover import by_priority
from bot.conversation.service import ConversationService
from bot.conversation.units import Handled
from bot.delivery.worker import DeliveryWorker
from bot.office.hours import OfficeHours, parse_span
from bot.settings import DeliverySettings
from storage import cases, teams
from storage.records import CaseContent
from tests.conftest import COUNSELLOR_PASSWORD, Office

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday, noon in Hannover
FLOW = Path(__file__).parents[1] / "flows" / "danger.yaml"
_ids = itertools.count(1)


class Person:
    def __init__(self, office: Office, channel: MemoryChannel, hours: OfficeHours | None) -> None:
        clock = ManualClock(NOW)
        self.store = office.store
        self.channel = channel
        self.address = f"danger-{next(_ids)}"
        self.service = ConversationService(
            office.store,
            FlowCatalog("danger"),
            response_time={"de": "in zwei Werktagen", "en": "within two working days"},
            clock=clock,
            office_hours=hours,
        )
        self.worker = DeliveryWorker(
            office.store,
            {channel.name: channel},
            DeliverySettings(backoff_initial_seconds=0.01),
            clock=clock,
            reveal=self.service.codes.reveal,
        )
        self.last: Handled | None = None

    async def send(self, **fields: Any) -> list[OutboundMessage]:
        before = len(self.channel.to(self.address))
        msg = InboundMessage(self.channel.name, self.address, f"m{next(_ids)}", **fields)
        self.last = await self.service.handle(msg)
        while await self.worker.run_once():
            pass
        return self.channel.to(self.address)[before:]

    async def to_danger(self) -> list[OutboundMessage]:
        await self.send(command="start", language="de")
        await self.send(choice="accept")
        return await self.send(choice="yes")


@pytest.fixture
async def danger_office(office: Office) -> Office:
    await publish_files(office.store, [FLOW])
    return office


def closed_all_week_but(day: int) -> OfficeHours:
    return OfficeHours({day: [parse_span("09:00-10:00")]}, ZoneInfo("Europe/Berlin"))


async def read_case(office: Office, case_id: int) -> CaseContent:
    async with office.store.tx() as tx:
        session = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert session is not None
        private = await cases.private_key_for_team(tx, case_id, session.team_keys)
        assert private is not None
        return await cases.read(tx, case_id, private)


async def test_danger_shows_the_numbers_and_waits_for_the_person(danger_office: Office) -> None:
    person = Person(danger_office, MemoryChannel(), None)
    [crisis] = await person.to_danger()
    assert crisis.kind == "crisis"
    assert "110" in crisis.text
    assert [(c.id, c.label) for c in crisis.choices] == [
        ("talk_now", "Jetzt mit einer Person sprechen"),
        ("go_on", "Mit den Fragen weitermachen"),
    ]
    # "Wann ist es passiert?" is not asked until the person chooses to go on.
    assert person.last is not None and person.last.case is None
    [question] = await person.send(choice="go_on")
    assert question.text == "Wann ist es passiert?"


async def test_one_tap_puts_a_crisis_case_at_the_top_of_the_queue(
    danger_office: Office,
) -> None:
    calm = Person(danger_office, MemoryChannel(), None)
    await calm.send(command="start", language="de")
    await calm.send(choice="accept")
    await calm.send(choice="no")
    await calm.send(choice="today")  # a deadline, but no danger
    await calm.send(choice="garbsen")
    await calm.send(text="Man hat mich im Laden beleidigt.")

    person = Person(danger_office, calm.channel, None)
    await person.to_danger()
    [told] = await person.send(choice="talk_now")
    assert person.last is not None and person.last.case is not None
    assert person.last.owner == "queued"
    code = person.last.case.case_code
    assert told.text == f"Jemand ist benachrichtigt. Fall-Code: {code}"
    assert [c.id for c in told.choices] == ["go_on"]

    async with danger_office.store.tx() as tx:
        queue = by_priority(await cases.queue(tx), NOW)
    assert len(queue) == 2 and queue[0].case_id == person.last.case.case_id
    assert queue[0].crisis is True and queue[0].team_id == "region"
    content = await read_case(danger_office, person.last.case.case_id)
    assert content.answers == {"consent": True, "danger": True}


async def test_outside_office_hours_the_numbers_are_the_way(danger_office: Office) -> None:
    person = Person(danger_office, MemoryChannel(), closed_all_week_but(0))
    await person.to_danger()
    [told] = await person.send(choice="talk_now")
    assert person.last is not None and person.last.case is not None
    assert told.text.startswith("Wir sind nicht da. Polizei 110.")


async def test_going_on_seals_the_later_answers_into_the_same_case(
    danger_office: Office,
) -> None:
    person = Person(danger_office, MemoryChannel(), None)
    await person.to_danger()
    await person.send(choice="talk_now")
    assert person.last is not None and person.last.case is not None
    case_id = person.last.case.case_id
    assert await person.send(text="Bitte schnell.") == []  # a line for the team, no bot answer
    await person.send(choice="go_on")
    await person.send(text="20.11.2026")
    await person.send(choice="hannover")
    [handover] = await person.send(text="Er hat mir gedroht.")
    assert handover.text == "Danke. Ihr Fall-Code: siehe oben. Antwort in zwei Werktagen."
    assert person.last.case is None and person.last.owner == "queued"

    async with danger_office.store.tx() as tx:
        queue = await cases.queue(tx)
    assert [e.case_id for e in queue] == [case_id]  # one case, not two
    assert queue[0].incident_date == date(2026, 11, 20)  # the exact date sets the deadline
    content = await read_case(danger_office, case_id)
    assert content.answers["account"] == "Er hat mir gedroht."
    assert content.answers["when"] == {"bucket": "date", "date": "2026-11-20"}
    texts = [line.body.get("text") for line in content.transcript]
    assert "Bitte schnell." in texts and "Er hat mir gedroht." in texts
    assert await person.send(text="Noch etwas.") == []  # handed over: only the team reads it


async def test_once_a_counsellor_claims_the_case_the_bot_is_done(danger_office: Office) -> None:
    person = Person(danger_office, MemoryChannel(), None)
    await person.to_danger()
    await person.send(choice="talk_now")
    assert person.last is not None and person.last.case is not None
    case_id = person.last.case.case_id
    async with danger_office.store.tx() as tx:
        session = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert session is not None
        assert await cases.claim(tx, case_id, session.counsellor_id)
    assert await person.send(choice="go_on") == []
    assert person.last.owner == "counsellor"
    content = await read_case(danger_office, case_id)
    assert content.transcript[-1].body == {"choice": "go_on"}
