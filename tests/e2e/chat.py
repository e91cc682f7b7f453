"""The chat page as a person uses it: find the question, answer it by mouse or by keyboard.

Locators go by role and accessible name wherever the page offers them: the conversation is
the `log` "Gesprächsverlauf", answers are given in the region "Ihre Antwort".
"""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Locator, Page, expect

from tests.e2e.helpers import CASE_CODE

LOG_NAME = "Gesprächsverlauf"
COMPOSER_NAME = "Ihre Antwort"
ANSWER_LABEL = "Ihre Antwort"
MESSAGE_LABEL = "Ihre Nachricht an die Beratungsstelle"
SEND = "Senden"
DONE = "Fertig"
REMEMBER = "Diesen Chat auf diesem Gerät merken"
QUICK_EXIT = "Seite schnell verlassen"
CASE_CODE_FIELD = "Fall-Code"
RESUME = "Gespräch fortsetzen"
SENDING = "wird gesendet …"
# The text size buttons show "A+", "A++" and name the size for screen readers.
LARGE_TEXT = re.compile(r"(^|\W)Große Schrift$")
VERY_LARGE_TEXT = re.compile(r"Sehr große Schrift$")

FOCUS_VISIBLE_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const shadow = s.boxShadow && s.boxShadow !== 'none';
  return {outline: outline, shadow: !!shadow, tag: el.tagName,
          name: (el.getAttribute('aria-label') || el.textContent || el.id || '').trim()};
}"""


class Chat:
    def __init__(self, page: Page, *, log: str = LOG_NAME, composer: str = COMPOSER_NAME) -> None:
        self.page = page
        self.log = page.get_by_role("log", name=log)
        self.composer = page.get_by_role("region", name=composer)

    async def open(self, url: str) -> None:
        await self.page.goto(url)

    # ------------------------------------------------------------ reading

    def lines(self) -> Locator:
        return self.log.get_by_role("listitem")

    def line(self, text: str | re.Pattern[str]) -> Locator:
        return self.lines().filter(has_text=text)

    def own_lines(self, text: str) -> Locator:
        """The person's own lines with exactly this text."""
        return self.log.locator("li.msg--person").filter(
            has=self.page.locator("p.msg-text", has_text=re.compile(rf"^{re.escape(text)}$"))
        )

    async def wait_for_question(self, start: str) -> None:
        await expect(self.line(start).last).to_be_visible()

    async def case_code(self) -> str:
        value = self.log.locator(".case-code-value")
        await expect(value).to_have_text(CASE_CODE)
        return (await value.inner_text()).strip()

    # ------------------------------------------------------------ answering by mouse

    async def click_answer(self, kind: str, labels: list[str]) -> None:
        if kind == "one":
            await self.composer.get_by_role("button", name=labels[0], exact=True).click()
        elif kind == "many":
            for label in labels:
                await self.composer.get_by_role("checkbox", name=label, exact=True).check()
            await self.composer.get_by_role("button", name=DONE, exact=True).click()
        else:
            await self.composer.get_by_label(ANSWER_LABEL, exact=True).fill(labels[0])
            await self.composer.get_by_role("button", name=SEND, exact=True).click()

    async def answer_by_mouse(self, steps: list[tuple[str, str, list[str]]]) -> None:
        for kind, question, labels in steps:
            await self.wait_for_question(question)
            await self.click_answer(kind, labels)
            await expect(self.own_lines(", ".join(labels)).last).to_be_visible()

    # ------------------------------------------------------------ answering by keyboard

    async def focus_state(self) -> dict[str, Any] | None:
        state: dict[str, Any] | None = await self.page.evaluate(FOCUS_VISIBLE_JS)
        return state

    async def tab_to(self, target: Locator, *, max_tabs: int = 80) -> None:
        """Press Tab until `target` has the focus; its focus must be visible."""
        await target.wait_for()
        for _ in range(max_tabs):
            if await target.evaluate("el => el === document.activeElement"):
                break
            await self.page.keyboard.press("Tab")
        else:
            raise AssertionError(f"Tab never reached {target}")
        await self.assert_focus_visible()

    async def assert_focus_visible(self) -> None:
        state = await self.focus_state()
        assert state is not None, "nothing has the focus"
        assert state["outline"] or state["shadow"], f"the focus is not visible on {state}"


async def open_settings(page: Page) -> None:
    """Open "Sprache und Schriftgröße" (language and text size sit behind it)."""
    box = page.locator("details.tools-details")
    if not await box.evaluate("d => d.open"):
        await box.locator("summary").click()
