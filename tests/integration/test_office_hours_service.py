"""Office hours through the real conversation service, on SQLite and PostgreSQL: the handover
says when the office opens again, and a person whose case waits while the office is closed
is told once per closed period that their messages wait."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bot.channels.base import InboundMessage, OutboundMessage
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from bot.conversation import case_texts
from bot.conversation.flows import FlowCatalog
from bot.conversation.service import ConversationService
from bot.conversation.units import Handled
from bot.delivery.worker import DeliveryWorker
from bot.settings import DeliverySettings, Settings
from storage import cases, teams
from storage.models import Message
from storage.store import Store
from tests.conftest import COUNSELLOR_PASSWORD, Office

RESPONSE = {"de": "in zwei Werktagen", "en": "within two working days"}
WEDNESDAY_1PM = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # 13:00 in Hannover: open
WEDNESDAY_5PM = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # 17:00: closed since 16:00
FRIDAY_2PM = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # 14:00: closed since 13:00
_ids = itertools.count(1)


class Person:
    """A person on the in-memory channel; `restart()` gives a fresh service, as after a
    restart of the process: nothing is remembered but what the database holds."""

    def __init__(self, store: Store, channel: MemoryChannel, clock: ManualClock) -> None:
        self.store = store
        self.channel = channel
        self.clock = clock
        self.address = f"hours-{next(_ids)}"
        self.restart()
        self.last: Handled | None = None

    def restart(self) -> None:
        settings = Settings()  # the shipped hours: Mon-Thu 9-16, Fri 9-13, Niedersachsen
        self.service = ConversationService(
            self.store,
            FlowCatalog("mini"),
            response_time=RESPONSE,
            clock=self.clock,
            office_hours=settings.office_schedule(),
        )
        self.worker = DeliveryWorker(
            self.store,
            {self.channel.name: self.channel},
            DeliverySettings(backoff_initial_seconds=0.01),
            clock=self.clock,
            reveal=self.service.codes.reveal,
        )

    async def send(self, **fields: Any) -> list[OutboundMessage]:
        before = len(self.channel.to(self.address))
        msg = InboundMessage(self.channel.name, self.address, f"m{next(_ids)}", **fields)
        self.last = await self.service.handle(msg)
        while await self.worker.run_once():
            pass
        return self.channel.to(self.address)[before:]

    async def complete_intake(self, language: str = "de") -> OutboundMessage:
        await self.send(command="start", language=language)
        await self.send(choice="accept")
        await self.send(choice="no")
        await self.send(choice="this_week")
        await self.send(choice="garbsen")
        replies = await self.send(text="Man hat mir die Wohnung nicht gegeben.")
        assert self.last is not None and self.last.owner == "queued"
        return replies[-1]


async def _person_lines(store: Store, conversation_id: int) -> int:
    async with store.read() as tx:
        count = await tx.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.conversation_id == conversation_id, Message.sender == "person")
        )
    return int(count or 0)


async def test_handover_during_hours_gives_the_usual_response_time(office: Office) -> None:
    person = Person(office.store, MemoryChannel(), ManualClock(WEDNESDAY_1PM))
    handover = await person.complete_intake()
    assert handover.case_code is not None
    assert handover.text.endswith("Antwort in zwei Werktagen.")
    assert "geschlossen" not in handover.text


async def test_handover_outside_hours_says_when_the_office_opens_again(office: Office) -> None:
    person = Person(office.store, MemoryChannel(), ManualClock(FRIDAY_2PM))
    handover = await person.complete_intake()
    assert handover.text.endswith(
        "Antwort in zwei Werktagen. Das Büro ist gerade geschlossen. Es ist wieder geöffnet "
        "am Montag, 30. November, ab 09:00 Uhr. Sie können uns trotzdem schon schreiben: "
        "Ihre Nachrichten warten hier auf uns."
    )
    # The handover already said it: writing on in the same closed period gets no notice.
    assert await person.send(text="Noch etwas: es war am Dienstag.") == []


async def test_handover_in_english_outside_hours(office: Office) -> None:
    person = Person(office.store, MemoryChannel(), ManualClock(FRIDAY_2PM))
    handover = await person.complete_intake(language="en")
    assert handover.text.endswith(
        "Answer within two working days. The office is closed right now. It opens again on "
        "Monday 30 November, at 09:00. You can still write to us: your messages will wait "
        "here for us."
    )


async def test_a_waiting_person_is_told_once_per_closed_period(office: Office) -> None:
    clock = ManualClock(WEDNESDAY_1PM)
    person = Person(office.store, MemoryChannel(), clock)
    await person.complete_intake()
    assert person.last is not None
    conversation = person.last.conversation_id
    assert conversation is not None
    sent = 0

    async def write(text: str) -> list[OutboundMessage]:
        nonlocal sent
        sent += 1
        return await person.send(text=text)

    assert await write("Während der Öffnungszeit.") == []  # open: the bot stays silent

    clock.now = WEDNESDAY_5PM
    (notice,) = await write("Am Abend noch eine Frage.")
    assert notice.text == (
        "Ihre Nachricht ist angekommen und wartet hier auf uns. Das Büro ist gerade "
        "geschlossen. Es ist wieder geöffnet am Donnerstag, 26. November, ab 09:00 Uhr."
    )
    assert (notice.sender, notice.kind, notice.language) == ("bot", "info", "de")
    assert person.last is not None and person.last.replies == 1
    assert person.last.owner == "queued"

    clock.now = WEDNESDAY_5PM.replace(hour=20)
    assert await write("Und noch etwas.") == []  # the same closed period: no second notice
    person.restart()  # "once" is read from the database, so it survives a restart
    clock.now = WEDNESDAY_5PM.replace(hour=23)
    assert await write("Nach einem Neustart.") == []

    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # Thursday 10:00: open again
    assert await write("Am Morgen.") == []
    clock.now = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # Thursday 16:30: a new closed period
    (again,) = await write("Am nächsten Abend.")
    assert "wieder geöffnet am Freitag, 27. November, ab 09:00 Uhr." in again.text

    # Every message is kept for the counsellor, the notices only added to the transcript.
    # (6 = the intake's person lines: start, consent, danger, when, municipality, account.)
    assert await _person_lines(office.store, conversation) == 6 + sent
    async with office.store.tx() as tx:
        (entry,) = await cases.queue(tx)
        counsellor = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert counsellor is not None
        private = await cases.private_key_for_team(tx, entry.case_id, counsellor.team_keys)
        assert private is not None
        content = await cases.read(tx, entry.case_id, private)
    texts = [(line.sender, line.body.get("text")) for line in content.transcript[-8:]]
    assert texts == [
        ("person", "Während der Öffnungszeit."),
        ("person", "Am Abend noch eine Frage."),
        ("bot", notice.text),
        ("person", "Und noch etwas."),
        ("person", "Nach einem Neustart."),
        ("person", "Am Morgen."),
        ("person", "Am nächsten Abend."),
        ("bot", again.text),
    ]


async def test_no_notice_once_a_counsellor_has_the_case(office: Office) -> None:
    clock = ManualClock(WEDNESDAY_1PM)
    person = Person(office.store, MemoryChannel(), clock)
    await person.complete_intake()
    async with office.store.tx() as tx:
        (entry,) = await cases.queue(tx)
        counsellor = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert counsellor is not None
        assert await cases.claim(tx, entry.case_id, counsellor.counsellor_id)
    clock.now = WEDNESDAY_5PM
    assert await person.send(text="Sind Sie noch da?") == []
    assert person.last is not None and person.last.owner == "counsellor"


async def test_danger_while_the_office_is_closed_brings_the_numbers_and_says_it_is_closed(
    office: Office,
) -> None:
    # Found in a Telegram walk-through: the crisis numbers are a bot line of their own turn,
    # and counted as "told since the office closed", so the person in danger was not told
    # that nobody reads their message before the office opens.
    clock = ManualClock(WEDNESDAY_1PM)
    person = Person(office.store, MemoryChannel(), clock)
    await person.complete_intake()
    clock.now = WEDNESDAY_5PM
    crisis, closed = await person.send(text="Er will mich umbringen, er steht vor der Tür.")
    assert crisis.kind == "crisis" and "Polizei 110" in crisis.text
    assert closed.text.startswith("Ihre Nachricht ist angekommen und wartet hier auf uns.")
    assert "Das Büro ist gerade geschlossen." in closed.text
    assert person.last is not None and person.last.told_received and person.last.waits
    # Once per closed period still: the next line gets neither.
    assert await person.send(text="Bitte melden Sie sich.") == []


async def test_a_case_reopened_at_night_says_when_the_office_opens(office: Office) -> None:
    # Found in a walk-through: a message written at night after the office closed the case
    # reopened it and said only that; the person then waited for an answer all night.
    clock = ManualClock(WEDNESDAY_1PM)
    person = Person(office.store, MemoryChannel(), clock)
    await person.complete_intake()
    async with office.store.tx(clock()) as tx:  # closed by day
        (entry,) = await cases.queue(tx)
        counsellor = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert counsellor is not None
        assert await cases.claim(tx, entry.case_id, counsellor.counsellor_id)
        assert await cases.close(tx, entry.case_id, counsellor.counsellor_id)
        assert await person.service.close_notice(tx, entry.case_id)

    clock.now = WEDNESDAY_5PM.replace(hour=23)
    told_closed = await person.send(text="Erst am Abend.")
    reopened, closed = told_closed[-2:]  # after the close notice, delivered now

    assert reopened.text == case_texts.text("reopened", "de")
    assert "Das Büro ist gerade geschlossen" in closed.text
    assert "wieder geöffnet am Donnerstag, 26. November, ab 09:00 Uhr." in closed.text
    assert person.last is not None and person.last.told_received
    assert await person.send(text="Noch etwas.") == []  # told once this night
