"""A counsellor marks a person's messages as abuse: what they send is kept (sealed to the
case) but held out of the queue, unseen by counsellors, unanswered and not announced; an
admin reads it and lifts the hold. Real app and store, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.base import SlowDown
from bot.clock import ManualClock
from bot.conversation.held import HELD_BURST, HELD_INTERVAL
from bot.delivery.worker import DeliveryWorker
from storage import audit, cases, teams
from tests.integration.test_console import (
    Console_,
    _id_of,
    _page,
    _post,
    intake,
    session_of,
)


async def _admin_in_region(env: Console_) -> tuple[str, str]:
    async with env.office.store.tx(env.clock()) as tx:
        admin_id = await _id_of(tx, "admin")
        keys = await teams.unlock_with_recovery_key(tx, "region", env.office.recovery["region"])
        assert await teams.add_member(tx, "region", admin_id, keys)
    return await session_of(env, "admin")


async def _told(
    env: Console_,
    address: str,
    *,
    before: int,
    containing: str,
    worker: DeliveryWorker | None = None,
) -> str:
    """The first text sent to `address` after its `before`-th that contains `containing`."""
    for _ in range(200):
        for message in env.channel.to(address)[before:]:
            if containing in message.text:
                return message.text
        await asyncio.sleep(0.05)
        if worker is not None:
            while await worker.run_once():
                pass
    raise AssertionError(f"nothing with {containing!r} reached {address}")


async def test_held_messages_reach_no_queue_and_only_admins_read_them(env: Console_) -> None:
    person, case_id = await intake(env.office, env.channel)
    counsellor = await session_of(env, "berater-region")
    admin = await _admin_in_region(env)

    # The tick and a reason are needed; a counsellor of the team may do it.
    where = await _post(
        env, counsellor, f"/console/cases/{case_id}/block", reason="hate", confirm=""
    )
    assert "notice=unconfirmed" in where
    where = await _post(env, counsellor, f"/console/cases/{case_id}/block", reason="")
    assert "notice=block_reason" in where
    where = await _post(
        env, counsellor, f"/console/cases/{case_id}/block", reason="hate", confirm="yes"
    )
    assert "notice=blocked" in where
    _, page = await _page(env, counsellor, f"/console/cases/{case_id}")
    assert 'id="blocked"' in page

    # The person writes on: stored, unanswered, nobody nudged, the case unchanged.
    nudges: list[None] = []
    person.service.on_activity = lambda: nudges.append(None)
    replies = await person.send(text="Ihr seid alle ... (Drohung)")
    assert replies == [] and nudges == []
    _, page = await _page(env, counsellor, f"/console/cases/{case_id}")
    assert "(Drohung)" not in page
    assert "1 Nachricht der Person zurückgehalten" in page
    _, page = await _page(env, admin, f"/console/cases/{case_id}")
    assert "(Drohung)" in page and "zurückgehalten (Missbrauch)" in page

    # Closed, the case stays closed when they write again: no reopening, no queue.
    await _post(env, counsellor, f"/console/cases/{case_id}/claim")
    await _post(
        env,
        counsellor,
        f"/console/cases/{case_id}/close",
        confirm="yes",
        outcome="no_contact",
        grounds="racism",
        life_area="housing",
    )
    async with env.office.store.read() as tx:
        assert (await cases.entry(tx, case_id)).status == "closed"  # type: ignore[union-attr]
    # The ordinary close notice (nothing in it tells of the hold), delivered by the app's
    # own worker, whose clock the close used: wait for it so it cannot land in what follows.
    closed = await _told(env, person.address, before=0, containing="abgeschlossen")
    assert "zurückgehalten" not in closed and "Missbrauch" not in closed
    assert await person.send(text="Noch einmal.") == []
    async with env.office.store.read() as tx:
        assert (await cases.entry(tx, case_id)).status == "closed"  # type: ignore[union-attr]
        assert [e.case_id for e in await cases.queue(tx)] == []

    # Only an admin lifts it; then a message reopens the case as for anyone.
    assert "notice=admins_only" in await _post(
        env, counsellor, f"/console/cases/{case_id}/unblock", confirm="yes"
    )
    _, office = await _page(env, admin, "/console/office")
    assert f'href="/console/cases/{case_id}"' in office
    assert "notice=unblocked" in await _post(
        env, admin, f"/console/cases/{case_id}/unblock", confirm="yes"
    )
    before = len(env.channel.to(person.address))
    await person.send(text="Entschuldigung, ich brauche doch Hilfe.")
    assert person.last is not None and person.last.owner == "queued", person.last
    await _told(env, person.address, before=before, containing="wieder", worker=person.worker)
    async with env.office.store.read() as tx:
        assert (await cases.entry(tx, case_id)).status == "waiting"  # type: ignore[union-attr]
        logged = [(e[1], e[2], e[3]) for e in await audit.entries(tx)]
    assert ("contact.blocked", case_id, "hate") in logged
    assert any(a == "contact.unblocked" and c == case_id for a, c, _ in logged)


async def test_a_held_sender_may_send_only_a_few_messages_and_is_asked_to_wait(
    env: Console_,
) -> None:
    clock = ManualClock(env.clock())
    person, case_id = await intake(env.office, env.channel, clock=clock)
    counsellor = await session_of(env, "berater-region")
    await _post(env, counsellor, f"/console/cases/{case_id}/block", reason="spam", confirm="yes")

    for i in range(HELD_BURST):
        assert await person.send(text=f"Spam {i}") == []
    with pytest.raises(SlowDown):
        await person.send("flood-1", text="Spam, noch mehr")
    admin = await _admin_in_region(env)
    _, page = await _page(env, admin, f"/console/cases/{case_id}")
    assert page.count("Spam ") == HELD_BURST and "noch mehr" not in page  # nothing stored

    # The limit refills slowly; the refused message, sent again with its id, is then kept.
    clock.advance(seconds=HELD_INTERVAL)
    await person.send("flood-1", text="Spam, noch mehr")
    _, page = await _page(env, admin, f"/console/cases/{case_id}")
    assert "noch mehr" in page
    with pytest.raises(SlowDown):
        await person.send(text="Und noch eine")

    # Someone not held is not limited by this.
    other, _ = await intake(env.office, env.channel, clock=clock)
    for i in range(HELD_BURST + 2):
        await other.send(text=f"Nachricht {i}")
