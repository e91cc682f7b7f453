"""Delivery to Telegram loses nothing: flood control (429 retry_after) is honoured, network
errors and 5xx are retried with backoff, and a person who blocked the bot is marked
unreachable, which the counsellor sees in the console. Failures are Telegram's real error
answers, injected at the wire by the proxy."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pyotp

from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from bot.keys import CLOCK, CONSOLE, SERVICE
from storage import cases, teams
from tests.conftest import COUNSELLOR_PASSWORD
from tests.integration.test_console import Console_, _id_of, session_of
from tests.telegram.conftest import MakeTelegram, Telegram
from tests.telegram.harness import Person, blocked, server_error, too_many_requests


async def _sends_after(tg: Telegram, since: int) -> list[tuple[float, int | None]]:
    return [(c.at, c.fault) for c in tg.proxy.called("sendMessage")[since:]]


async def test_flood_control_retry_after_is_honoured(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram()
    anna = person()
    await anna.command("/start")
    consent = await anna.prompt()
    before = len(tg.proxy.called("sendMessage"))
    tg.proxy.fail("sendMessage", too_many_requests(1))
    await anna.tap(consent, "c:accept")
    danger = await anna.prompt()
    assert danger.text == "Sind Sie jetzt in Gefahr?"
    (refused, refused_fault), (sent, sent_fault) = (await _sends_after(tg, before))[:2]
    assert refused_fault == 429 and sent_fault is None
    assert sent - refused >= 0.9  # waited the second Telegram asked for


async def test_server_errors_are_retried_with_backoff(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram()
    anna = person()
    await anna.command("/start")
    consent = await anna.prompt()
    before = len(tg.proxy.called("sendMessage"))
    tg.proxy.fail("sendMessage", server_error(500), server_error(502))
    await anna.tap(consent, "c:accept")
    danger = await anna.prompt()
    assert danger.text == "Sind Sie jetzt in Gefahr?"
    attempts = await _sends_after(tg, before)
    assert [fault for _, fault in attempts[:3]] == [500, 502, None]
    assert len(anna.received) == len({m.message_id for m in anna.received})  # no duplicates


async def _handover(tg: Telegram, anna: Person) -> int:
    await anna.command("/start")
    for data in ("c:accept", "c:no", "c:today", "c:garbsen"):
        await anna.tap(await anna.prompt(), data)
    await anna.prompt()
    await anna.say("Man hat mich nicht bedient.")
    await anna.next(lambda m: "Fall-Code" in m.text)
    async with tg.office.store.read() as tx:
        (entry,) = await cases.queue(tx)
    return entry.case_id


async def test_a_person_who_blocked_the_bot_is_shown_unreachable_to_the_counsellor(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram()
    anna = person()
    case_id = await _handover(tg, anna)
    # The counsellor logs in to the console (password and second factor) and claims the case.
    env = Console_(
        tg.client,
        tg.app[CONSOLE],
        ManualClock(tg.app[CLOCK]() - timedelta(seconds=31)),
        MemoryChannel(),
        tg.office,
    )

    async def no_sleep(seconds: float) -> None:
        env.delays.append(seconds)

    env.console.sleep = no_sleep
    async with tg.office.store.tx() as tx:
        cid = await _id_of(tx, "berater-region")
        env.secrets["berater-region"] = pyotp.random_base32()
        await teams.set_totp_secret(tx, cid, env.secrets["berater-region"])
    sid, _csrf = await session_of(env, "berater-region")
    cookie = {"Cookie": f"console={sid}"}
    async with tg.office.store.tx() as tx:
        assert await cases.claim(tx, case_id, cid)
    page = await (await tg.client.get(f"/console/cases/{case_id}", headers=cookie)).text()
    assert "nicht erreichbar" not in page

    tg.proxy.fail("sendMessage", blocked())
    assert await tg.app[SERVICE].counsellor_reply(case_id, cid, "Sind Sie noch da?") is not None
    for _ in range(100):
        async with tg.office.store.read() as tx:
            if await cases.contact_unreachable(tx, case_id):
                break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the contact was not marked unreachable")
    page = await (await tg.client.get(f"/console/cases/{case_id}", headers=cookie)).text()
    assert 'id="unreachable"' in page and "blockiert" in page
    assert await anna.quiet(0.3) == []  # nothing reached the person, nothing is retried

    # Writing again shows they are back: the mark goes.
    await anna.say("Ich habe den Bot wieder freigegeben.")
    for _ in range(100):
        async with tg.office.store.read() as tx:
            if not await cases.contact_unreachable(tx, case_id):
                break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the mark stayed")
    assert COUNSELLOR_PASSWORD not in page
