"""The whole intake in each of the nine languages, as a person would do it in Chromium on a
phone: the language chosen in the chat's first question, every question answered by tapping
(or typing the account), up to the handover with its case code; the questions arrive in the
chosen language and direction, and axe-core finds nothing on the way in the new languages."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import require_playwright

require_playwright()

from playwright.async_api import Page, expect  # noqa: E402

from bot.web import texts as page_texts  # noqa: E402
from tests.e2e.helpers import MakeContext, Server, assert_accessible  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.xdist_group("browser"),
]

PREFERRED = (
    "accept",
    "no",
    "this_week",
    "work",
    "garbsen",
    "racism",
    "affected",
    "counselling",
    "anonymous_chat",
    "friends_family",
)
"""What this person answers, by choice id (the same in every language)."""
HTML_LANG = {"ls": "de"}
ACCOUNT = "Bei der Wohnungsbesichtigung hieß es: nicht an Ausländer. / Test 12345"


async def answer_the_current_question(page: Page) -> None:
    composer = page.locator("#composer")
    text = composer.locator("textarea#message-input")
    if await text.count():
        await text.fill(ACCOUNT)
        await composer.locator("button[value=send]").click()
        return
    checks = composer.locator("fieldset.checks input[type=checkbox]")
    if await checks.count():
        values = [await checks.nth(i).get_attribute("value") for i in range(await checks.count())]
        pick = next((v for v in PREFERRED if v in values), values[0])
        await composer.locator(f"fieldset.checks input[value={pick}]").check()
        await composer.locator("button[value=done]").click()
        return
    buttons = composer.locator("fieldset.choices button")
    values = [await buttons.nth(i).get_attribute("value") for i in range(await buttons.count())]
    ids = [str(v).removeprefix("choice:") for v in values]
    pick = next((i for i in PREFERRED if i in ids), ids[0])
    await composer.locator(f'fieldset.choices button[value="choice:{pick}"]').click()


@pytest.mark.timeout(180)
@pytest.mark.parametrize("language", ["de", "ls", "en", "tr", "ar", "uk", "ru", "pl", "fa"])
async def test_the_whole_intake_in_each_language(
    server: Server, make_context: MakeContext, language: str
) -> None:
    page = await (await make_context(bypass_csp=True)).new_page()
    await page.goto(f"{server.url}/chat")
    await page.locator(f'#composer button[value="choice:{language}"]').click()
    lang = HTML_LANG.get(language, language)
    asked = page.locator(f'#chat-messages .msg--bot .msg-text[lang="{lang}"]')
    await expect(asked.first).to_be_visible()
    checked = False
    bot = page.locator("#chat-messages .msg--bot")
    ready = page.locator(
        "#composer textarea#message-input, #composer fieldset.checks input, "
        "#composer fieldset.choices button"
    )
    for _ in range(30):
        if await page.locator("#chat-messages .case-code-value").count():
            break
        await expect(ready.first).to_be_visible()
        before = await bot.count()
        if language in ("tr", "ar", "uk", "fa") and not checked and before > 4:
            await assert_accessible(page, f"in the intake in {language}")
            checked = True
        await answer_the_current_question(page)
        await expect(bot).not_to_have_count(before)  # the next question (or the handover)
    await expect(page.locator("#chat-messages .case-code-value")).to_be_visible()
    assert checked or language not in ("tr", "ar", "uk", "fa")
    # Every question came in the chosen language, right to left where it is written so.
    texts = page.locator("#chat-messages .msg--bot .msg-text")
    langs = {await texts.nth(i).get_attribute("lang") for i in range(await texts.count())}
    assert langs <= {lang, None, "de"}, langs  # "de": the bilingual language question
    if language in ("ar", "fa"):
        assert await asked.last.evaluate("el => getComputedStyle(el).direction") == "rtl"
    # The page around the questions followed the language chosen in the chat: every label
    # of the page, the file form too (held out of the page until the consent), in it.
    await expect(page.locator("#attach-form")).to_be_visible()
    assert await page.evaluate("document.documentElement.lang") == lang
    labels = await page.eval_on_selector_all(
        "[data-t]", "nodes => nodes.map(n => [n.getAttribute('data-t'), n.textContent])"
    )
    said = page_texts.texts_for(page_texts.language_of(language))
    wrong = [(key, text) for key, text in labels if key in said and text != said[key]]
    assert wrong == []
    assert said["attach_heading"] in [text for key, text in labels if key == "attach_heading"]
