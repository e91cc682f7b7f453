"""While the case waits in the queue (Bot API emulator): a person who writes is told, once
and labelled as automatic, that their message arrived and is kept for the counsellor; danger
still brings the crisis numbers; every line reaches the case."""

from __future__ import annotations

from collections.abc import Callable

from bot.channels import telegram_texts as texts
from storage import cases, teams
from tests.conftest import COUNSELLOR_PASSWORD
from tests.telegram.conftest import MakeTelegram
from tests.telegram.harness import Person
from tests.telegram.test_telegram_live import intake, the_only_case


async def test_a_waiting_person_is_told_once_that_their_message_arrived(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram("intake")
    anna = person(language_code="de")
    await intake(anna)

    await anna.say("Hallo, ist da jemand?")
    told = await anna.next()
    assert told.text == texts.text("received", "de")
    assert told.raw.startswith(texts.text("bot", "de"))  # "Automatische Antwort:"
    assert "Polizei 110" in told.text
    await anna.say("Ich warte dann.")
    assert await anna.quiet(1.0) == []  # a second line soon after: no second notice

    await anna.say("Er hat gesagt, er will mich umbringen.")
    crisis = await anna.next(lambda m: "110" in m.text)
    assert "0800 111 0 111" in crisis.text
    assert [m.text for m in await anna.quiet(1.0)] == []  # told a moment ago: not again

    content = await the_only_case(tg)
    mine = [str(x.body.get("text")) for x in content.transcript if x.sender == "person"]
    assert mine[-3:] == [
        "Hallo, ist da jemand?",
        "Ich warte dann.",
        "Er hat gesagt, er will mich umbringen.",
    ]
    bot = [str(x.body.get("text")) for x in content.transcript if x.sender == "bot"]
    assert any("0800 111 0 111" in t for t in bot)  # the counsellor sees what was said
    async with tg.office.store.read() as tx:
        (entry,) = await cases.queue(tx)
    assert entry.crisis


async def test_no_notice_once_a_counsellor_has_the_case(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram("intake")
    anna = person(language_code="de")
    await intake(anna)
    async with tg.office.store.tx() as tx:
        (entry,) = await cases.queue(tx)
        keys = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert keys is not None
        assert await cases.claim(tx, entry.case_id, keys.counsellor_id)
    await anna.say("Sind Sie da?")
    assert await anna.quiet(1.0) == []  # a person answers now, not the program
    async with tg.office.store.read() as tx:
        key = await cases.private_key_for_team(tx, entry.case_id, keys.team_keys)
        assert key is not None
        content = await cases.read(tx, entry.case_id, key)
    assert content.transcript[-1].body.get("text") == "Sind Sie da?"
