"""The danger path in Telegram (shipped intake, Bot API emulator): the crisis numbers with the
choice of a person now, one tap to a crisis case in the queue, and a typed date kept."""

from __future__ import annotations

from collections.abc import Callable

from storage import cases
from tests.telegram.conftest import MakeTelegram
from tests.telegram.harness import Person


async def test_one_tap_in_danger_reaches_the_queue_and_the_questions_wait(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram("intake")
    anna = person(language_code="de")
    await anna.command("/start")
    await anna.tap(await anna.prompt(), "c:de")
    await anna.tap(await anna.prompt(), "c:accept")
    danger = await anna.prompt()
    assert danger.text.startswith("Sind Sie gerade jetzt in Gefahr?")
    await anna.tap(danger, "c:yes")
    crisis = await anna.prompt()
    assert "Polizei: 110" in crisis.text and "0800 111 0 111" in crisis.text
    assert crisis.data == ["c:talk_now", "c:go_on"]
    assert await anna.quiet() == []  # "Wann ist es passiert?" waits for the person's choice

    await anna.tap(crisis, "c:talk_now")
    told = await anna.prompt()
    assert "Fall-Code" in told.text and told.data[0] == "c:go_on"
    async with tg.office.store.read() as tx:
        [entry] = await cases.queue(tx)
    assert (entry.channel, entry.team_id, entry.crisis) == ("telegram", "region", True)

    # Going on: Telegram keeps the typed date, and the same case gets it.
    await anna.tap(told, "c:go_on")
    when = await anna.prompt()
    assert when.text.startswith("Wann ist es passiert?")
    await anna.say("10.01.2025")
    area = await anna.prompt()
    assert area.text.startswith("In welchem Bereich")
    async with tg.office.store.read() as tx:
        assert [e.case_id for e in await cases.queue(tx)] == [entry.case_id]
