"""A case opened with its code on a second phone, in Chromium with two browser contexts (two
devices): the first phone offers no text box whose message would go nowhere, but the code
to bring the conversation back, or a new conversation. And a page that comes back with the
code speaks the conversation's language, whatever language the browser has (390 px)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.e2e.helpers import require_playwright

require_playwright()

from playwright.async_api import Page, expect  # noqa: E402

from bot.conversation import case_texts  # noqa: E402
from bot.web import texts  # noqa: E402
from tests.e2e.chat import CASE_CODE_FIELD, MESSAGE_LABEL, RESUME, Chat  # noqa: E402
from tests.e2e.helpers import (  # noqa: E402
    INTAKE_FRAMES,
    MakeContext,
    Server,
    assert_accessible,
    intake_over_websocket,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.xdist_group("browser"),
]

ELSEWHERE_DE = case_texts.text("opened_elsewhere", "de")


async def _resume(page: Page, server: Server, code: str) -> Chat:
    """Open the chat on this device and enter the code under "Weitere Möglichkeiten" (by
    its field and button: their names are in the browser's language)."""
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    # By id: the log's name is in the browser's language.
    await expect(page.locator("#chat-messages li.msg--bot").first).to_be_visible()
    await page.locator("#case-code-input").fill(code)
    await page.locator('#resume-form button[value="resume"]').click()
    await expect(page.locator("#welcome-back")).to_be_visible()
    return chat


async def test_the_phone_that_held_the_case_offers_the_code_not_a_text_box(
    server: Server, make_context: MakeContext, shots: Path
) -> None:
    code = await intake_over_websocket(server)
    # bypass_csp only so axe-core can be injected.
    first = await _resume(await (await make_context(bypass_csp=True)).new_page(), server, code)
    await expect(first.composer.get_by_label(MESSAGE_LABEL, exact=True)).to_be_visible()

    second = await _resume(await (await make_context()).new_page(), server, code)

    # The first phone hears it, and its composer says where the conversation is now: no
    # text box, no "writing here reopens your case" (it was never closed).
    await expect(first.line(ELSEWHERE_DE)).to_be_visible()
    moved = first.composer.get_by_text(texts.text("de", "moved_away"))
    await expect(moved).to_be_visible()
    await expect(first.composer.get_by_label(MESSAGE_LABEL, exact=True)).to_have_count(0)
    await expect(first.page.get_by_text(texts.text("de", "case_closed"))).to_have_count(0)
    new_chat = first.composer.get_by_role("button", name=texts.text("de", "new_chat"))
    await expect(new_chat).to_be_visible()
    await moved.scroll_into_view_if_needed()
    await first.page.screenshot(path=str(shots / "second-device-first-phone.png"))
    await assert_accessible(first.page, "after the case was opened on another device")

    # The code brings the conversation back to this phone, from right where the person
    # looks; the other phone is told in turn and offers a new conversation explicitly.
    await first.composer.get_by_label(CASE_CODE_FIELD, exact=True).fill(code)
    await first.composer.get_by_role("button", name=RESUME).click()
    await expect(first.composer.get_by_label(MESSAGE_LABEL, exact=True)).to_be_visible()
    await expect(moved).to_have_count(0)
    await expect(first.page.locator("#more #resume-form")).to_have_count(1)
    await expect(second.line(ELSEWHERE_DE)).to_be_visible()
    await expect(second.composer.get_by_label(MESSAGE_LABEL, exact=True)).to_have_count(0)

    await second.composer.get_by_role("button", name=texts.text("de", "new_chat")).click()
    await expect(second.line("In welcher Sprache")).to_have_count(2)  # the old one and anew
    await expect(second.composer.get_by_text(texts.text("de", "moved_away"))).to_have_count(0)


@pytest.mark.parametrize("locale", ["tr-TR", "en-US"])
async def test_back_with_the_code_the_page_speaks_the_conversations_language(
    server: Server, make_context: MakeContext, shots: Path, locale: str
) -> None:
    """The intake was done in Turkish on a device whose browser was English (its first
    line, "Willkommen! Welcome!", is in English): back with the code in a Turkish or an
    English browser, the page around the Turkish conversation is Turkish."""
    frames = [{"type": "answer", "choice": "tr"}, *INTAKE_FRAMES[1:]]
    code = await intake_over_websocket(server, language="en", frames=frames)
    page = await (await make_context(locale=locale)).new_page()
    await _resume(page, server, code)

    # Give a language the page loads meanwhile the time to arrive: the page must not turn
    # to it after the history is drawn.
    await asyncio.sleep(1.5)
    await expect(page.locator("#quick-exit")).to_have_text(texts.text("tr", "quick_exit"))
    await expect(page.locator("#welcome-back")).to_contain_text(texts.text("tr", "welcome_back"))
    await expect(page.locator("#chat-messages li.msg--bot .msg-sender").last).to_have_text(
        texts.text("tr", "sender_bot")
    )
    assert await page.evaluate("() => document.documentElement.lang") == "tr"
    await page.screenshot(path=str(shots / f"resumed-turkish-in-{locale}.png"))
