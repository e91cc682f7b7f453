"""The case code in a phone's browser: kept whole at 320 px with very large text, shown once,
and coming back with it ends the log on a welcome with the case status (390 px, axe-core)."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import require_playwright

require_playwright()

from playwright.async_api import Page, expect  # noqa: E402

from tests.e2e.chat import (  # noqa: E402
    CASE_CODE_FIELD,
    RESUME,
    VERY_LARGE_TEXT,
    Chat,
    open_settings,
)
from tests.e2e.helpers import (  # noqa: E402
    INTAKE_DE,
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

GROUP_LINES_JS = """() => [...document.querySelectorAll('.case-code-value .code-group')]
  .map(g => new Set([...g.getClientRects()].map(r => Math.round(r.top))).size)"""
LOG_TEXT_JS = "() => document.getElementById('chat-messages').innerText"
CODE_LINES_JS = """() => new Set([...document.querySelectorAll('.case-code-value .code-group')]
  .map(g => Math.round(g.getBoundingClientRect().top))).size"""


async def _resume(page: Page, server: Server, code: str) -> Chat:
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.wait_for_question(INTAKE_DE[0][1])
    await page.get_by_label(CASE_CODE_FIELD, exact=True).fill(code)
    await page.get_by_role("button", name=RESUME).click()
    return chat


async def test_coming_back_with_the_code_welcomes_the_person_with_the_case_status(
    server: Server, make_context: MakeContext
) -> None:
    code = await intake_over_websocket(server)
    # bypass_csp only so axe-core can be injected; a 390 px phone (the default viewport).
    page = await (await make_context(bypass_csp=True)).new_page()
    chat = await _resume(page, server, code)

    welcome = chat.log.locator("#welcome-back")
    await expect(welcome).to_have_text(
        "Willkommen zurück. Ihr Fall wartet auf eine Beraterin oder einen Berater."
    )
    await expect(welcome).to_be_in_viewport()
    # The code is shown once: in its box, not again in the handover text; on the phone on
    # one line, never "ABCD-EFGH-" above "JKLM" (copied down as two codes).
    assert (await page.evaluate(LOG_TEXT_JS)).count(code.split("-")[0]) == 1
    assert await page.evaluate(CODE_LINES_JS) == 1
    await assert_accessible(page, "after coming back with the case code")


async def test_no_group_of_the_code_breaks_at_320_px_with_very_large_text(
    server: Server, make_context: MakeContext
) -> None:
    code = await intake_over_websocket(server)
    context = await make_context(viewport={"width": 320, "height": 640})
    page = await context.new_page()
    chat = await _resume(page, server, code)
    await expect(chat.log.locator(".case-code-value")).to_have_text(code)
    await open_settings(page)
    await page.get_by_role("button", name=VERY_LARGE_TEXT).click()

    assert await page.evaluate(GROUP_LINES_JS) == [1, 1, 1]


async def test_neu_anfangen_asks_first_in_a_dialog(
    server: Server, make_context: MakeContext
) -> None:
    page = await (await make_context(bypass_csp=True)).new_page()
    chat = Chat(page)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse(INTAKE_DE[:3])
    await chat.wait_for_question(INTAKE_DE[3][1])
    restart = chat.composer.get_by_role("button", name="Neu anfangen")

    await restart.click()
    dialog = page.get_by_role("dialog", name="Wirklich neu anfangen?")
    await expect(dialog).to_be_visible()
    await assert_accessible(page, "asking before starting again")
    await dialog.get_by_role("button", name="Abbrechen").click()
    await expect(dialog).to_be_hidden()
    await chat.wait_for_question(INTAKE_DE[3][1])  # nothing was thrown away
    await expect(chat.line(INTAKE_DE[0][1])).to_have_count(1)
    await expect(restart).to_be_focused()

    await restart.click()
    await dialog.get_by_role("button", name="Ja, neu anfangen").click()
    # Asked again from the start, in the language already chosen (not asked again).
    await expect(chat.line(INTAKE_DE[1][1])).to_have_count(2)
    await expect(chat.line(INTAKE_DE[0][1])).to_have_count(1)
