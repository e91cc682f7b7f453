"""The conversation service end to end on SQLite and PostgreSQL: a person talks, replies leave
through the outbox, a handover seals the case for the right team."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update

from bot.channels.base import InboundMessage, OutboundMessage
from bot.channels.memory import MemoryChannel
from bot.clock import Clock, ManualClock, SystemClock
from bot.conversation.flows import FlowCatalog
from bot.conversation.service import ConversationService
from bot.conversation.units import Handled
from bot.delivery.worker import DeliveryWorker
from bot.settings import DeliverySettings
from storage import audit, cases, conversations, teams
from storage.crypto import CryptoError, aad_for
from storage.models import Case, CaseKeyWrap, Contact, Conversation, Message, OutboxItem
from storage.store import Store
from tests.conftest import COUNSELLOR_PASSWORD, Office

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RESPONSE = {"de": "in zwei Werktagen", "en": "within two working days"}
_ids = itertools.count(1)


class Person:
    """A person on the in-memory channel, with the real service and delivery worker behind it."""

    def __init__(self, store: Store, channel: MemoryChannel, clock: Clock | None = None) -> None:
        clock = clock or ManualClock(NOW)
        self.store = store
        self.channel = channel
        self.address = f"person-{next(_ids)}"
        self.service = ConversationService(
            store, FlowCatalog("mini"), response_time=RESPONSE, clock=clock
        )
        self.worker = DeliveryWorker(
            store,
            {channel.name: channel},
            DeliverySettings(backoff_initial_seconds=0.01),
            clock=clock,
            reveal=self.service.codes.reveal,
        )
        self.last: Handled | None = None

    async def send(self, message_id: str | None = None, **fields: Any) -> list[OutboundMessage]:
        before = len(self.channel.to(self.address))
        msg = InboundMessage(
            self.channel.name, self.address, message_id or f"m{next(_ids)}", **fields
        )
        self.last = await self.service.handle(msg)
        while await self.worker.run_once():
            pass
        return self.channel.to(self.address)[before:]

    async def complete_intake(self, municipality: str = "garbsen", account: str = "") -> Handled:
        await self.send(command="start", language="de")
        await self.send(choice="accept")
        await self.send(choice="no")
        await self.send(choice="this_week")
        await self.send(choice=municipality)
        await self.send(text=account or "Man hat mir die Wohnung nicht gegeben.")
        assert self.last is not None
        return self.last


@pytest.fixture
def channel() -> MemoryChannel:
    return MemoryChannel()


async def test_intake_reaches_the_right_team_queue_with_priority_inputs(
    office: Office, channel: MemoryChannel
) -> None:
    person = Person(office.store, channel)
    first = await person.send(command="start", language="de")
    assert first[-1].text == "Dürfen wir Ihre Angaben speichern?"
    assert [o.id for o in first[-1].choices] == ["accept", "decline"]

    await person.send(choice="accept")
    await person.send(choice="yes")  # in danger: the crisis resources come at once
    crisis = [m for m in channel.to(person.address) if m.kind == "crisis"]
    assert crisis
    assert "110" in crisis[0].text

    await person.send(choice="this_week")
    await person.send(choice="hannover")
    handover = await person.send(text="Der Vermieter hat mich abgewiesen.")
    assert person.last is not None
    assert person.last.case is not None
    assert person.last.owner == "queued"
    code = person.last.case.case_code
    assert code in handover[-1].text
    assert "in zwei Werktagen" in handover[-1].text

    async with office.store.tx() as tx:
        (entry,) = await cases.queue(tx)
    assert entry.team_id == "stadt"  # Hannover is routed to the city's team
    assert entry.crisis is True
    assert entry.incident_date == date(2026, 11, 19)
    assert entry.status == "waiting"
    async with office.store.tx() as tx:
        assert ("system", "case.created", entry.case_id, "team=stadt") in await audit.entries(tx)


async def test_bot_never_answers_after_handover(office: Office, channel: MemoryChannel) -> None:
    person = Person(office.store, channel)
    await person.complete_intake()
    replies = await person.send(text="Hallo, ist da jemand?")
    assert replies == []
    assert person.last is not None
    assert person.last.owner == "queued"
    replies = await person.send(command="restart")
    assert replies == []


async def test_a_repeated_client_message_id_is_processed_once(
    office: Office, channel: MemoryChannel
) -> None:
    person = Person(office.store, channel)
    await person.send(command="start", language="de")
    first = await person.send(message_id="same", choice="accept")
    again = await person.send(message_id="same", choice="accept")
    assert first
    assert again == []
    assert person.last is not None
    assert person.last.status == "duplicate"
    async with office.store.tx() as tx:
        lines = await tx.session.scalar(select(Message.seq).order_by(Message.seq.desc()).limit(1))
    # start + reply, accept + reply (the duplicate added nothing)
    assert lines == 4


async def test_counsellor_of_the_team_reads_answers_and_transcript(
    office: Office, channel: MemoryChannel
) -> None:
    person = Person(office.store, channel)
    handled = await person.complete_intake(account="Der Busfahrer hat mich beleidigt.")
    await person.send(text="Noch eine Nachricht nach der Übergabe.")
    assert handled.case is not None
    async with office.store.tx() as tx:
        session = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert session is not None
        private = await cases.private_key_for_team(tx, handled.case.case_id, session.team_keys)
        assert private is not None
        content = await cases.read(tx, handled.case.case_id, private)
    assert content.answers["municipality"] == "garbsen"
    assert content.answers["account"] == "Der Busfahrer hat mich beleidigt."
    texts = [line.body.get("text") for line in content.transcript]
    assert "Der Busfahrer hat mich beleidigt." in texts
    assert texts[-1] == "Noch eine Nachricht nach der Übergabe."
    assert [line.seq for line in content.transcript] == list(range(1, len(texts) + 1))


async def test_other_team_and_wrong_password_cannot_read(
    office: Office, channel: MemoryChannel
) -> None:
    handled = await Person(office.store, channel).complete_intake()  # region's case
    assert handled.case is not None
    async with office.store.tx() as tx:
        assert await teams.unlock(tx, "berater-region", "wrong password") is None
        other = await teams.unlock(tx, "berater-stadt", COUNSELLOR_PASSWORD)
        assert other is not None
        assert await cases.private_key_for_team(tx, handled.case.case_id, other.team_keys) is None


async def test_the_case_code_opens_the_case_however_it_is_typed(
    office: Office, channel: MemoryChannel
) -> None:
    handled = await Person(office.store, channel).complete_intake()
    assert handled.case is not None
    sloppy = handled.case.case_code.replace("-", " ").lower()
    async with office.store.tx() as tx:
        found = await cases.private_key_for_code(tx, sloppy)
        assert found is not None
        assert found[0] == handled.case.case_id
        assert (await cases.read(tx, found[0], found[1])).answers["municipality"] == "garbsen"
        assert await cases.private_key_for_code(tx, "AAAA-BBBB-CCCC") is None


async def test_server_key_alone_cannot_read_a_handed_over_case(
    office: Office, channel: MemoryChannel
) -> None:
    handled = await Person(office.store, channel).complete_intake()
    assert handled.case is not None
    keys = office.store.keys
    async with office.store.tx() as tx:
        rows = list(await tx.session.scalars(select(Message)))
        conv = (await tx.session.scalars(select(Conversation))).one()
        case = await tx.session.get_one(Case, handled.case.case_id)
    assert rows
    assert all(m.sealed for m in rows)
    assert conv.state_ct is None  # the bot-phase answers were wiped at handover
    for m in rows:
        with pytest.raises(CryptoError):
            keys.decrypt("message", m.body_ct, aad_for("message", m.conversation_id, m.seq))
    with pytest.raises(CryptoError):
        keys.decrypt("state", case.summary_ct, aad_for("state", conv.id))


async def _team_reader(store: Store, case_id: int) -> bytes:
    async with store.tx() as tx:
        session = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert session is not None
        key = await cases.private_key_for_team(tx, case_id, session.team_keys)
    assert key is not None
    return key


async def test_tampered_swapped_or_reordered_rows_are_detected(
    office: Office, channel: MemoryChannel
) -> None:
    first = await Person(office.store, channel).complete_intake()
    second = await Person(office.store, channel).complete_intake()
    assert first.case
    assert second.case
    key = await _team_reader(office.store, first.case.case_id)

    async def read() -> None:
        async with office.store.tx() as tx:
            await cases.read(tx, first.case.case_id, key)  # type: ignore[union-attr]

    async def rows_of(conv_id: int | None) -> list[Message]:
        async with office.store.tx() as tx:
            return list(
                await tx.session.scalars(
                    select(Message).where(Message.conversation_id == conv_id).order_by(Message.seq)
                )
            )

    await read()  # untouched: fine
    mine, theirs = await rows_of(first.conversation_id), await rows_of(second.conversation_id)

    async def set_body(row_id: int, body: bytes) -> None:
        async with office.store.tx() as tx:
            await tx.session.execute(
                update(Message).where(Message.id == row_id).values(body_ct=body)
            )

    # Reordered: two lines of the same case exchange places.
    await set_body(mine[0].id, mine[1].body_ct)
    await set_body(mine[1].id, mine[0].body_ct)
    with pytest.raises(CryptoError):
        await read()
    await set_body(mine[0].id, mine[0].body_ct)
    await set_body(mine[1].id, mine[1].body_ct)
    await read()

    # Swapped in from another case at the same position.
    await set_body(mine[2].id, theirs[2].body_ct)
    with pytest.raises(CryptoError):
        await read()
    await set_body(mine[2].id, mine[2].body_ct)

    # One flipped bit.
    flipped = bytearray(mine[3].body_ct)
    flipped[-1] ^= 1
    await set_body(mine[3].id, bytes(flipped))
    with pytest.raises(CryptoError):
        await read()


async def test_deleting_a_case_leaves_nothing_that_decrypts(
    office: Office, channel: MemoryChannel
) -> None:
    person = Person(office.store, channel)
    handled = await person.complete_intake()
    assert handled.case is not None
    case_id, code = handled.case.case_id, handled.case.case_code
    async with office.store.tx() as tx:
        backup = [(m.seq, m.body_ct) for m in await tx.session.scalars(select(Message))]
        team_wrap = (
            await tx.session.scalars(select(CaseKeyWrap).where(CaseKeyWrap.kind == "team"))
        ).one()
        team_wrap_backup = (team_wrap.wrapped, team_wrap.team_key_id)

    async with office.store.tx() as tx:
        await cases.delete_case(tx, case_id)

    async with office.store.tx() as tx:
        for table in ("cases", "case_key_wraps", "messages", "conversations", "contacts", "outbox"):
            count = await tx.session.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608
            assert count == 0, table
        assert await cases.private_key_for_code(tx, code) is None
    # Even holding the team's keys and an old backup of the rows: the case key is gone, and
    # without it no line opens (each line is sealed to the deleted case key only).
    async with office.store.tx() as tx:
        session = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
    assert session is not None
    assert team_wrap_backup[1] in session.team_keys
    assert backup
    assert all(len(body) > 60 for _, body in backup)


async def test_messages_of_one_person_sent_at_once_are_all_kept_in_order(
    office: Office, channel: MemoryChannel
) -> None:
    person = Person(office.store, channel)
    await person.complete_intake()
    service = person.service
    msgs = [
        InboundMessage(channel.name, person.address, f"burst-{i}", text=f"Nachricht {i}")
        for i in range(8)
    ]
    results = await asyncio.gather(*(service.handle(m) for m in msgs))
    assert all(r.status == "processed" for r in results)
    assert len(service.locks) == 0  # no lock left behind
    key = await _team_reader(office.store, person.last.case.case_id)  # type: ignore[union-attr]
    async with office.store.tx() as tx:
        content = await cases.read(tx, person.last.case.case_id, key)  # type: ignore[union-attr]
    burst = [line.body["text"] for line in content.transcript if "Nachricht" in str(line.body)]
    assert sorted(burst) == sorted(f"Nachricht {i}" for i in range(8))
    seqs = [line.seq for line in content.transcript]
    assert seqs == sorted(set(seqs))


async def test_many_people_at_once(office: Office, channel: MemoryChannel) -> None:
    people = [Person(office.store, channel) for _ in range(6)]
    await asyncio.gather(*(p.complete_intake() for p in people))
    async with office.store.tx() as tx:
        queue = await cases.queue(tx)
    assert len(queue) == 6


async def test_replies_wait_for_a_failing_channel_and_arrive_in_order(
    office: Office, channel: MemoryChannel
) -> None:
    person = Person(office.store, channel, clock=SystemClock())
    channel.failures_left = 3
    await person.service.handle(
        InboundMessage(channel.name, person.address, "a", command="start", language="de")
    )
    await person.service.handle(InboundMessage(channel.name, person.address, "b", choice="accept"))
    for _ in range(200):
        await person.worker.run_once()
        if len(channel.to(person.address)) == 2:
            break
        await asyncio.sleep(0.02)
    texts = [m.text for m in channel.to(person.address)]
    assert texts == ["Dürfen wir Ihre Angaben speichern?", "Sind Sie jetzt in Gefahr?"]
    async with office.store.tx() as tx:
        assert await tx.session.scalar(select(OutboxItem.id)) is None


async def test_an_unreachable_person_is_marked_and_nothing_is_retried(
    office: Office, channel: MemoryChannel
) -> None:
    person = Person(office.store, channel)
    channel.unreachable.add(person.address)
    await person.send(command="start", language="de")
    async with office.store.tx() as tx:
        contact = (await tx.session.scalars(select(Contact))).one()
        assert contact.unreachable
        assert await tx.session.scalar(select(OutboxItem.id)) is None


async def test_writing_after_a_closed_case_starts_a_new_conversation_linked_to_it(
    office: Office, channel: MemoryChannel
) -> None:
    person = Person(office.store, channel)
    handled = await person.complete_intake()
    assert handled.case is not None
    assert handled.conversation_id is not None
    async with office.store.tx() as tx:
        assert await conversations.set_owner(tx, handled.conversation_id, "queued", "counsellor")
        assert not await conversations.set_owner(tx, handled.conversation_id, "queued", "closed")
        assert await conversations.set_owner(tx, handled.conversation_id, "counsellor", "closed")
    replies = await person.send(text="Hallo, ich bin es wieder.")
    assert replies
    assert replies[-1].text == "Dürfen wir Ihre Angaben speichern?"
    async with office.store.tx() as tx:
        new = await conversations.get(tx, person.last.conversation_id)  # type: ignore[union-attr, arg-type]
    assert new.previous_case_id == handled.case.case_id
    assert new.owner == "bot"


async def test_declining_consent_ends_without_a_case(
    office: Office, channel: MemoryChannel
) -> None:
    person = Person(office.store, channel)
    await person.send(command="start", language="en")
    replies = await person.send(choice="decline")
    assert replies[-1].text == "A pity. Goodbye."
    assert person.last is not None
    assert person.last.owner == "closed"
    async with office.store.tx() as tx:
        assert await cases.queue(tx) == []


async def test_idle_bot_conversations_are_closed_and_their_answers_wiped(
    office: Office, channel: MemoryChannel
) -> None:
    person = Person(office.store, channel)
    await person.send(command="start", language="de")
    await person.send(choice="accept")
    later = NOW + timedelta(hours=80)
    async with office.store.tx(later) as tx:
        assert await conversations.expire_idle(tx, timedelta(hours=72)) == 1
    async with office.store.tx() as tx:
        # Answers, transcript and even the channel address are gone.
        assert await tx.session.scalar(select(Conversation.id)) is None
        assert await tx.session.scalar(select(Message.id)) is None
        assert await tx.session.scalar(select(Contact.id)) is None


async def test_history_of_the_bot_phase_and_of_a_handed_over_case(
    office: Office, channel: MemoryChannel
) -> None:
    person = Person(office.store, channel)
    token = b"t" * 32
    service = person.service
    assert (await service.history(channel.name, person.address, token)).owner is None
    await person.send(command="start", language="de")
    await person.send(choice="accept")
    early = await service.history(channel.name, person.address, None)
    assert early.owner == "bot"
    assert [line.sender for line in early.lines] == ["person", "bot", "person", "bot"]
    assert early.lines[2].body == {"choice": "accept", "label": "Ja"}
    assert early.lines[-1].body["choices"] == [["yes", "Ja"], ["no", "Nein"]]

    msg = InboundMessage(channel.name, person.address, "x1", choice="no", session_token=token)
    await service.handle(msg)
    await person.send(choice="today")
    await person.send(choice="garbsen")
    done = await service.handle(
        InboundMessage(channel.name, person.address, "x2", text="Bericht", session_token=token)
    )
    assert done.case is not None
    later = await service.history(channel.name, person.address, token)
    assert later.owner == "queued" and later.readable
    assert any(line.body.get("case_code") == done.case.case_code for line in later.lines)
    stranger = await service.history(channel.name, person.address, b"u" * 32)
    assert not stranger.readable and stranger.lines == ()


async def test_resume_with_the_case_code_moves_the_case_to_the_new_device(
    office: Office, channel: MemoryChannel
) -> None:
    first_device = Person(office.store, channel)
    done = await first_device.complete_intake(account="Auf dem alten Gerät geschrieben.")
    assert done.case is not None
    service = first_device.service
    new_address, new_token = "new-device", b"n" * 32
    # The new device had started a fresh conversation before the person typed the code.
    await service.handle(InboundMessage(channel.name, new_address, "n1", command="start"))

    assert (
        await service.resume_with_code(channel.name, new_address, new_token, "AAAA-BBBB-CCCC")
        is None
    )
    resumed = await service.resume_with_code(
        channel.name, new_address, new_token, done.case.case_code.lower()
    )
    assert resumed is not None and resumed.case_id == done.case.case_id
    assert any(
        line.body.get("text") == "Auf dem alten Gerät geschrieben." for line in resumed.lines
    )
    again = await service.history(channel.name, new_address, new_token)
    assert again.readable and again.case_id == done.case.case_id
    # The old device no longer reaches the case; new messages from the new one go to it.
    assert (await service.history(channel.name, first_device.address, None)).owner is None
    await service.handle(InboundMessage(channel.name, new_address, "n2", text="Ich bin zurück."))
    final = await service.history(channel.name, new_address, new_token)
    assert final.lines[-1].body == {"text": "Ich bin zurück."}


async def test_forget_deletes_everything_of_the_person(
    office: Office, channel: MemoryChannel
) -> None:
    person = Person(office.store, channel)
    done = await person.complete_intake()
    assert done.case is not None
    assert await person.service.forget(channel.name, person.address) == 1
    async with office.store.tx() as tx:
        assert await cases.queue(tx) == []
        assert await tx.session.scalar(select(Contact.id)) is None
        assert await tx.session.scalar(select(Message.id)) is None
        assert await cases.private_key_for_code(tx, done.case.case_code) is None
