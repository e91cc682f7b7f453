"""Old buttons in Telegram (shipped intake, Bot API emulator): the keyboard of a question
answered by typing goes, and a button of an earlier question never answers a later one or
reaches the case: after the handover, when the same choice id exists in the current question,
and after a restart of the service (the adapter's memory is gone, the service still knows)."""

from __future__ import annotations

from collections.abc import Callable

from tests.telegram.conftest import MakeTelegram
from tests.telegram.harness import BotMessage, Person
from tests.telegram.test_telegram_live import intake, the_only_case, to_life_area, toggle

STALE = "Diese Frage ist schon beantwortet."


async def _to_municipality(anna: Person) -> BotMessage:
    area = await to_life_area(anna)
    await toggle(anna, area, "t:work")
    await anna.tap(area, "a:done")
    return await anna.prompt()


async def test_an_old_button_whose_choice_the_current_question_has_too_is_refused(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram("intake")
    anna = person(language_code="de")
    municipality = await _to_municipality(anna)
    assert "c:no_answer" in municipality.data
    await anna.tap(municipality, "c:garbsen")
    grounds = await anna.prompt()
    await toggle(anna, grounds, "t:racism")
    await anna.tap(grounds, "a:done")
    await anna.prompt()  # the account, free text
    await anna.say("Man hat mich beim Amt nicht bedient.")
    reporter = await anna.prompt()
    assert "c:no_answer" in reporter.data  # the same id as the old question's button

    await anna.tap(municipality, "c:no_answer", as_seen=True)
    assert await anna.quiet() == []  # no next question: the reporter question is not answered
    answered = [c.params.get("text") or "" for c in tg.proxy.called("answerCallbackQuery")]
    assert any(STALE in text for text in answered), answered
    await anna.tap(reporter, "c:affected")  # the current question still works
    assert (await anna.prompt()).text.startswith("Was wünschen Sie sich")


async def test_an_old_button_after_the_handover_reaches_no_case(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram("intake")
    anna = person(language_code="de")
    done = await intake(anna)  # the last question (how they heard of us) by button
    heard = next(m for m in reversed(anna.received) if "c:friends_family" in m.data)
    assert "Fall-Code" in done.text or "Telegram" in done.text

    await anna.tap(heard, "c:friends_family", as_seen=True)
    await anna.quiet()
    answered = [c.params.get("text") or "" for c in tg.proxy.called("answerCallbackQuery")]
    assert any(STALE in text for text in answered), answered
    now = await anna.current(heard)
    assert "Freunde" not in now.text.split("➡️")[-1]  # the question does not claim it
    content = await the_only_case(tg)
    said = [line.body for line in content.transcript if line.sender == "person"]
    assert not any("friends_family" in str(body) for body in said), said
    assert "friends_family" not in str(content.answers)


async def test_the_last_question_answered_by_typing_loses_its_keyboard(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram("intake")
    anna = person(language_code="de")
    municipality = await _to_municipality(anna)
    await anna.tap(municipality, "c:garbsen")
    grounds = await anna.prompt()
    await toggle(anna, grounds, "t:racism")
    await anna.tap(grounds, "a:done")
    await anna.prompt()
    await anna.say("Man hat mich beim Amt nicht bedient.")
    await anna.tap(await anna.prompt(), "c:affected")
    wishes = await anna.prompt()
    await toggle(anna, wishes, "t:counselling")
    await anna.tap(wishes, "a:done")
    await anna.tap(await anna.prompt(), "c:anonymous_chat")
    heard = await anna.prompt()
    assert heard.text.startswith("Zum Schluss")
    await anna.say("1")  # typed, as the numbers in the text allow
    await anna.next(lambda m: "Telegram" in m.text and not m.keyboard)  # the handover
    # The bot removes the question's keyboard (the emulator keeps it on an edit without
    # one, where Telegram removes it: so the request at the wire is what shows it).
    cleared = [
        c.params
        for c in tg.proxy.called("editMessageReplyMarkup")
        if str(c.params.get("message_id")) == str(heard.message_id)
    ]
    assert cleared and all(not p.get("reply_markup") for p in cleared), cleared
