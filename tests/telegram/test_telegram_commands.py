"""Commands, language, deletion and what the bot does not take: stickers, videos,
locations, groups (photos, documents, voice: tests/telegram/test_telegram_files.py).
Against the Bot API emulator; where nothing may be stored, the database is checked."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from bot.channels import telegram_texts as texts
from bot.conversation import case_texts
from storage.models import Contact, Conversation
from tests.telegram.conftest import MakeTelegram, Telegram
from tests.telegram.harness import Person


async def rows(tg: Telegram) -> tuple[int, int]:
    async with tg.office.store.read() as tx:
        contacts = await tx.session.scalar(select(func.count()).select_from(Contact))
        convs = await tx.session.scalar(select(func.count()).select_from(Conversation))
    return int(contacts or 0), int(convs or 0)


@pytest.mark.parametrize(
    ("fields", "language", "expected"),
    [
        (
            {
                "video": {
                    "file_id": "f1",
                    "file_unique_id": "u2",
                    "width": 1,
                    "height": 1,
                    "duration": 2,
                }
            },
            "en",
            "cannot take stickers",
        ),
        (
            {
                "sticker": {
                    "file_id": "s1",
                    "file_unique_id": "u3",
                    "type": "regular",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "ar",
            "النصوص",
        ),
        ({"location": {"latitude": 52.37, "longitude": 9.73}}, "de", "Standorte"),
        ({"location": {"latitude": 52.37, "longitude": 9.73}}, "tr", "PDF"),
    ],
)
async def test_non_text_messages_get_a_kind_reply_and_nothing_is_stored(
    make_telegram: MakeTelegram,
    person: Callable[..., Person],
    fields: dict[str, object],
    language: str,
    expected: str,
) -> None:
    tg = await make_telegram()
    anna = person(language_code=language)
    await anna.send(**fields)
    reply = await anna.next()
    assert expected in reply.text
    assert await rows(tg) == (0, 0)


async def test_the_reply_to_a_sticker_follows_the_chosen_flow_language(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    await make_telegram("intake")
    anna = person(language_code="de")
    await anna.command("/start")
    await anna.tap(await anna.prompt(), "c:ls")
    await anna.prompt()
    await anna.send(location={"latitude": 52.37, "longitude": 9.73})
    reply = await anna.next(lambda m: "Text" in m.text)
    assert reply.text.startswith("Ich kann Text lesen.")  # Leichte Sprache


@pytest.mark.parametrize("chat_type", ["group", "supergroup"])
async def test_groups_are_declined_and_left_and_nothing_is_stored(
    make_telegram: MakeTelegram, person: Callable[..., Person], chat_type: str
) -> None:
    tg = await make_telegram()
    group = person(chat_type=chat_type)
    group.chat_id = -abs(group.chat_id)
    await group.command("/start")
    reply = await group.next()
    assert "privaten Chat" in reply.text
    for _ in range(50):
        if tg.proxy.called("leaveChat"):
            break
        await group.quiet(0.05)
    (left,) = tg.proxy.called("leaveChat")
    assert int(left.params["chat_id"]) == group.chat_id
    assert await rows(tg) == (0, 0)


async def test_help_language_and_restart(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    await make_telegram()
    anna = person()
    await anna.command("/help")
    assert "/delete" in (await anna.next()).text
    await anna.command("/start")
    consent = await anna.prompt()
    await anna.tap(consent, "c:accept")
    await anna.prompt()
    await anna.command("/language")
    choose = await anna.prompt()
    assert choose.data == ["l:de", "l:en"]  # the flow's languages
    await anna.tap(choose, "l:en")
    assert (await anna.prompt()).text == "Are you in danger right now?"
    await anna.command("/restart")
    assert (await anna.prompt()).text == "May we store your answers?"
    await anna.command("/unknown")
    assert "/restart" in (await anna.next()).text  # unknown commands get the help


async def test_back_button_and_a_button_of_an_earlier_question(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    await make_telegram()
    anna = person()
    await anna.command("/start")
    consent = await anna.prompt()
    await anna.tap(consent, "c:accept")
    danger = await anna.prompt()
    await anna.tap(danger, "a:back")
    again = await anna.prompt()
    assert again.text == "Dürfen wir Ihre Angaben speichern?"
    await anna.say("Ja")  # typed instead of tapped: the old keyboard goes when the next comes
    danger2 = await anna.prompt()
    assert danger2.text == "Sind Sie jetzt in Gefahr?"
    await anna.tap(danger, "c:yes")  # a stale button of the first "danger" prompt
    assert await anna.quiet(0.5) == []  # refused: no answer taken, no new question


async def test_delete_asks_first_then_deletes_everything(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram()
    anna = person()
    await anna.command("/start")
    await anna.tap(await anna.prompt(), "c:accept")
    await anna.prompt()
    await anna.command("/delete")
    confirm = await anna.prompt()
    assert confirm.data == ["x:yes", "x:no"]
    await anna.tap(confirm, "x:no")
    await anna.quiet(0.3)
    assert await rows(tg) == (1, 1)
    await anna.command("/delete")
    confirm = await anna.prompt()
    await anna.tap(confirm, "x:yes")
    for _ in range(50):
        if await rows(tg) == (0, 0):
            break
        await anna.quiet(0.05)
    assert await rows(tg) == (0, 0)
    edits = [c.params["text"] for c in tg.proxy.called("editMessageText")]
    # Labelled like every automatic message (AI Act Art. 50), also when edited in.
    assert any(t.startswith("Automatische Antwort:\nGelöscht.") for t in edits)
    # A new start is a new first contact: the privacy notice again.
    await anna.command("/start")
    assert "Telefonnummer" in (await anna.next()).text


async def test_the_app_language_is_offered_first_and_one_tap_confirms_it(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    await make_telegram("intake")
    ayse = person(language_code="tr")
    await ayse.command("/start")
    question = await ayse.prompt()
    assert "In welcher Sprache" in question.text
    # Türkçe alone on the first row, then every other language (and "another language"),
    # none missing.
    assert [b["text"] for b in question.keyboard[0]] == ["Türkçe"]
    assert sorted(question.data) == sorted(
        f"c:{code}" for code in ("de", "ls", "en", "tr", "ar", "uk", "ru", "pl", "fa", "other")
    )
    await ayse.tap(question, "c:tr")
    consent = await ayse.prompt()
    assert "Kabul ediyor musunuz?" in consent.text
    # Telegram has no fold: the consent's legal detail follows its text.
    assert "Madde 9" in consent.text


async def test_an_app_language_the_flow_lacks_preselects_nothing(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    await make_telegram("intake")
    jean = person(language_code="fr")
    await jean.command("/start")
    question = await jean.prompt()
    assert [b["text"] for b in question.keyboard[0]][:2] == ["Deutsch", "Leichte Sprache"]
    await jean.tap(question, "c:en")
    assert (await jean.prompt()).text.startswith("• We only store your answers")


@pytest.mark.parametrize(("app", "expected"), [("en", "en"), ("tr", "tr"), ("fr", "de")])
async def test_a_first_hello_without_start_begins_in_the_app_language(
    make_telegram: MakeTelegram, person: Callable[..., Person], app: str, expected: str
) -> None:
    await make_telegram("intake")
    someone = person(language_code=app)
    await someone.say("Hallo")
    privacy = await someone.next()
    assert texts.text("privacy", expected, webchat="", legal="").split("\n")[0] in privacy.text
    notice = await someone.next()
    assert notice.text == case_texts.text("new_conversation", expected)
    question = await someone.prompt()
    if app == expected:
        # The app's language first and alone, one tap to confirm, as after /start.
        assert [b["text"] for b in question.keyboard[0]] == [texts.LANGUAGE_NAMES[app]]
    else:
        # A language the flow lacks: German, nothing pre-selected.
        assert [b["text"] for b in question.keyboard[0]][:2] == ["Deutsch", "Leichte Sprache"]
    await someone.tap(question, f"c:{expected}")
    consent = await someone.prompt()
    # The bot's own label in that language too.
    assert consent.raw.split("\n", 1)[0] == texts.text("bot", expected)


async def test_the_app_language_never_switches_a_language_the_person_chose(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    await make_telegram("intake")
    ayse = person(language_code="tr")
    await ayse.say("Merhaba")
    question = await ayse.prompt()
    await ayse.tap(question, "c:de")
    consent = await ayse.prompt()
    assert "Sind Sie damit einverstanden?" in consent.text
    # Typed, with the Turkish app language beside it: still German.
    await ayse.say("vielleicht")
    again = await ayse.prompt()
    assert "Sind Sie damit einverstanden?" in again.text
    assert again.raw.split("\n", 1)[0] == texts.text("bot", "de")
