"""The console on a phone (390 px), in a real browser: the queue's cards name each value's
column, the case opens on the conversation's newest lines with the reply box right below it,
channels go by their names."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.helpers import require_playwright

require_playwright()

from playwright.async_api import Page, expect  # noqa: E402

from tests.e2e.helpers import (  # noqa: E402
    MakeContext,
    Server,
    assert_accessible,
    intake_over_websocket,
)
from tests.e2e.test_statistics_browser import log_in_as_new_admin  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.xdist_group("browser"),
]


async def _card_labels(page: Page) -> list[str]:
    """What a counsellor reads in the first queue row's cells: the column name drawn before
    each value (CSS ::before) and the value."""
    return list(
        await page.locator("#queue tbody tr").first.evaluate(
            """row => [...row.querySelectorAll('td')].map(td => {
                 const before = getComputedStyle(td, '::before').content;
                 const label = before && before !== 'none' ? JSON.parse(before) : '';
                 return label + td.innerText.trim();
               })"""
        )
    )


@pytest.mark.timeout(180)
async def test_a_phone_shows_labelled_cards_and_the_newest_lines_above_the_reply(
    make_server: Callable[..., Server], make_context: MakeContext, tmp_path: Path
) -> None:
    server = make_server()
    await server.astart()
    await intake_over_websocket(server)
    case_id = max(row["id"] for row in server.cases())
    page = await (
        await make_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    ).new_page()
    await log_in_as_new_admin(page, server, tmp_path, "schmal")

    # The queue as cards: every value under its column's name, the channel by its name; one
    # team only, so no column repeats its name.
    cells = await _card_labels(page)
    assert "Kanal: Web-Chat" in cells, cells
    assert "Sprache: Deutsch" in cells, cells
    assert any(re.fullmatch(r"Wartet seit: \d+ Min\.", c) for c in cells), cells
    assert any(c.startswith("AGG-Frist: ") for c in cells), cells
    assert "Dringlichkeit: \N{EN DASH}" in cells, cells
    assert not any(c.startswith("Team") for c in cells), cells
    await expect(page.locator("#queue thead th", has_text="Team")).to_have_count(0)
    await page.screenshot(path=str(tmp_path / "queue-390.png"), full_page=True)
    await assert_accessible(page, "on the queue at 390 px")

    await page.goto(f"{server.url}/console/cases/{case_id}")
    await page.get_by_role("button", name="Fall übernehmen").click()
    await expect(page.get_by_role("status").first).to_contain_text("übernommen")
    await expect(page.locator("#channel")).to_have_text("Web-Chat")
    # The conversation is a box of its own, opened on its newest lines.
    box = page.locator("#transcript-box")
    await expect(box).to_have_attribute("tabindex", "0")
    await expect(box).to_have_accessible_name("Verlauf")
    sizes = await box.evaluate(
        "b => ({scroll: b.scrollHeight, client: b.clientHeight, top: b.scrollTop})"
    )
    assert sizes["scroll"] > sizes["client"], f"the conversation is no scroll box: {sizes}"
    assert sizes["scroll"] - sizes["top"] - sizes["client"] < 2, f"not at the end: {sizes}"
    # The reply box right below it, not after the whole intake: within two screens.
    reply_top = await page.locator("#reply-text").evaluate(
        "e => e.getBoundingClientRect().top + window.scrollY"
    )
    assert reply_top < 2 * 844, f"the reply box starts {reply_top} px down"
    await page.get_by_role("link", name="Zur Antwort springen").click()
    await expect(page.locator("#reply-text")).to_be_in_viewport()
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(tmp_path / "case-390.png"))
    await page.screenshot(path=str(tmp_path / "case-390-full.png"), full_page=True)
    await assert_accessible(page, "on a claimed case at 390 px")
    wide = await page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390, f"the case page scrolls sideways at 390 px ({wide} px)"
