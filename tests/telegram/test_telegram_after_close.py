"""After the office closes a Telegram case: the person is told in the chat, a text reopens
the case for its team, and /start begins a new conversation (and says so)."""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation import case_texts
from bot.keys import SERVICE
from storage import cases, teams
from tests.conftest import COUNSELLOR_PASSWORD
from tests.telegram.conftest import MakeTelegram, Telegram
from tests.telegram.harness import BotMessage, Person


async def _handed_over(tg: Telegram, anna: Person) -> tuple[int, BotMessage]:
    await anna.command("/start")
    consent = await anna.prompt()
    await anna.tap(consent, "c:accept")
    danger = await anna.prompt()
    await anna.tap(danger, "c:no")
    await anna.tap(await anna.prompt(), "c:today")
    await anna.tap(await anna.prompt(), "c:garbsen")
    await anna.prompt()
    await anna.say("Man hat mich im Laden nicht bedient.")
    await anna.next(lambda m: "Fall-Code" in m.text)
    async with tg.office.store.read() as tx:
        (entry,) = await cases.queue(tx)
    return entry.case_id, danger


async def _close(tg: Telegram, case_id: int) -> None:
    """The console's close: closed and the person told in one transaction."""
    service = tg.app[SERVICE]
    async with tg.office.store.tx() as tx:
        counsellor = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert counsellor is not None
        assert await cases.claim(tx, case_id, counsellor.counsellor_id)
        assert await cases.close(tx, case_id, counsellor.counsellor_id)
        assert await service.close_notice(tx, case_id)
    service.outbox_filled()


async def test_a_text_after_close_reopens_the_telegram_case(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram()
    anna = person()
    case_id, _ = await _handed_over(tg, anna)
    await _close(tg, case_id)
    closed = await anna.next()
    assert closed.text == case_texts.text("closed", "de")

    await anna.say("Es ist noch etwas passiert.")

    reopened = await anna.next()
    assert reopened.text == case_texts.text("reopened", "de")
    async with tg.office.store.read() as tx:
        (entry,) = await cases.queue(tx)
    assert (entry.case_id, entry.status) == (case_id, "waiting")


async def test_start_after_close_begins_a_new_conversation_and_says_so(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram()
    anna = person()
    case_id, _ = await _handed_over(tg, anna)
    await _close(tg, case_id)
    await anna.next(lambda m: m.text == case_texts.text("closed", "de"))

    await anna.command("/start")

    told = await anna.next(lambda m: m.text == case_texts.text("new_after_close", "de"))
    assert told.text
    prompt = await anna.prompt()
    assert prompt.text == "Dürfen wir Ihre Angaben speichern?"
    async with tg.office.store.read() as tx:
        assert await cases.queue(tx) == []


async def test_an_old_button_after_close_begins_a_new_conversation_instead_of_a_dead_end(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    # The chat still shows the intake's buttons; the person presses one after the office
    # closed the case. Refusing it ("schon beantwortet") would leave nothing to press.
    tg = await make_telegram()
    anna = person()
    case_id, danger = await _handed_over(tg, anna)
    await _close(tg, case_id)
    await anna.next(lambda m: m.text == case_texts.text("closed", "de"))

    await anna.tap(danger, "c:no", as_seen=True)

    await anna.next(lambda m: m.text == case_texts.text("new_after_close", "de"))
    prompt = await anna.prompt()
    assert prompt.text == "Dürfen wir Ihre Angaben speichern?"  # not answered by the old "no"
    async with tg.office.store.read() as tx:
        assert await cases.queue(tx) == []  # the closed case stays closed
