"""The danger path in Chromium at 390 px: a person who says they are in danger gets the crisis
numbers as tap-to-call links, stays on them, and reaches the team with one tap; the "when"
question takes a real date. axe-core checks the changed page in de, Leichte Sprache, en, ar."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.e2e.helpers import require_playwright

require_playwright()

from playwright.async_api import Page, expect  # noqa: E402

from bot.conversation.handover import by_priority  # noqa: E402
from tests.e2e.chat import Chat  # noqa: E402
from tests.e2e.helpers import (  # noqa: E402
    CASE_CODE,
    INTAKE_DE,
    MakeContext,
    Server,
    assert_accessible,
)
from tests.evidence_files import photo  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.xdist_group("browser"),
]

TALK_NOW_DE = "Jetzt mit einer Person sprechen"
GO_ON_DE = "Mit den Fragen weitermachen"
WHEN_DE = "Wann ist es passiert?"
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"

ONE_LINE_JS = "els => els.map(a => a.getClientRects().length)"
FOCUS_IN_CRISIS_JS = "() => !!document.activeElement.closest('li.msg--crisis')"


async def to_danger(chat: Chat, language: str | None, consent: str, yes: str) -> None:
    """`language`: the answer to the language question; None when the page's link chose the
    language already (the question is not asked then)."""
    if language is not None:
        await chat.wait_for_question("In welcher Sprache")
        await chat.click_answer("one", [language])
    await chat.click_answer("one", [consent])
    await chat.click_answer("one", [yes])


async def crisis_box(page: Page) -> None:
    box = page.locator("li.msg--crisis").last
    await expect(box).to_be_visible()
    links = box.locator("a.tel")
    await expect(links.first).to_have_attribute("href", "tel:110")
    # Every number is on one line: one layout box per link, at 390 px too.
    assert set(await links.evaluate_all(ONE_LINE_JS)) == {1}


async def test_one_tap_reaches_the_team_and_the_case_is_at_the_top(
    make_server: Callable[..., Server], make_context: MakeContext
) -> None:
    # A test clicks faster than a person: a larger flood burst keeps every answer in time.
    server = make_server(ANLAUFSTELLE_WEBCHAT__FRAMES_BURST="100")
    server.start()
    page = await (await make_context(bypass_csp=True)).new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse(INTAKE_DE[:3])  # an ordinary case first, waiting longer
    await chat.answer_by_mouse(INTAKE_DE[3:])
    await chat.case_code()

    other = await (await make_context(bypass_csp=True)).new_page()
    chat = Chat(other)
    await chat.open(f"{server.url}/chat")
    await to_danger(chat, "Deutsch", "Ja, ich bin einverstanden", "Ja")
    await crisis_box(other)
    await other.wait_for_timeout(200)  # the composer renders 40 ms after a message
    assert await other.evaluate(FOCUS_IN_CRISIS_JS), "the focus left the crisis numbers"
    await expect(chat.line(WHEN_DE)).to_have_count(0)  # nothing asked until the person chooses
    await other.screenshot(path=str(DOCS_IMAGES / "danger-path-390.png"))
    await assert_accessible(other, "with the crisis numbers (de)")

    await chat.composer.get_by_role("button", name=TALK_NOW_DE, exact=True).click()
    code = await chat.case_code()
    assert CASE_CODE.fullmatch(code)
    # Once, in its box: not a second time in the text above it.
    log_text = await other.evaluate("() => document.getElementById('chat-messages').innerText")
    assert log_text.count(code.split("-")[0]) == 1, log_text
    # What happens next depends on the office hours at this moment: alerted, or at the top.
    told = re.compile("Jemand aus dem Team ist jetzt benachrichtigt|ganz oben in unserer Warte")
    await expect(chat.line(told)).to_be_visible()
    # What the person types now is for the team, and the field says so.
    await expect(
        chat.composer.get_by_label("Ihre Nachricht an die Beratungsstelle")
    ).to_be_visible()
    await assert_accessible(other, "after talk now (de)")
    queue = by_priority(await server.queue(), datetime(2026, 1, 1, tzinfo=UTC))
    assert len(queue) == 2 and queue[0].crisis is True
    assert queue[0].case_id == server.cases()[-1]["id"]

    # Going on: the when question with a real date field and its answers beside it.
    await chat.composer.get_by_role("button", name=GO_ON_DE, exact=True).click()
    await chat.wait_for_question(WHEN_DE)
    field = chat.composer.get_by_label("Datum (wenn Sie es kennen)")
    assert await field.get_attribute("type") == "date"
    await expect(chat.composer.get_by_role("button", name="Heute", exact=True)).to_be_visible()
    await assert_accessible(other, "with the date field (de)")
    await field.fill("2025-01-10")
    await chat.composer.get_by_role("button", name="Datum senden").click()
    await expect(chat.line("10.01.2025")).to_be_visible()  # as asked, not the picker's form
    await chat.answer_by_mouse(INTAKE_DE[4:])
    await expect(chat.line("steht weiter oben im Chat")).to_be_visible()
    queue = by_priority(await server.queue(), datetime(2026, 1, 1, tzinfo=UTC))
    assert len(queue) == 2  # the later answers went into the same case
    assert queue[0].incident_date == date(2025, 1, 10)


async def test_going_on_by_keyboard_brings_the_focus_to_the_next_question(
    server: Server, make_context: MakeContext, shots: Path
) -> None:
    """The crisis numbers keep the focus until the person chooses; once they chose to go on,
    the next question's answers have it, in view, as after any other answer (found in a
    walk-through: the focus stayed on the crisis box, a dozen Tabs above the answers)."""
    page = await (await make_context()).new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    steps = [(q, labels[0]) for _, q, labels in INTAKE_DE[:2]] + [(INTAKE_DE[2][1], "Ja")]
    for question, label in steps:  # the language, the consent, and in danger: "Ja"
        await chat.wait_for_question(question)
        await chat.tab_to(chat.composer.get_by_role("button", name=label, exact=True))
        await page.keyboard.press("Enter")
    await crisis_box(page)
    await page.wait_for_timeout(200)  # the composer renders 40 ms after a message
    assert await page.evaluate(FOCUS_IN_CRISIS_JS), "the focus left the crisis numbers"

    await chat.tab_to(chat.composer.get_by_role("button", name=GO_ON_DE, exact=True))
    await page.keyboard.press("Enter")
    await chat.wait_for_question(WHEN_DE)
    await page.wait_for_timeout(200)
    await page.screenshot(path=str(shots / "danger-path-go-on-390.png"))
    focused = page.locator(":focus")
    assert not await page.evaluate(FOCUS_IN_CRISIS_JS), "the focus stayed on the crisis box"
    assert await focused.evaluate(
        "el => !!el.closest('#composer form') && /^(BUTTON|INPUT|TEXTAREA)$/.test(el.tagName)"
    ), f"the focus is not on an answer of the next question: {await chat.focus_state()}"
    await expect(focused).to_be_in_viewport()
    await expect(chat.line(WHEN_DE).last).to_be_in_viewport()
    await chat.assert_focus_visible()


@pytest.mark.parametrize(
    ("lang", "consent", "yes", "links"),
    [
        ("ls", "Ja, ich bin einverstanden.", "Ja.", 3),
        ("en", "Yes, I agree", "Yes", 10),
    ],
)
async def test_the_crisis_numbers_are_accessible_in_each_language(
    server: Server,
    make_context: MakeContext,
    lang: str,
    consent: str,
    yes: str,
    links: int,
) -> None:
    page = await (await make_context(bypass_csp=True)).new_page()
    chat = Chat(page)
    # The log's and the composer's names are in the page's language: find them by place.
    chat.log = page.get_by_role("log")
    chat.composer = page.locator("#composer")
    await chat.open(f"{server.url}/chat?lang={lang}")
    await to_danger(chat, None, consent, yes)  # the link chose the language
    await crisis_box(page)
    await expect(page.locator("li.msg--crisis").last.locator("a.tel")).to_have_count(links)
    await assert_accessible(page, f"with the crisis numbers ({lang})")


async def test_the_crisis_numbers_are_accessible_in_arabic(
    rtl_server: Server, make_context: MakeContext
) -> None:
    page = await (await make_context(bypass_csp=True, locale="ar")).new_page()
    await page.goto(f"{rtl_server.url}/chat?lang=ar")
    composer = page.locator("#composer")
    await composer.get_by_role("button").first.click()  # consent: yes
    await composer.get_by_role("button", name="نعم", exact=True).click()  # in danger: yes
    await crisis_box(page)
    await expect(composer.get_by_role("button", name="التحدث مع شخص الآن")).to_be_visible()
    await assert_accessible(page, "with the crisis numbers (ar)")
    await composer.get_by_role("button", name="متابعة الأسئلة").click()
    await expect(composer.locator("input[type=date]")).to_be_visible()
    await assert_accessible(page, "with the date field (ar)")


async def test_the_danger_path_works_without_javascript(
    server: Server, make_context: MakeContext
) -> None:
    before = len(server.cases())
    page = await (await make_context(java_script_enabled=False)).new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.composer.get_by_role("button", name="Chat beginnen").click()
    await to_danger(chat, "Deutsch", "Ja, ich bin einverstanden", "Ja")
    await crisis_box(page)
    await expect(chat.line(WHEN_DE)).to_have_count(0)
    await chat.composer.get_by_role("button", name=TALK_NOW_DE, exact=True).click()
    code = await chat.case_code()
    assert CASE_CODE.fullmatch(code)
    # Once, in its box: not a second time in the text above it.
    log_text = await page.evaluate("() => document.getElementById('chat-messages').innerText")
    assert log_text.count(code.split("-")[0]) == 1, log_text
    assert len(server.cases()) == before + 1
    await expect(
        chat.composer.get_by_label("Ihre Nachricht an die Beratungsstelle")
    ).to_be_visible()
    await chat.composer.get_by_role("button", name=GO_ON_DE, exact=True).click()
    await chat.wait_for_question(WHEN_DE)
    await chat.composer.get_by_label("Datum (wenn Sie es kennen)").fill("2025-01-10")
    await chat.composer.get_by_role("button", name="Datum senden").click()
    await chat.wait_for_question(INTAKE_DE[4][1])


async def test_crisis_words_to_the_waiting_case_show_the_numbers_and_keep_the_field(
    server: Server, make_context: MakeContext
) -> None:
    """After the handover the case waits (maybe overnight). The person writes that they are
    being hit right now: the crisis numbers come at once, and the field below stays the one
    for writing to the office (not an answer to the crisis box)."""
    page = await (await make_context()).new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse(INTAKE_DE)
    await chat.case_code()
    field = chat.composer.get_by_label("Ihre Nachricht an die Beratungsstelle")
    await field.fill("Er ist wieder da und schlägt mich gerade.")
    await chat.composer.get_by_role("button", name="Senden", exact=True).click()
    await crisis_box(page)
    await expect(field).to_be_visible()
    await field.fill("Ich habe die Polizei angerufen.")
    await chat.composer.get_by_role("button", name="Senden", exact=True).click()
    await expect(chat.line("Ich habe die Polizei angerufen.")).to_be_visible()
    await expect(field).to_have_value("")


async def test_after_crisis_words_to_the_waiting_case_a_photo_goes_at_once(
    server: Server, make_context: MakeContext, shots: Path
) -> None:
    """The person in danger wants to send a photo of the injury: the file form stays under
    the crisis numbers of a case that waits for the team (with JavaScript; the page-level
    test does it without)."""
    page = await (await make_context()).new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse(INTAKE_DE)
    await chat.case_code()
    await chat.composer.get_by_label("Ihre Nachricht an die Beratungsstelle").fill(
        "Er schlägt mich gerade."
    )
    await chat.composer.get_by_role("button", name="Senden", exact=True).click()
    await crisis_box(page)
    send_file = chat.composer.get_by_role("button", name="Datei senden")
    await expect(send_file).to_be_visible()
    # And as the page comes back (a phone that reopens the tab): drawn anew from the history.
    await page.reload()
    await crisis_box(page)
    await expect(send_file).to_be_visible()
    await page.screenshot(path=str(shots / "crisis-waiting-case-390.png"), full_page=True)
    await page.get_by_label("Foto, Bildschirmfoto oder PDF anhängen").set_input_files(
        {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo("JPEG")}
    )
    await send_file.click()
    await expect(chat.log.locator("li.msg--file p.msg-text")).to_have_text(
        re.compile(r"^Datei: Bild, \d+ KB$")
    )
