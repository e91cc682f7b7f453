"""Nothing a person writes is lost, whoever owns their conversation: on SQLite and PostgreSQL,
for every owner state (bot, queued, counsellor, closed, deleted by retention) and every kind
of inbound message (text, choice, command), the message lands in exactly one place that a
counsellor can read (an open case of the queue) or in a bot turn that answers it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.memory import MemoryChannel
from bot.conversation import case_texts
from bot.office import housekeeping
from storage import audit, cases, conversations, teams
from storage.models import Case, Conversation, Counsellor
from tests.conftest import COUNSELLOR_PASSWORD, Office
from tests.integration.test_conversation import NOW, Person

STATES = ("bot", "queued", "counsellor", "closed", "deleted")
MESSAGES: dict[str, dict[str, Any]] = {
    "text": {"text": "Ich bin es noch einmal, ist da jemand?"},
    "choice": {"choice": "no"},
    "start": {"command": "start", "language": "de"},
    "restart": {"command": "restart"},
}
LATER = NOW + timedelta(days=400)
"""After the retention period of a case closed at NOW."""


async def _counsellor(office: Office) -> int:
    async with office.store.tx(NOW) as tx:
        found = await tx.session.scalar(
            select(Counsellor.id).where(Counsellor.username == "berater-region")
        )
    assert found is not None
    return int(found)


async def _close(office: Office, person: Person, case_id: int, counsellor: int) -> None:
    """What the console's close does: the close and the person's notice in one transaction."""
    async with office.store.tx(NOW) as tx:
        assert await cases.close(tx, case_id, counsellor)
        assert await person.service.close_notice(tx, case_id)
    await _flush(person)


async def _flush(person: Person) -> None:
    while await person.worker.run_once():
        pass


async def _bring_to(office: Office, person: Person, state: str) -> int | None:
    """Put the person's conversation into `state`; the case id when one was created."""
    await person.send(command="start", language="de")
    await person.send(choice="accept")
    if state == "bot":
        return None
    handled = await person.complete_intake()
    assert handled.case is not None
    case_id = handled.case.case_id
    if state == "queued":
        return case_id
    counsellor = await _counsellor(office)
    async with office.store.tx(NOW) as tx:
        assert await cases.claim(tx, case_id, counsellor)
    if state == "counsellor":
        return case_id
    await _close(office, person, case_id, counsellor)
    if state == "deleted":
        swept = await housekeeping.sweep(office.store, idle_hours=1, retention_days=365, now=LATER)
        assert swept.deleted_cases == 1
    return case_id


async def _places(office: Office, body: dict[str, Any]) -> list[tuple[str, int, str]]:
    """Every place holding a person's line equal to `body`, once per line: (kind, id, state)
    for cases (read with the team key, as a counsellor would) and bot-phase conversations."""
    found: list[tuple[str, int, str]] = []
    async with office.store.tx(NOW) as tx:
        session = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert session is not None
        for case_id, status in (await tx.session.execute(select(Case.id, Case.status))).all():
            key = await cases.private_key_for_team(tx, case_id, session.team_keys)
            assert key is not None
            for line in (await cases.read(tx, case_id, key)).transcript:
                if line.sender == "person" and _same(line.body, body):
                    found.append(("case", case_id, status))
        unhanded = await tx.session.execute(
            select(Conversation.id, Conversation.owner).where(Conversation.case_id.is_(None))
        )
        for conv_id, owner in unhanded.all():
            for line in await conversations.bot_phase_lines(tx, conv_id):
                if line.sender == "person" and _same(line.body, body):
                    found.append(("bot", conv_id, owner))
    return found


def _same(stored: dict[str, Any], sent: dict[str, Any]) -> bool:
    keys = ("text", "choice", "command")
    return all(stored.get(k) == sent.get(k) for k in keys)


@pytest.mark.parametrize("kind", list(MESSAGES))
@pytest.mark.parametrize("state", STATES)
async def test_every_message_in_every_owner_state_lands_in_exactly_one_place(
    office: Office, state: str, kind: str
) -> None:
    person = Person(office.store, MemoryChannel())
    case_id = await _bring_to(office, person, state)
    sent = MESSAGES[kind]
    before = await _places(office, sent)

    replies = await person.send(**sent)

    after = await _places(office, sent)
    added = [p for p in set(after) for _ in range(after.count(p) - before.count(p))]
    assert len(added) == 1, (before, after)
    assert all(after.count(p) >= before.count(p) for p in set(before))  # nothing went
    ((where, _id, status),) = added
    if where == "case":
        assert status in ("waiting", "claimed")  # in the queue, where a counsellor reads it
    else:
        assert status == "bot"
        assert any(r.sender == "bot" for r in replies)  # the bot answered it
    if state == "closed" and kind == "text":
        assert (where, _id) == ("case", case_id)
        assert [r.text for r in replies] == [case_texts.text("reopened", "de")]


async def test_a_text_after_close_reopens_the_case_for_its_team_and_the_person_is_told(
    office: Office,
) -> None:
    channel = MemoryChannel()
    person = Person(office.store, channel)
    case_id = await _bring_to(office, person, "closed")
    assert case_id is not None
    told = channel.to(person.address)[-1]
    assert told.text == case_texts.text("closed", "de")

    replies = await person.send(text="Es ist wieder passiert.")

    assert [r.text for r in replies] == [case_texts.text("reopened", "de")]
    async with office.store.tx(NOW) as tx:
        (entry,) = await cases.queue(tx, ["region"])
        assert (entry.case_id, entry.status, entry.claimed_by) == (case_id, "waiting", None)
        assert await audit.reopened(tx, [case_id]) == {case_id}
        assert ("person", "case.reopened", case_id, "") in await audit.entries(tx)
        # No longer closed: the retention period does not delete a reopened case.
        assert await cases.closed_before(tx, LATER) == []
    # The reopened case works like any other: claimed, answered, closed again.
    counsellor = await _counsellor(office)
    async with office.store.tx(NOW) as tx:
        assert await cases.claim(tx, case_id, counsellor)
    assert await person.service.counsellor_reply(case_id, counsellor, "Ich bin wieder da.")
    await _flush(person)
    assert channel.to(person.address)[-1].text == "Ich bin wieder da."


async def test_a_button_after_close_starts_a_new_conversation_linked_to_the_closed_case(
    office: Office,
) -> None:
    person = Person(office.store, MemoryChannel())
    case_id = await _bring_to(office, person, "closed")

    replies = await person.send(choice="no")  # an old button of the intake, pressed late

    assert replies[0].text == case_texts.text("new_after_close", "de")
    assert replies[-1].kind == "prompt"  # the bot answers: the intake starts again
    async with office.store.tx(NOW) as tx:
        assert await cases.queue(tx) == []  # the closed case stays closed
        contact = await tx.session.scalar(
            select(Conversation.contact_id).where(Conversation.case_id == case_id)
        )
        assert contact is not None
        latest = await conversations.latest_for(tx, contact)
    assert latest is not None and latest.owner == "bot"
    assert latest.previous_case_id == case_id


async def test_after_deletion_by_retention_a_message_starts_a_new_conversation_and_says_so(
    office: Office,
) -> None:
    person = Person(office.store, MemoryChannel())
    await _bring_to(office, person, "deleted")

    replies = await person.send(text="Hallo, ich hatte Ihnen früher geschrieben.")

    assert replies[0].text == case_texts.text("new_conversation", "de")
    assert replies[-1].kind == "prompt"
