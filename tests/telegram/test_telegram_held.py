"""A person marked as abusive on Telegram (Bot API emulator): their messages are kept and
unanswered, and after a few they are asked to wait, in words that do not tell of the hold;
Telegram's update is answered, not failed (a failed one would come again and again)."""

from __future__ import annotations

from collections.abc import Callable

from bot.channels import telegram_texts as texts
from bot.conversation.held import HELD_BURST
from storage import cases, contacts
from tests.telegram.conftest import MakeTelegram
from tests.telegram.harness import Person
from tests.telegram.test_telegram_live import intake


async def test_a_held_sender_is_asked_to_wait_after_a_few_messages(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram("intake")
    anna = person(language_code="de")
    await intake(anna)
    async with tg.office.store.tx() as tx:
        [entry] = await cases.queue(tx)
        contact = await cases.contact_of(tx, entry.case_id)
        assert contact is not None and await contacts.block(tx, contact)

    for i in range(HELD_BURST):
        await anna.say(f"Spam {i}")
    assert await anna.quiet(1.0) == []  # kept, unanswered
    await anna.say("Noch mehr Spam")
    told = await anna.next()
    assert told.text == texts.text("slow_down", "de")
    assert "gesperrt" not in told.text and "Missbrauch" not in told.text
    assert await anna.quiet() == []  # said once, the update not sent again
