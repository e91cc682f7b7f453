"""The web chat in a real browser (headless Chromium) against a real `anlaufstelle serve`.

Each test is something a person does: answer the intake by mouse or by keyboard, come back
on another device with the case code, lose the connection, use the chat without
JavaScript, leave quickly, read it with large text or on a small screen. axe-core checks
WCAG 2.1 A/AA on the way.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import require_playwright

require_playwright()

from playwright.async_api import BrowserContext, Page, WebSocket, expect  # noqa: E402
from playwright.async_api import Error as PlaywrightError  # noqa: E402

from bot.web import texts  # noqa: E402
from tests.e2e.chat import (  # noqa: E402
    ANSWER_LABEL,
    CASE_CODE_FIELD,
    DONE,
    LARGE_TEXT,
    MESSAGE_LABEL,
    QUICK_EXIT,
    REMEMBER,
    RESUME,
    SEND,
    SENDING,
    VERY_LARGE_TEXT,
    Chat,
    open_settings,
)
from tests.e2e.helpers import (  # noqa: E402
    ACCOUNT_DE,
    CASE_CODE,
    INTAKE_DE,
    RESPONSE_TIME_DE,
    MakeContext,
    Server,
    assert_accessible,
    intake_over_websocket,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.xdist_group("browser"),  # one worker: one Chromium, one server per run
]

UP_TO_ACCOUNT = INTAKE_DE[:7]  # language … grounds: the next question asks for free text
ACCOUNT_QUESTION = INTAKE_DE[7][1]
AFTER_ACCOUNT_QUESTION = INTAKE_DE[8][1]


async def shot(page: Page, shots: Path, name: str) -> None:
    await page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


# ============================================================================ the intake


async def test_a_person_completes_the_intake_by_mouse(
    server: Server, page: Page, shots: Path
) -> None:
    before = len(server.cases())
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse(INTAKE_DE)

    code = await chat.case_code()
    assert CASE_CODE.fullmatch(code)
    await expect(chat.line(RESPONSE_TIME_DE)).to_be_visible()
    await expect(chat.composer.get_by_label(MESSAGE_LABEL)).to_be_visible()
    await shot(page, shots, "handover-de")

    rows = server.cases()
    assert len(rows) == before + 1
    assert rows[-1] | {"id": 0} == {
        "id": 0,
        "team_id": "region",
        "status": "waiting",
        "channel": "webchat",
        "language": "de",
    }
    assert rows[-1]["id"] in [entry.case_id for entry in await server.queue()]


async def test_a_new_conversation_after_declining_shows_its_questions(
    server: Server, page: Page
) -> None:
    """A new conversation numbers its lines from 1 again; the page must not take its first
    question for one it has shown already and swallow it."""
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse([INTAKE_DE[0], ("one", INTAKE_DE[1][1], ["Nein"])])
    new_chat = chat.composer.get_by_role("button", name="Neues Gespräch beginnen", exact=True)
    await expect(new_chat).to_be_visible()
    await new_chat.click()
    await expect(chat.line(INTAKE_DE[0][1])).to_have_count(2)


@pytest.mark.parametrize("again", ["button", "text"])
async def test_a_page_left_open_past_expiry_shows_the_new_conversation(
    make_server: Callable[..., Server], page: Page, again: str
) -> None:
    """The page stayed open overnight; the conversation expired and the admin's purge (or
    the service's own sweep) deleted it. A button still on screen, or a line typed, begins a
    new conversation that the page shows: it says so and asks its first question."""
    server = make_server()
    await server.astart()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    # Up to the danger question (buttons) or the account (a field to type in).
    asked = 2 if again == "button" else 7
    await chat.answer_by_mouse(INTAKE_DE[:asked])
    await chat.wait_for_question(INTAKE_DE[asked][1])
    await asyncio.sleep(1.0)
    purged = await asyncio.to_thread(
        subprocess.run,
        [str(Path(sys.executable).with_name("anlaufstelle")), "purge"],
        env={**server.env, "ANLAUFSTELLE_STATE_IDLE_HOURS": "0.0001"},  # 0.36 s
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert purged.stdout.startswith("1 idle conversations closed"), purged

    if again == "button":
        await chat.click_answer("one", ["Nein"])
    else:
        await chat.click_answer("text", ["Hallo, ist da noch jemand?"])

    await expect(chat.line("Hier beginnt ein neues Gespräch")).to_be_visible()
    await expect(chat.line(INTAKE_DE[0][1])).to_have_count(2)  # the first question, again
    await chat.click_answer("one", ["Deutsch"])
    await expect(chat.line(INTAKE_DE[1][1])).to_have_count(2)


async def test_a_person_completes_the_intake_by_keyboard_only(server: Server, page: Page) -> None:
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    focus_lost: list[str] = []  # questions after whose answer the focus fell back to <body>

    async def announced(question: str) -> None:
        """The question arrives in the polite live region, and the focus stays in the chat."""
        await chat.wait_for_question(question)
        line = chat.line(question).last
        live = await line.evaluate(
            "el => { const r = el.closest('[aria-live]'); "
            "return r ? r.getAttribute('aria-live') : null; }"
        )
        await expect(page.locator("[role=log]")).to_have_attribute("aria-live", "polite")
        assert live in ("polite", "off"), f"{question!r} is not in a live region"
        await page.wait_for_timeout(100)  # the composer renders 40 ms after a message
        if (await chat.focus_state()) is None:
            focus_lost.append(question)

    await chat.wait_for_question(INTAKE_DE[0][1])
    for index, (kind, question, labels) in enumerate(INTAKE_DE):
        if index:
            await announced(question)
        if kind == "one":
            target = chat.composer.get_by_role("button", name=labels[0], exact=True)
            if index == 1:
                # Overshoot to "Nein", come back with Shift+Tab, and press Space.
                await chat.tab_to(chat.composer.get_by_role("button", name="Nein", exact=True))
                await page.keyboard.press("Shift+Tab")
                assert await target.evaluate("el => el === document.activeElement")
                await chat.assert_focus_visible()
                await page.keyboard.press("Space")
            else:
                await chat.tab_to(target)
                await page.keyboard.press("Enter")
        elif kind == "many":
            for label in labels:
                box = chat.composer.get_by_role("checkbox", name=label, exact=True)
                await chat.tab_to(box)
                await page.keyboard.press("Space")
                await expect(box).to_be_checked()
            await chat.tab_to(chat.composer.get_by_role("button", name=DONE, exact=True))
            await page.keyboard.press("Enter")
        else:
            await chat.tab_to(chat.composer.get_by_label("Ihre Antwort", exact=True))
            await page.keyboard.type(labels[0])
            await chat.tab_to(chat.composer.get_by_role("button", name=SEND, exact=True))
            await page.keyboard.press("Enter")
        await expect(chat.own_lines(", ".join(labels)).last).to_be_visible()

    assert CASE_CODE.fullmatch(await chat.case_code())
    await expect(chat.line(RESPONSE_TIME_DE)).to_be_visible()
    handover = await chat.log.locator("li.msg--bot").last.evaluate(
        "el => el.closest('[aria-live]').getAttribute('aria-live')"
    )
    assert handover == "polite"
    # After an answer the next question's first control (or the composer) should have the
    # focus, as chat.js intends; <body> means a keyboard user starts over from the top in
    # browsers without a focus navigation starting point (Chromium happens to have one).
    assert not focus_lost, f"the focus fell back to <body> after answering: {focus_lost}"


# ============================================================================ coming back


async def test_the_case_code_brings_the_conversation_back_on_a_new_device(
    server: Server, page: Page
) -> None:
    code = await intake_over_websocket(server)  # done earlier, on another device

    chat = Chat(page)  # a fresh context: nothing stored in this browser
    await chat.open(f"{server.url}/chat")
    await chat.wait_for_question(INTAKE_DE[0][1])
    await page.get_by_label(CASE_CODE_FIELD, exact=True).fill(code.lower().replace("-", " "))
    await page.get_by_role("button", name=RESUME).click()

    await expect(chat.own_lines(ACCOUNT_DE)).to_have_count(1)
    await expect(chat.own_lines("Garbsen")).to_have_count(1)
    await expect(chat.log.locator(".case-code-value")).to_have_text(code)

    message = "Ich habe noch eine Frage zur Frist."
    await chat.composer.get_by_label(MESSAGE_LABEL).fill(message)
    await chat.composer.get_by_role("button", name=SEND, exact=True).click()
    mine = chat.own_lines(message)
    await expect(mine).to_have_count(1)
    await expect(mine.get_by_text(SENDING)).to_have_count(0)  # acknowledged by the server

    await page.reload()  # this device can now reread the conversation
    await expect(chat.own_lines(message)).to_have_count(1)
    await expect(chat.own_lines(ACCOUNT_DE)).to_have_count(1)


async def test_the_chat_reconnects_by_itself_and_sends_a_pending_answer_once(
    make_server: Callable[..., Server], page: Page, shots: Path
) -> None:
    server = make_server()
    await server.astart()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse(UP_TO_ACCOUNT)
    await chat.wait_for_question(ACCOUNT_QUESTION)

    server.kill()
    status = page.get_by_role("status").filter(has_text="Verbindung unterbrochen")
    await expect(status).to_be_visible()
    await chat.composer.get_by_label("Ihre Antwort", exact=True).fill(ACCOUNT_DE)
    await chat.composer.get_by_role("button", name=SEND, exact=True).click()
    mine = chat.own_lines(ACCOUNT_DE)
    await expect(mine).to_have_count(1)
    await expect(mine.get_by_text(SENDING)).to_be_visible()  # shown as pending
    await shot(page, shots, "offline-pending")

    await server.astart()  # same port, same data directory
    await expect(chat.line(AFTER_ACCOUNT_QUESTION).last).to_be_visible(timeout=40_000)
    await expect(mine.get_by_text(SENDING)).to_have_count(0)
    await expect(chat.own_lines(ACCOUNT_DE)).to_have_count(1)

    await page.reload()  # the history as the server has it
    await chat.wait_for_question(AFTER_ACCOUNT_QUESTION)
    await expect(chat.own_lines(ACCOUNT_DE)).to_have_count(1)
    await expect(chat.line(ACCOUNT_QUESTION)).to_have_count(1)


# ============================================================================ no JavaScript


async def test_the_intake_works_without_javascript_and_a_resubmit_counts_once(
    server: Server, make_context: MakeContext, shots: Path
) -> None:
    context = await make_context(java_script_enabled=False)
    page = await context.new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await expect(page.get_by_text("Ohne JavaScript merkt sich dieses Gerät")).to_be_visible()
    await chat.composer.get_by_role("button", name="Chat beginnen").click()

    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.post_data or "") if r.method == "POST" else None)
    await chat.answer_by_mouse(INTAKE_DE[:2])
    consent_form = posts[-1]

    # The browser sends the last form again (F5 on a POST result) …
    await page.reload()
    await chat.wait_for_question(INTAKE_DE[2][1])
    # … and an old tab submits the consent form once more.
    resent = await context.request.post(
        f"{server.url}/chat",
        data=consent_form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resent.ok

    await chat.answer_by_mouse(INTAKE_DE[2:])
    assert CASE_CODE.fullmatch(await chat.case_code())
    await expect(chat.line(RESPONSE_TIME_DE)).to_be_visible()
    await shot(page, shots, "handover-nojs")
    for _, _, labels in INTAKE_DE:
        await expect(chat.own_lines(", ".join(labels))).to_have_count(1)
    await expect(chat.line(INTAKE_DE[2][1])).to_have_count(1)

    await page.reload()  # the handover form again: still one of everything
    await expect(chat.own_lines(INTAKE_DE[1][2][0])).to_have_count(1)
    await expect(chat.own_lines(ACCOUNT_DE)).to_have_count(1)


UNDER_THE_BAR_JS = """() => {
  const bar = document.querySelector('.exit-bar').getBoundingClientRect();
  const own = [...document.querySelectorAll('#chat-messages li.msg--person')].pop();
  const reply = own.nextElementSibling.getBoundingClientRect();
  const box = own.getBoundingClientRect();
  return {bar: bar.bottom, own: box.top, ownBottom: box.bottom, reply: reply.top,
          scrolled: window.scrollY, height: window.innerHeight};
}"""


@pytest.mark.parametrize(
    ("lang", "width", "height"),
    [("de", 390, 844), ("de", 195, 422), ("ar", 390, 844), ("ar", 195, 422)],
    ids=["de-390", "de-200pct-zoom", "ar-390", "ar-200pct-zoom"],
)
async def test_without_javascript_the_own_line_opens_right_under_the_exit_bar(
    server: Server,
    rtl_server: Server,
    make_context: MakeContext,
    shots: Path,
    lang: str,
    width: int,
    height: int,
) -> None:
    # After each answer the page opens at #latest: the person's own line must not be under
    # the sticky quick-exit bar, and the reply follows it. 195x422 is a 390 px phone at
    # 200 % zoom.
    context = await make_context(
        java_script_enabled=False, viewport={"width": width, "height": height}
    )
    page = await context.new_page()
    chat = Chat(page)
    if lang == "de":
        await chat.open(f"{server.url}/chat?lang=de")
        await page.locator("#answer-form button[value=start]").click()
        await chat.answer_by_mouse(INTAKE_DE[1:3])
    else:
        await chat.open(f"{rtl_server.url}/chat?lang=ar")
        await expect(page.locator("html")).to_have_attribute("dir", "rtl")
        await page.locator("#answer-form button[value=start]").click()
        for _ in range(2):
            before = await page.locator("#chat-messages li").count()
            await page.locator("#composer fieldset.choices button").first.click()
            await expect(page.locator("#chat-messages li")).not_to_have_count(before)
    at = await page.evaluate(UNDER_THE_BAR_JS)
    await page.screenshot(path=str(shots / f"latest-nojs-{lang}-{width}.png"))
    assert at["scrolled"] > 0, at  # the page did scroll to the newest lines
    assert at["own"] >= at["bar"], f"the own line starts under the exit bar: {at}"
    assert at["own"] - at["bar"] < 24, f"the own line is not right under the bar: {at}"
    assert at["reply"] < at["height"], f"the reply is below the screen: {at}"


OWN_LINE_AND_BAR_JS = """() => {
  const bar = document.querySelector('.exit-bar').getBoundingClientRect();
  const own = [...document.querySelectorAll('#chat-messages li.msg--person')].pop();
  const reply = own && own.nextElementSibling;
  if (!reply) return null;
  const box = own.getBoundingClientRect();
  return {bar: bar.bottom, own: box.top, ownBottom: box.bottom,
          reply: reply.getBoundingClientRect().top, height: window.innerHeight};
}"""

MOVED_ON_JS = """() => {
  const focused = document.activeElement;
  return !!focused && focused.matches('#composer-body button, li.msg--crisis');
}"""


@pytest.mark.parametrize(
    ("lang", "width", "height", "size"),
    [
        ("de", 390, 844, "1"),
        ("uk", 390, 844, "1"),
        ("uk", 195, 422, "1"),
        ("tr", 390, 844, "3"),
    ],
    ids=["de-390", "uk-390", "uk-200pct-zoom", "tr-largest-text"],
)
async def test_the_own_answer_and_the_reply_are_not_under_the_exit_bar(
    server: Server,
    make_context: MakeContext,
    shots: Path,
    lang: str,
    width: int,
    height: int,
    size: str,
) -> None:
    # Found on a phone: after an answer the reply was scrolled to just below the sticky
    # quick-exit bar, and the person's own answer right above it ended up under the bar.
    # The bar is taller in some languages, zoomed (195x422 is a 390 px phone at 200 %) and
    # at the page's largest text; the own line and the start of the reply are below it in
    # all of them, for an ordinary question and for the crisis box ("Ja" to danger).
    page = await (await make_context(viewport={"width": width, "height": height})).new_page()
    await page.goto(f"{server.url}/chat?lang={lang}")
    answers = page.locator("#composer fieldset.choices button")
    await expect(answers).to_have_count(2)
    if size != "1":
        await open_settings(page)
        await page.locator(f"#text-size button[data-size='{size}']").click()
        await expect(page.locator("html")).to_have_attribute("data-text-size", size)
    for step, (answer, then) in enumerate(
        [
            ("#composer button[value='choice:accept']", "li.msg--bot"),
            ("#composer button[value='choice:yes']", "li.msg--crisis"),
        ]
    ):
        before = await page.locator(then).count()
        await page.locator(answer).click()
        await expect(page.locator(then)).not_to_have_count(before)
        # The page scrolls as the focus moves on to what came: the next answers, or the
        # crisis box.
        await page.wait_for_function(MOVED_ON_JS)
        at = await page.evaluate(OWN_LINE_AND_BAR_JS)
        assert at["own"] >= at["bar"], f"the own line is under the exit bar: {at}"
        assert at["ownBottom"] <= at["reply"] < at["height"], f"the reply is not in view: {at}"
        await page.screenshot(path=str(shots / f"own-line-{lang}-{width}-{size}-{step}.png"))


# ============================================================================ quick exit


async def _answer_a_few_on_a_remembered_device(server: Server, page: Page) -> Chat:
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.wait_for_question(INTAKE_DE[0][1])
    await page.get_by_label(REMEMBER).check()
    await open_settings(page)
    await page.get_by_role("button", name=LARGE_TEXT).click()
    await chat.answer_by_mouse(INTAKE_DE[:3])
    stored = await page.evaluate("() => [sessionStorage.length, localStorage.length]")
    assert stored[0] > 0 and stored[1] > 0, "the device did not remember the chat"
    return chat


async def _left_without_a_trace(server: Server, context: BrowserContext, page: Page) -> None:
    await page.wait_for_url(server.exit_url)
    # The exit page is on the chat's own origin here, so its storage is the chat's storage.
    stored = await page.evaluate("() => [sessionStorage.length, localStorage.length]")
    assert stored == [0, 0], f"storage left behind: {stored}"
    await expect(page.locator("body")).to_contain_text('"ok"')
    # The chat was replaced in the tab's history: Back does not bring it up again.
    await page.go_back()
    assert "/chat" not in page.url, f"Back returned to the chat: {page.url}"

    again = await context.new_page()
    chat = Chat(again)
    await chat.open(f"{server.url}/chat")
    await chat.wait_for_question(INTAKE_DE[0][1])
    await expect(chat.log.locator("li.msg--person")).to_have_count(0)
    await expect(chat.line(INTAKE_DE[1][1])).to_have_count(0)
    await expect(again.get_by_label(REMEMBER)).not_to_be_checked()
    assert await again.evaluate("() => localStorage.length") == 0


async def test_escape_leaves_at_once_and_forgets_the_device(
    server: Server, context: BrowserContext, page: Page
) -> None:
    chat = await _answer_a_few_on_a_remembered_device(server, page)
    await chat.composer.get_by_role("button", name=INTAKE_DE[3][2][0]).focus()
    await page.keyboard.press("Escape")
    await _left_without_a_trace(server, context, page)


async def test_the_quick_exit_button_leaves_and_forgets_the_device(
    server: Server, context: BrowserContext, page: Page
) -> None:
    await _answer_a_few_on_a_remembered_device(server, page)
    await page.get_by_role("link", name=QUICK_EXIT).click()
    await _left_without_a_trace(server, context, page)


# ============================================================================ axe-core


async def test_no_wcag_violations_in_german_at_start_on_choices_and_after_handover(
    server: Server, make_context: MakeContext, shots: Path
) -> None:
    page = await (await make_context(bypass_csp=True)).new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.wait_for_question(INTAKE_DE[0][1])
    await assert_accessible(page, "at the start (de)")
    await chat.answer_by_mouse(INTAKE_DE[:4])
    await chat.wait_for_question(INTAKE_DE[4][1])  # tick boxes
    await chat.composer.get_by_role("checkbox").first.check()
    await assert_accessible(page, "with a multiple-choice question (de)")
    await shot(page, shots, "choices-de")
    await chat.composer.get_by_role("checkbox").first.uncheck()
    await chat.answer_by_mouse(INTAKE_DE[4:])
    await chat.case_code()
    await assert_accessible(page, "after the handover (de)")
    await page.get_by_role("button", name="Gespräch löschen …").click()
    await expect(page.get_by_role("dialog")).to_be_visible()
    await assert_accessible(page, "with the delete dialog open (de)")


async def test_no_wcag_violations_in_leichte_sprache(
    server: Server, make_context: MakeContext, shots: Path
) -> None:
    page = await (await make_context(bypass_csp=True)).new_page()
    chat = Chat(page, log="Das Gespräch bis jetzt")
    await chat.open(f"{server.url}/chat?lang=ls")
    await open_settings(page)
    await expect(page.get_by_text("Leichte Sprache").first).to_be_visible()
    # Chosen by the link: the chat goes straight to the consent, not asking the language.
    await chat.wait_for_question("Wir speichern nur Ihre Antworten in diesem Chat.")
    await expect(chat.line(INTAKE_DE[0][1])).to_have_count(0)
    await page.get_by_text("Mehr lesen").last.click()  # the consent's legal detail
    await expect(page.get_by_text("Datenschutz-Grundverordnung")).to_be_visible()
    await assert_accessible(page, "in Leichte Sprache")
    await shot(page, shots, "ls")


async def test_no_wcag_violations_in_arabic_right_to_left(
    rtl_server: Server, make_context: MakeContext, shots: Path
) -> None:
    page = await (await make_context(bypass_csp=True, locale="ar")).new_page()
    chat = Chat(page)
    await chat.open(f"{rtl_server.url}/chat?lang=ar")
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page.locator("html")).to_have_attribute("lang", "ar")
    log = page.get_by_role("log", name="سجل المحادثة")
    first = log.get_by_role("listitem").first
    await expect(first).to_be_visible()
    # Whatever language the question comes in, it is marked, so it is read out right.
    assert await first.locator("p").get_attribute("lang") in ("ar", "de")
    await assert_accessible(page, "in Arabic (rtl)")
    await page.get_by_role("region", name="إجابتك").get_by_role("button").first.click()
    await expect(log.get_by_role("listitem")).not_to_have_count(1)
    await assert_accessible(page, "in Arabic after an answer (rtl)")
    await shot(page, shots, "ar")


@pytest.mark.parametrize("lang", ["de", "ar"])
async def test_no_wcag_violations_in_the_accessibility_statement(
    server: Server, make_context: MakeContext, lang: str
) -> None:
    page = await (await make_context(bypass_csp=True)).new_page()
    await page.goto(f"{server.url}/chat/accessibility?lang={lang}")
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    # No placeholder address ships: without the setting the statement says it is missing.
    await expect(page.locator("#feedback-contact-missing")).to_be_visible()
    await expect(page.get_by_text("example.org")).to_have_count(0)
    await assert_accessible(page, f"on the accessibility statement ({lang})")


async def test_the_footer_links_on_every_page_and_every_page_is_accessible(
    make_server: Callable[..., Server], make_context: MakeContext
) -> None:
    """Chat (with and without JavaScript), embed, statements, our imprint page and the
    console: each footer links the privacy notice, the imprint and the accessibility
    statement, each link leads somewhere, and axe-core finds nothing."""
    server = make_server(
        ANLAUFSTELLE_WEBCHAT__ACCESSIBILITY_CONTACT="barrieren@region.example",
        ANLAUFSTELLE_LEGAL__PRIVACY_TEXT=json.dumps({"de": "Verantwortlich ist die Region."}),
        ANLAUFSTELLE_LEGAL__IMPRINT_TEXT=json.dumps({"de": "Region Hannover", "en": "Region"}),
        # An SMTP server makes the statement offer its feedback form (nothing is sent here).
        ANLAUFSTELLE_NOTIFICATIONS__SMTP_HOST="127.0.0.1",
    )
    server.start()
    context = await make_context(bypass_csp=True)
    page = await context.new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.wait_for_question(INTAKE_DE[0][1])
    footer = page.get_by_role("contentinfo")
    for name in ("Datenschutzerklärung", "Impressum", "Erklärung zur Barrierefreiheit"):
        await expect(footer.get_by_role("link", name=name)).to_be_visible()
    # The bot's lines say they are automatic, visibly.
    await expect(page.get_by_text("Automatische Antwort").first).to_be_visible()
    await assert_accessible(page, "on the chat with its footer")
    # The language switch moves the footer links to the new language.
    await open_settings(page)
    await page.locator("#language-form").get_by_role("button", name="English").click()
    await expect(footer.get_by_role("link", name="Imprint (legal notice)")).to_have_attribute(
        "href", "/chat/imprint?lang=en"
    )
    await footer.get_by_role("link", name="Imprint (legal notice)").click()
    await expect(
        page.get_by_role("heading", level=1, name="Imprint (legal notice)")
    ).to_be_visible()
    await expect(page.locator("#legal-text")).to_have_text("Region")
    await assert_accessible(page, "on our imprint page (en)")
    await page.goto(f"{server.url}/chat/privacy?lang=ls&embed=1")
    await expect(page.locator("#legal-text")).to_contain_text("Verantwortlich ist die Region.")
    await assert_accessible(page, "on our privacy page in Leichte Sprache, embedded")
    links = page.get_by_role("contentinfo").get_by_role("link")
    assert [await a.get_attribute("href") for a in await links.all()] == [
        "/chat/privacy?lang=ls&embed=1",
        "/chat/imprint?lang=ls&embed=1",
        "/chat/accessibility?lang=ls&embed=1",
    ]
    no_js = await (await make_context(java_script_enabled=False, bypass_csp=True)).new_page()
    await no_js.goto(f"{server.url}/chat")
    await no_js.get_by_role("button", name="Chat beginnen").click()
    await expect(no_js.get_by_text("Automatische Antwort").first).to_be_visible()
    for name in ("Datenschutzerklärung", "Impressum", "Erklärung zur Barrierefreiheit"):
        await expect(
            no_js.get_by_role("contentinfo").get_by_role("link", name=name)
        ).to_be_visible()
    await page.goto(f"{server.url}/chat/accessibility")
    form = page.locator("#feedback-form")
    await expect(form.get_by_role("textbox", name="Ihre Rückmeldung")).to_be_visible()
    await form.get_by_role("button", name="Rückmeldung senden").click()  # empty: refused
    await expect(page.locator("#feedback-error")).to_have_text(
        "Bitte schreiben Sie zuerst Ihre Rückmeldung."
    )
    await assert_accessible(page, "on the statement's feedback form with an error")
    await page.goto(f"{server.url}/console/login")
    await (
        page.get_by_role("contentinfo")
        .get_by_role("link", name="Erklärung zur Barrierefreiheit")
        .click()
    )
    await expect(page.get_by_role("link", name="barrieren@region.example")).to_be_visible()
    await assert_accessible(page, "on the console's accessibility statement")
    await page.get_by_role("contentinfo").get_by_role("link", name="Impressum").click()
    await expect(page.locator("#legal-text")).to_have_text("Region Hannover")


# ============================================================================ reflow, motion


NO_HSCROLL = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


async def _no_horizontal_scrolling(page: Page, where: str) -> None:
    scroll, client = await page.evaluate(NO_HSCROLL)
    assert scroll <= client, f"{where}: {scroll}px wide content in a {client}px viewport"


@pytest.mark.parametrize(
    ("width", "height", "scale"),
    [(320, 640, 1), (640, 480, 2)],
    ids=["320px", "200pct-zoom"],
)
async def test_the_chat_reflows_without_horizontal_scrolling(
    server: Server, make_context: MakeContext, shots: Path, width: int, height: int, scale: int
) -> None:
    context = await make_context(
        viewport={"width": width, "height": height}, device_scale_factor=scale
    )
    page = await context.new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.wait_for_question(INTAKE_DE[0][1])
    await _no_horizontal_scrolling(page, "at the start")
    await chat.answer_by_mouse(INTAKE_DE[:5])
    await chat.wait_for_question(INTAKE_DE[5][1])  # 23 towns
    await _no_horizontal_scrolling(page, "with many choices")
    await open_settings(page)
    await page.get_by_role("button", name=VERY_LARGE_TEXT).click()
    await _no_horizontal_scrolling(page, "with very large text")
    await shot(page, shots, f"reflow-{width}")
    await page.goto(f"{server.url}/chat/accessibility")
    await _no_horizontal_scrolling(page, "on the accessibility statement")


MOTION_JS = """() => {
  const slow = [];
  const seconds = v => Math.max(...v.split(',').map(
    s => parseFloat(s) * (s.trim().endsWith('ms') ? 0.001 : 1)));
  const name = el => el.className || el.tagName;
  for (const el of document.querySelectorAll('body, body *')) {
    const s = getComputedStyle(el);
    if (s.animationName !== 'none' && seconds(s.animationDuration) > 0.01)
      slow.push([name(el), 'animation', s.animationName, s.animationDuration]);
    if (s.transitionProperty !== 'none' && seconds(s.transitionDuration) > 0.01)
      slow.push([name(el), 'transition', s.transitionProperty, s.transitionDuration]);
  }
  for (const a of document.getAnimations())
    if (a.playState === 'running') slow.push(['running', String(a.animationName || a.id)]);
  return slow;
}"""


async def test_reduced_motion_means_no_animation(server: Server, make_context: MakeContext) -> None:
    page = await (await make_context(reduced_motion="reduce")).new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse(INTAKE_DE[:3])
    await chat.wait_for_question(INTAKE_DE[3][1])
    assert await page.locator("#chat-messages li").count() >= 5
    moving: list[Any] = await page.evaluate(MOTION_JS)
    assert not moving, f"animated despite prefers-reduced-motion: {moving}"


# ============================================================================ privacy


async def test_no_third_party_request_and_no_cookie(
    server: Server, make_context: MakeContext
) -> None:
    context = await make_context()
    seen: list[str] = []
    context.on("request", lambda r: seen.append(r.url))
    page = await context.new_page()
    sockets: list[str] = []

    def on_ws(ws: WebSocket) -> None:
        sockets.append(ws.url)

    page.on("websocket", on_ws)
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse(INTAKE_DE[:3])
    await open_settings(page)
    await page.get_by_role("button", name=LARGE_TEXT).click()
    await page.get_by_role("link", name="Erklärung zur Barrierefreiheit").click()
    await expect(page.get_by_role("heading", level=1)).to_be_visible()

    own = (f"{server.url}/", f"ws://127.0.0.1:{server.port}/")
    foreign = [u for u in seen + sockets if not u.startswith(own)]
    assert seen and sockets
    assert not foreign, f"requests to other hosts: {foreign}"
    assert await context.cookies() == []


# ============================================================================ Escape and Back


async def test_escape_in_the_text_field_keeps_what_is_typed(
    server: Server, make_context: MakeContext
) -> None:
    page = await (await make_context()).new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse(UP_TO_ACCOUNT)
    await chat.wait_for_question(ACCOUNT_QUESTION)
    field = chat.composer.get_by_label(ANSWER_LABEL, exact=True)
    await field.fill("Ich habe schon viel geschrieben")
    await field.press("Escape")  # "never mind" in a field, or a screen reader's own key
    await page.wait_for_timeout(500)
    assert page.url.startswith(f"{server.url}/chat"), page.url
    await expect(field).to_have_value("Ich habe schon viel geschrieben")
    await page.get_by_role("link", name=QUICK_EXIT).focus()
    await page.keyboard.press("Escape")  # outside a field it still leaves at once
    await page.wait_for_url(lambda url: "/chat" not in url)


async def test_the_esc_hint_is_for_keyboards_not_touch_screens(
    server: Server, make_context: MakeContext
) -> None:
    touch = await (await make_context(has_touch=True, is_mobile=True)).new_page()
    await touch.goto(f"{server.url}/chat")
    await expect(touch.locator("#quick-exit")).to_be_visible()
    await expect(touch.locator("#quick-exit-hint")).to_be_hidden()
    desk = await (await make_context(viewport={"width": 1280, "height": 800})).new_page()
    await desk.goto(f"{server.url}/chat")
    await expect(desk.locator("#quick-exit-hint")).to_be_visible()


async def test_back_after_the_quick_exit_without_javascript_shows_no_conversation(
    server: Server, make_context: MakeContext
) -> None:
    page = await (await make_context(java_script_enabled=False)).new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.composer.get_by_role("button", name="Chat beginnen").click()
    await chat.answer_by_mouse(INTAKE_DE[:3])
    await expect(chat.own_lines("Nein")).to_be_visible()
    await page.get_by_role("link", name=QUICK_EXIT).click()
    await page.wait_for_url(lambda url: "/chat" not in url)
    # The chat's pages are answers to form posts and never stored: Chromium shows its
    # "confirm form resubmission" page (ERR_CACHE_MISS) instead of the conversation.
    with pytest.raises(PlaywrightError, match="ERR_CACHE_MISS"):
        await page.go_back()
    text = await page.locator("body").inner_text()
    assert "Sind Sie gerade jetzt in Gefahr?" not in text and "Nein" not in text.split(), text


# ============================================================================ the answer


async def test_the_counsellors_answer_is_noticed(server: Server, make_context: MakeContext) -> None:
    page = await (await make_context()).new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse(INTAKE_DE)
    await chat.case_code()
    # The code box says how to come back for the answer, rather than to wait here.
    await expect(page.locator("main")).to_contain_text("Sie müssen nicht hier warten")
    await page.evaluate("window.scrollTo(0, 0)")  # reading the start of the conversation
    # The person switched to another tab (as the page sees it when it is in the background).
    await page.evaluate(
        "() => { Object.defineProperty(document, 'hidden', { value: true, configurable: true });"
        " document.dispatchEvent(new Event('visibilitychange')); }"
    )
    await server.counsellor_reply("Guten Tag, hier ist Frau M. von der Beratung.")
    answer = chat.line("Guten Tag, hier ist Frau M.")
    await expect(answer).to_be_visible(timeout=10_000)
    await expect(answer).to_be_in_viewport()  # scrolled into view, not somewhere below
    assert (await page.title()).startswith("(1) "), await page.title()
    await page.evaluate(
        "() => { Object.defineProperty(document, 'hidden', { value: false, configurable: true });"
        " document.dispatchEvent(new Event('visibilitychange')); }"
    )
    await expect(page).to_have_title(re.compile(r"^(?!\(\d+\) )"))


async def test_not_sure_goes_only_on_its_own_and_the_question_is_said_once(
    server: Server, make_context: MakeContext
) -> None:
    page = await (await make_context()).new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse(INTAKE_DE[:4])
    await chat.wait_for_question(INTAKE_DE[4][1])  # life area: several answers
    # The question and its "several answers" sentence are in the bubble, not again below it.
    await expect(chat.line("Sie können mehrere Antworten wählen.")).to_have_count(1)
    await expect(chat.composer.locator("#several-hint")).to_have_count(0)
    await expect(chat.composer.locator("legend")).to_have_class("visually-hidden")
    housing = chat.composer.get_by_role("checkbox", name="Wohnen oder Wohnungssuche")
    unsure = chat.composer.get_by_role("checkbox", name="Nicht sicher oder möchte ich nicht sagen")
    work = chat.composer.get_by_role("checkbox", name="Arbeit oder Jobsuche")
    await housing.check()
    await unsure.check()
    await expect(housing).not_to_be_checked()  # unticked, and said so
    await expect(chat.composer.get_by_role("status")).to_contain_text("Wohnen oder Wohnungssuche")
    await work.check()
    await expect(unsure).not_to_be_checked()
    await chat.composer.get_by_role("button", name=DONE, exact=True).click()
    await chat.wait_for_question(INTAKE_DE[5][1])  # taken: no error, the next question


async def test_done_without_a_tick_shows_why_where_the_person_is(
    server: Server, make_context: MakeContext, shots: Path
) -> None:
    # On a phone the 13 boxes are taller than the screen: the person has scrolled down to
    # "Fertig", and the message above the boxes was out of sight (the focus stayed put).
    page = await (await make_context()).new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse(INTAKE_DE[:4])
    await chat.wait_for_question(INTAKE_DE[4][1])  # life area: at least one answer
    await chat.composer.get_by_role("button", name=DONE, exact=True).click()
    error = chat.composer.get_by_role("alert")
    await expect(error).to_have_text("Bitte wählen Sie mindestens eine Antwort.")
    await expect(error).to_be_in_viewport(ratio=1)
    # … and not under the quick exit bar, which stays at the top of the screen.
    below_bar = (
        "e => e.getBoundingClientRect().top >="
        " document.querySelector('.exit-bar').getBoundingClientRect().bottom"
    )
    assert await error.evaluate(below_bar), "the message is under the quick exit bar"
    first = chat.composer.get_by_role("checkbox").first
    await expect(first).to_be_focused()
    await expect(first).to_be_in_viewport(ratio=1)
    await page.screenshot(path=str(shots / "choices-none-ticked.png"))
    await page.keyboard.press("Space")  # the focused box, ticked where it is
    await chat.composer.get_by_role("button", name=DONE, exact=True).click()
    await chat.wait_for_question(INTAKE_DE[5][1])


@pytest.mark.parametrize("scripts", [True, False], ids=["js", "no-js"])
async def test_an_empty_send_on_the_optional_account_says_it_was_skipped(
    server: Server, make_context: MakeContext, shots: Path, scripts: bool
) -> None:
    # Senden with nothing typed skips the optional question (as the engine takes it); the
    # person sees it as if they had pressed "Überspringen", not a next question out of
    # nowhere, and the line stays in the conversation (the server's, after a reload).
    page = await (await make_context(java_script_enabled=scripts)).new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    if not scripts:
        await chat.composer.get_by_role("button", name="Chat beginnen").click()
    await chat.answer_by_mouse(UP_TO_ACCOUNT)
    await chat.wait_for_question(ACCOUNT_QUESTION)
    await chat.composer.get_by_role("button", name=SEND, exact=True).click()
    await chat.wait_for_question(AFTER_ACCOUNT_QUESTION)
    skipped = texts.text("de", "skipped")
    await expect(chat.own_lines(skipped)).to_have_count(1)
    await page.screenshot(path=str(shots / f"account-empty-send-{'js' if scripts else 'nojs'}.png"))
    await page.reload()
    await chat.wait_for_question(AFTER_ACCOUNT_QUESTION)
    await expect(chat.own_lines(skipped)).to_have_count(1)
    await expect(chat.log.locator("li.msg--person p.msg-text:empty")).to_have_count(0)


async def test_one_language_choice_for_the_chat_and_the_page(
    server: Server, make_context: MakeContext
) -> None:
    # A German browser; the person picks English in the chat's first question.
    page = await (await make_context()).new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.wait_for_question(INTAKE_DE[0][1])
    await chat.composer.get_by_role("button", name="English", exact=True).click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("link", name="Quick exit")).to_be_visible()
    await expect(page.get_by_text("This is the Anti-Discrimination Office")).to_be_visible()
    # An English browser gets the English page from the start.
    english = await (await make_context(locale="en-GB")).new_page()
    await english.goto(f"{server.url}/chat")
    await expect(english.locator("html")).to_have_attribute("lang", "en")


async def test_the_browsers_language_is_offered_first_and_a_page_choice_answers_it(
    server: Server, make_context: MakeContext, shots: Path
) -> None:
    # A Turkish phone: the page speaks Turkish, and the chat offers Türkçe first.
    page = await (await make_context(bypass_csp=True, locale="tr-TR")).new_page()
    chat = Chat(page)
    # The log's and the composer's names follow the page's language: find them by place.
    chat.log = page.get_by_role("log")
    chat.composer = page.locator("#composer")
    await chat.open(f"{server.url}/chat")
    await chat.wait_for_question(INTAKE_DE[0][1])
    first = chat.composer.locator("fieldset.choices button").first
    await expect(first).to_have_text("Türkçe")
    await expect(first).to_have_class(re.compile(r"\bbtn-suggested\b"))
    await expect(page.locator("html")).to_have_attribute("lang", "tr")
    quick_exit = texts.text("tr", "quick_exit")
    await expect(page.get_by_role("link", name=quick_exit)).to_be_visible()
    await assert_accessible(page, "with a pre-selected language")
    await shot(page, shots, "language-guessed")

    # Choosing English in the page's settings while the question waits answers it.
    await open_settings(page)
    await page.locator('#language-form button[data-lang="en"]').click()
    await chat.wait_for_question("• We only store your answers")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    more = page.locator("li.msg details.more").last
    await more.locator("summary").click()
    await expect(more).to_contain_text("Art. 9 GDPR")


@pytest.mark.parametrize("language", ["de", "en", "ar"])
async def test_the_intro_and_the_consent_with_its_answers_fit_one_phone_screen(
    server: Server, make_context: MakeContext, shots: Path, language: str
) -> None:
    # A 390 px phone opened on a language link ("?lang=de" on the office's page): the
    # language question is answered, the office's intro and the consent come first, and
    # both answers are on the first screen. (Leichte Sprache says more, in short lines: its
    # consent needs one scroll.)
    context = await make_context(has_touch=True, is_mobile=True)
    page = await context.new_page()
    await page.goto(f"{server.url}/chat?lang={language}")
    answers = page.locator("#composer fieldset.choices button")
    await expect(answers).to_have_count(2)
    assert await page.evaluate("window.scrollY") == 0
    await expect(page.locator(".msg--bot").first).to_be_in_viewport()
    for i in range(2):
        await expect(answers.nth(i)).to_be_in_viewport(ratio=1)
    if language == "de":
        await shot(page, shots, "consent-390")


async def test_without_javascript_the_consent_and_its_answers_are_on_one_phone_screen(
    server: Server, make_context: MakeContext
) -> None:
    page = await (await make_context(java_script_enabled=False)).new_page()
    await page.goto(f"{server.url}/chat?lang=de")
    await page.locator("#answer-form button[value=start]").click()
    answers = page.locator("#composer fieldset.choices button")
    await expect(answers).to_have_count(2)
    await expect(page.locator(".msg--bot").last).to_be_in_viewport(ratio=1)
    for i in range(2):
        await expect(answers.nth(i)).to_be_in_viewport(ratio=1)


async def test_a_person_who_declines_consent_can_call_write_or_visit_the_office(
    make_server: Callable[..., Server], make_context: MakeContext, shots: Path
) -> None:
    server = make_server(
        ANLAUFSTELLE_OFFICE_CONTACT__PHONE="0511 616-12345",
        ANLAUFSTELLE_OFFICE_CONTACT__EMAIL="beratung@region-hannover.example",
        ANLAUFSTELLE_OFFICE_CONTACT__WEB_URL="https://www.region-hannover.example/antidiskriminierung",
        ANLAUFSTELLE_OFFICE_CONTACT__ADDRESS="Hildesheimer Straße 20, 30169 Hannover",
    )
    server.start()
    page = await (await make_context(bypass_csp=True)).new_page()  # axe-core runs inline
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse([*INTAKE_DE[:1], ("one", INTAKE_DE[1][1], ["Nein"])])
    farewell = chat.line("Sie können jederzeit wiederkommen")
    await expect(farewell).to_contain_text("Adresse: Hildesheimer Straße 20, 30169 Hannover")
    phone = farewell.get_by_role("link", name="0511 616-12345")
    await expect(phone).to_have_attribute("href", "tel:051161612345")
    await expect(
        farewell.get_by_role("link", name="beratung@region-hannover.example")
    ).to_have_attribute("href", "mailto:beratung@region-hannover.example")
    web = farewell.get_by_role(
        "link", name="https://www.region-hannover.example/antidiskriminierung"
    )
    await expect(web).to_have_attribute(
        "href", "https://www.region-hannover.example/antidiskriminierung"
    )
    # On a phone: every link inside the screen, the number on one line.
    width = page.viewport_size["width"] if page.viewport_size else 390
    for link in (phone, web):
        box = await link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert (await phone.bounding_box() or {"height": 99})["height"] < 40
    # The emergency numbers in the same text: tap to call, as in the crisis box.
    for number in ("110", "112", "0800 111 0 111"):
        link = farewell.get_by_role("link", name=number, exact=True)
        await expect(link).to_have_attribute("href", "tel:" + number.replace(" ", ""))
    await assert_accessible(page, "after a declined consent")
    await shot(page, shots, "consent-declined-contact")
