"""Claiming, replying to and closing cases, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.channels.memory import MemoryChannel
from bot.office import housekeeping
from storage import audit, cases, stats, teams
from storage.models import Counsellor
from tests.conftest import COUNSELLOR_PASSWORD, Office
from tests.integration.test_conversation import Person


async def _counsellor_ids(office: Office) -> list[int]:
    async with office.store.tx() as tx:
        second_keys = await teams.unlock_with_recovery_key(tx, "region", office.recovery["region"])
        await teams.add_counsellor(
            tx,
            "zweite-region",
            await teams.new_password(COUNSELLOR_PASSWORD, tx.kdf),
            role="counsellor",
            teams={"region": second_keys},
        )
        rows = await tx.session.scalars(
            select(Counsellor.id).where(
                Counsellor.username.in_(["berater-region", "zweite-region"])
            )
        )
        return sorted(rows)


async def test_of_two_simultaneous_claims_exactly_one_wins(office: Office) -> None:
    channel = MemoryChannel()
    handled = await Person(office.store, channel).complete_intake()
    assert handled.case is not None
    first, second = await _counsellor_ids(office)

    async def claim(counsellor_id: int) -> bool:
        async with office.store.tx() as tx:
            return await cases.claim(tx, handled.case.case_id, counsellor_id)  # type: ignore[union-attr]

    for _ in range(3):  # a few rounds, in case the first is decided by scheduling luck
        results = await asyncio.gather(claim(first), claim(second))
        assert sorted(results) == [False, True]
        winner = first if results[0] else second
        async with office.store.tx() as tx:
            (entry,) = await cases.queue(tx)
            assert entry.status == "claimed" and entry.claimed_by == winner
            assert await cases.release(tx, entry.case_id, winner)
            assert not await cases.release(tx, entry.case_id, winner)


async def test_a_counsellor_reply_reaches_the_person_and_the_answer_goes_to_the_case(
    office: Office,
) -> None:
    channel = MemoryChannel()
    person = Person(office.store, channel)
    handled = await person.complete_intake()
    assert handled.case is not None
    case_id = handled.case.case_id
    first, second = await _counsellor_ids(office)
    service = person.service
    assert await service.counsellor_reply(case_id, first, "Noch nicht geclaimt") is None
    async with office.store.tx() as tx:
        assert await cases.claim(tx, case_id, first)
    assert await service.counsellor_reply(case_id, second, "Nicht mein Fall") is None
    seq = await service.counsellor_reply(case_id, first, "Guten Tag, ich bin Frau M.")
    assert seq is not None
    while await person.worker.run_once():
        pass
    last = channel.to(person.address)[-1]
    assert (last.sender, last.text, last.seq) == ("counsellor", "Guten Tag, ich bin Frau M.", seq)

    replies = await person.send(text="Danke, ich möchte einen Termin.")
    assert replies == []  # the bot stays silent; the counsellor answers
    async with office.store.tx() as tx:
        session = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert session is not None
        key = await cases.private_key_for_team(tx, case_id, session.team_keys)
        assert key is not None
        content = await cases.read(tx, case_id, key)
    tail = [(line.sender, line.body.get("text")) for line in content.transcript[-2:]]
    assert tail == [
        ("counsellor", "Guten Tag, ich bin Frau M."),
        ("person", "Danke, ich möchte einen Termin."),
    ]

    async with office.store.tx() as tx:
        assert not await cases.close(tx, case_id, second)
        assert await cases.close(tx, case_id, first)
        assert await cases.queue(tx) == []
    assert await service.counsellor_reply(case_id, first, "Nach dem Schluss") is None
    # Writing after the case was closed reopens it for its team, and the person is told.
    replies = await person.send(text="Hallo?")
    assert replies and replies[-1].sender == "bot"
    async with office.store.tx() as tx:
        assert [e.case_id for e in await cases.queue(tx)] == [case_id]


async def test_a_closed_case_is_shredded_after_the_retention_period(office: Office) -> None:
    channel = MemoryChannel()
    person = Person(office.store, channel)
    handled = await person.complete_intake()
    assert handled.case is not None
    first, _ = await _counsellor_ids(office)
    async with office.store.tx() as tx:
        assert await cases.claim(tx, handled.case.case_id, first)
        assert await cases.close(tx, handled.case.case_id, first)
        await stats.count(tx, "2026-11", {"cases": ["closed"]})
    closed_at = datetime.now(UTC)

    early = await housekeeping.sweep(
        office.store, idle_hours=72, retention_days=90, now=closed_at + timedelta(days=89)
    )
    assert early.deleted_cases == 0
    late = await housekeeping.sweep(
        office.store, idle_hours=72, retention_days=90, now=closed_at + timedelta(days=91)
    )
    assert late.deleted_cases == 1
    async with office.store.tx() as tx:
        assert await cases.entry(tx, handled.case.case_id) is None
        assert await cases.private_key_for_code(tx, handled.case.case_code) is None
        assert ("system", "case.deleted", handled.case.case_id, "retention") in await audit.entries(
            tx
        )
        assert [r.count for r in await stats.table(tx)] == [1]  # the anonymous count stays
