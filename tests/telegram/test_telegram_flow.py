"""A person in Telegram, against the Bot API emulator: the intake, buttons, commands, privacy.

The service is real (app, conversation service, store, outbox, delivery worker, PTB); only
Telegram is an emulator, reached over HTTP through the wire proxy (harness.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.channels import telegram_texts as texts
from bot.settings import LegalSettings, OfficeContactSettings
from dialogs.loader import load_flow
from dialogs.model import CrisisCheckNode
from storage import cases, stats
from tests.telegram.conftest import INTAKE, MakeTelegram
from tests.telegram.harness import Person


async def test_start_shows_the_privacy_notice_once_then_the_first_question(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram()
    anna = person()
    await anna.command("/start")
    notice = await anna.next()
    assert "Telefonnummer" in notice.text and "https://beratung.example/chat" in notice.text
    prompt = await anna.prompt()
    assert prompt.text == "Dürfen wir Ihre Angaben speichern?"
    assert prompt.data == ["c:accept", "c:decline"]
    await anna.command("/start")
    again = await anna.next()
    assert "Telefonnummer" not in again.text  # the notice came once
    assert tg.proxy.called("setMyCommands")


@pytest.mark.parametrize("language", ["de", "en"])
async def test_the_first_contact_notice_links_the_privacy_notice_and_imprint(
    make_telegram: MakeTelegram, person: Callable[..., Person], language: str
) -> None:
    # The privacy notice is the office's own page; the imprint a text on our page, linked
    # through the service's public address.
    legal = LegalSettings(
        privacy_url="https://www.region.example/datenschutz",
        imprint_text={"de": "Region Hannover, Hildesheimer Str. 20"},
        public_url="https://beratung.example",
    )
    await make_telegram(legal=legal)
    anna = person(language_code=language)
    await anna.command("/start")
    notice = await anna.next()
    assert notice.sender == "bot"  # labelled "Automatische Antwort" / "Automatic reply"
    privacy = texts.text("privacy_link", language, url="https://www.region.example/datenschutz")
    imprint = texts.text(
        "imprint_link", language, url=f"https://beratung.example/chat/imprint?lang={language}"
    )
    assert notice.text.endswith(privacy + imprint)
    assert notice.raw.startswith(texts.text("bot", language) + "\n")


async def test_without_legal_settings_the_notice_names_no_link(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    await make_telegram()
    anna = person()
    await anna.command("/start")
    notice = await anna.next()
    assert "/delete" in notice.text and "Datenschutzerklärung:" not in notice.text


async def test_the_mini_intake_with_buttons_and_text_reaches_the_queue(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram()
    anna = person()
    await anna.command("/start")
    prompt = await anna.prompt()
    await anna.tap(prompt, "c:accept")
    prompt = await anna.prompt()
    assert prompt.text == "Sind Sie jetzt in Gefahr?"
    edited = tg.proxy.called("editMessageText")
    assert edited and edited[-1].params["text"].endswith("Ja")
    assert "reply_markup" not in edited[-1].params  # the keyboard is gone
    await anna.tap(prompt, "c:no")
    await anna.tap(await anna.prompt(), "c:today")
    await anna.tap(await anna.prompt(), "c:garbsen")
    account = await anna.prompt()
    assert account.text == "Was ist passiert?"
    assert account.data == ["a:back", "a:restart"]
    await anna.say("Man hat mich im Laden nicht bedient.")
    done = await anna.next(lambda m: "Fall-Code" in m.text)
    assert "Antwort in der Regel" in done.text
    async with tg.office.store.read() as tx:
        queue = await cases.queue(tx)
    assert [(e.channel, e.team_id) for e in queue] == [("telegram", "region")]


async def test_a_deep_link_source_is_counted_anonymously(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram()
    anna, ben = person(), person()
    await anna.command("/start plakat_hbf-3")
    await anna.prompt()
    await ben.command("/start <script>")  # not a tag: ignored, the chat starts anyway
    await ben.prompt()
    async with tg.office.store.read() as tx:
        rows = await stats.table(tx)
    assert [(r.dimension, r.value, r.count) for r in rows] == [("source", "plakat_hbf-3", 1)]


async def test_half_a_surrogate_pair_when_polling_is_answered_not_retried_forever(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    """An update whose text holds half a surrogate pair (escaped in Telegram's JSON) cannot be
    stored as UTF-8; the poller would try it again and again and stop every later update."""
    await make_telegram()
    anna = person()
    await anna.command("/start")
    await anna.prompt()
    await anna.say("Hallo \ud800")
    answer = await anna.next()
    assert answer.text == "Bitte wählen Sie eine Antwort."


@pytest.mark.parametrize(
    ("language", "typed"), [("de", "ja"), ("de", "Ja, ich bin einverstanden!"), ("uk", "Так")]
)
async def test_a_typed_yes_at_the_consent_question_is_taken(
    make_telegram: MakeTelegram, person: Callable[..., Person], language: str, typed: str
) -> None:
    """People often type instead of tapping: a clear yes at the consent question goes on to
    the next question, as at the danger question, not to "not understood" and the whole
    consent text again."""
    await make_telegram("intake")
    flow = load_flow(INTAKE)
    anna = person(language_code=language)
    await anna.command("/start")
    await anna.tap(await anna.prompt(), f"c:{language}")
    consent = await anna.prompt()
    assert consent.data[:2] == ["c:accept", "c:decline"]
    await anna.say(typed)
    danger = await anna.prompt()
    question = flow.node("in_danger")
    assert isinstance(question, CrisisCheckNode)
    assert danger.text.startswith(flow.text(question.text, language))
    assert danger.data[:2] == ["c:yes", "c:no"]
    not_understood = flow.ui_text("not_understood", language)
    assert not [m for m in anna.received if m.text == not_understood]
    assert [m.data[:2] for m in anna.received].count(["c:accept", "c:decline"]) == 1


async def test_an_unclear_answer_at_consent_is_not_consent_and_not_about_exclusive_answers(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    await make_telegram("intake")
    flow = load_flow(INTAKE)
    anna = person(language_code="de")
    await anna.command("/start")
    await anna.tap(await anna.prompt(), "c:de")
    await anna.prompt()
    await anna.say("ja, aber nicht speichern")
    error = await anna.next(lambda m: "nicht verstanden" in m.text)
    assert error.text == flow.ui_text("not_understood", "de")
    assert "nicht sicher" not in error.text and "nicht sagen" not in error.text
    again = await anna.prompt()
    assert again.data[:2] == ["c:accept", "c:decline"]  # asked again, nothing taken
    await anna.say("Ja")
    await anna.prompt()  # the danger question


async def test_declining_consent_gives_the_offices_phone_e_mail_and_web_page(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    contact = OfficeContactSettings(
        phone="0511 616-12345",
        email="beratung@region-hannover.example",
        web_url="https://www.region-hannover.example/antidiskriminierung",
    )
    await make_telegram("intake", office_contact=contact)
    anna = person(language_code="de")
    await anna.command("/start")
    await anna.tap(await anna.prompt(), "c:de")
    await anna.tap(await anna.prompt(), "c:decline")
    farewell = await anna.next(lambda m: "Polizei 110" in m.text)
    # Plain text: Telegram itself makes the number, the address and the link tappable.
    assert (
        "Telefon: 0511 616-12345\nE-Mail: beratung@region-hannover.example\n"
        "Internet: https://www.region-hannover.example/antidiskriminierung\n"
    ) in farewell.text
    assert farewell.raw.startswith(texts.text("bot", "de") + "\n")


async def test_declining_consent_without_a_configured_contact_points_to_the_website(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    await make_telegram("intake")
    anna = person(language_code="en")
    await anna.command("/start")
    await anna.tap(await anna.prompt(), "c:en")
    await anna.tap(await anna.prompt(), "c:decline")
    farewell = await anna.next(lambda m: "Police 110" in m.text)
    assert (
        "You will find the contact details on the counselling office's website "
        "(Antidiskriminierungsstelle Region Hannover).\n"
    ) in farewell.text
    assert "{office_contact}" not in farewell.text
