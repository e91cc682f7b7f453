"""Long answers on Telegram (shipped intake, Bot API emulator): a button shows at most about
40 characters, so a long label ("Einkaufen und Dienstleistungen (z. B. Geschäft, …)") has a
short form on its button and is said whole in the question; the counsellor reads the whole
label in the transcript."""

from __future__ import annotations

from collections.abc import Callable

from tests.telegram.conftest import MakeTelegram
from tests.telegram.harness import Person
from tests.telegram.test_telegram_live import the_only_case, to_life_area, toggle

SHOP = (
    "Einkaufen und Dienstleistungen (z. B. Geschäft, Restaurant, Club, Vertrag, Versicherung, Bank)"
)


async def test_a_long_answer_has_a_short_button_and_is_said_whole_in_the_question(
    make_telegram: MakeTelegram, person: Callable[..., Person]
) -> None:
    tg = await make_telegram("intake")
    anna = person(language_code="de")
    area = await to_life_area(anna)

    buttons = [b["text"] for row in area.keyboard for b in row]
    assert "Einkaufen und Dienstleistungen" in buttons
    assert max(len(b) for b in buttons) <= 40, buttons
    assert f"• {SHOP}" in area.text  # the detail the button leaves out

    area = await toggle(anna, area, "t:goods_services")
    await anna.tap(area, "a:done")
    municipality = await anna.prompt()
    assert "Hannover" in str(municipality.keyboard)
    await anna.tap(municipality, "c:garbsen")
    await anna.prompt()  # the grounds
    # Typing what a button shows answers too (a screen reader user may type it).
    await anna.say("Rassismus oder ethnische Herkunft")
    await anna.prompt()  # the account, free text
    await anna.say("Im Laden wurde ich nicht bedient.")
    await anna.tap(await anna.prompt(), "c:affected")
    wishes = await anna.prompt()
    await toggle(anna, wishes, "t:counselling")
    await anna.tap(wishes, "a:done")
    await anna.tap(await anna.prompt(), "c:anonymous_chat")
    await anna.tap(await anna.prompt(), "c:no_answer")
    await anna.next()  # the handover

    content = await the_only_case(tg)
    assert content.answers["life_area"] == ["goods_services"]
    assert content.answers["grounds"] == ["racism"]
    said = [str(line.body) for line in content.transcript if line.sender == "person"]
    assert any(SHOP in s for s in said), said  # the whole label, not the button's short form
