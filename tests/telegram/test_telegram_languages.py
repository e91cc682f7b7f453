"""The whole intake on Telegram in Arabic and Ukrainian (Bot API emulator), answered by
buttons and one typed account: every message in the chosen language, the bot's own label
included, the question on staying in touch and the handover promising and showing no case
code, in that language, the answers in the case."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.channels import telegram_texts as texts
from bot.conversation import case_texts
from tests.e2e.helpers import CASE_CODE
from tests.telegram.conftest import MakeTelegram
from tests.telegram.harness import Person
from tests.telegram.test_telegram_live import the_only_case, toggle


@pytest.mark.parametrize("language", ["ar", "uk"])
async def test_the_whole_intake_in_arabic_and_ukrainian(
    make_telegram: MakeTelegram, person: Callable[..., Person], language: str
) -> None:
    tg = await make_telegram("intake")
    anna = person(language_code=language)
    await anna.command("/start")
    notice = await anna.next()
    assert texts.text("privacy", language, webchat="", legal="").split("\n")[0] in notice.text
    await anna.tap(await anna.prompt(), f"c:{language}")
    for data in ("c:accept", "c:no", "c:this_week"):
        await anna.tap(await anna.prompt(), data)
    area = await toggle(anna, await anna.prompt(), "t:work")
    await anna.tap(area, "a:done")
    await anna.tap(await anna.prompt(), "c:garbsen")
    grounds = await toggle(anna, await anna.prompt(), "t:racism")
    await anna.tap(grounds, "a:done")
    await anna.prompt()  # the account, free text
    await anna.say("Test 12345")
    await anna.tap(await anna.prompt(), "c:affected")
    wishes = await toggle(anna, await anna.prompt(), "t:counselling")
    await anna.tap(wishes, "a:done")
    contact = await anna.prompt()
    # Telegram shows no case code, so the question promises none: the chat is the way back.
    assert case_texts.way_back("telegram", language) in contact.text
    assert case_texts.way_back("webchat", language) not in contact.text
    await anna.tap(contact, "c:anonymous_chat")
    await anna.tap(await anna.prompt(), "c:friends_family")
    note = case_texts.code_note("telegram", "", language)
    done = await anna.next(lambda m: note in m.text)
    # What the question said holds at the end: no code anywhere in the chat.
    assert not [m.text for m in anna.received if CASE_CODE.search(m.text)]
    # Every message after the choice carried the bot's label in the chosen language.
    labels = {m.raw.split("\n", 1)[0] for m in anna.received[2:]}
    assert labels == {texts.text("bot", language)}, labels
    assert done.sender == "bot"
    content = await the_only_case(tg)
    assert content.answers["language"] == language
    assert content.answers["life_area"] == ["work"]
