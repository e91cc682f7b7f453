"""The console on a phone (390 px) and what its status line says, in a real browser: the queue's
cards name each value's column, the case opens on the conversation's newest lines with the
reply box right below it, a claimed case says who has it, channels go by their names, and a
status message belongs to its action (gone after a refused form, after a reload, and once
the person answers the reply it announced)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e.helpers import require_playwright

require_playwright()

from playwright.async_api import Page, expect  # noqa: E402

from tests.e2e.helpers import (  # noqa: E402
    INTAKE_FRAMES,
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


async def _frame(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    while True:
        data: dict[str, Any] = json.loads(await asyncio.wait_for(ws.receive_str(), 15))
        if data["type"] == kind:
            return data


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


@pytest.mark.timeout(180)
async def test_each_status_message_belongs_to_its_action(
    make_server: Callable[..., Server], make_context: MakeContext, tmp_path: Path
) -> None:
    server = make_server()
    await server.astart()
    page = await (
        await make_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    ).new_page()
    await log_in_as_new_admin(page, server, tmp_path, "meldungen")
    status = page.locator("#status")
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{server.url}/chat/ws", headers={"Origin": server.url}) as ws,
    ):
        await ws.send_json({"type": "hello", "session": None, "language": "de"})
        await _frame(ws, "welcome")
        for i, fields in enumerate(INTAKE_FRAMES):
            await asyncio.sleep(0.5)  # a person, within the flood limit
            await ws.send_json({"id": f"f{i}", **fields})
            await _frame(ws, "ack")
        for _ in range(50):  # the handover's case, as the queue would show it
            if server.cases():
                break
            await asyncio.sleep(0.2)
        case_id = max(row["id"] for row in server.cases())
        await page.goto(f"{server.url}/console/cases/{case_id}")
        await expect(page.locator("#waiting")).to_have_text(re.compile(r"^\d+ Min\.$"))
        await page.get_by_role("button", name="Fall übernehmen").click()
        await expect(status).to_have_text("Sie haben den Fall übernommen.")
        # Who has it and since when, not how long it waited.
        await expect(page.locator("#claimed")).to_have_text(
            re.compile(r"^von Ihnen, seit \d\d\.\d\d\.\d{4} \d\d:\d\d \(vor \d+ Min\.\)$")
        )
        await expect(page.locator("dl.facts").first).not_to_contain_text("Wartet seit")
        # A reload does not say it again.
        await page.reload()
        await expect(page.locator("#claimed")).to_be_visible()
        await expect(status).to_have_count(0)

        await page.get_by_label("Neue Notiz").fill("Rückruf vereinbaren")
        await page.get_by_role("button", name="Notiz speichern").click()
        await expect(status).to_have_text("Die Notiz ist gespeichert.")
        # A close the browser refuses (no outcome chosen): the note's message is not left
        # standing as if it were the answer to that.
        await page.locator("#confirm-close").check()
        await page.get_by_role("button", name="Fall abschließen").click()
        assert not await page.locator("#outcome").evaluate("s => s.validity.valid")
        await expect(status).to_be_hidden()
        await page.screenshot(path=str(tmp_path / "close-refused.png"))

        await page.get_by_label("Nachricht an die Person").fill("Guten Tag, wie geht es Ihnen?")
        await page.get_by_role("button", name="Senden").click()
        await expect(status).to_have_text("Die Nachricht ist unterwegs.")
        await asyncio.sleep(1.0)  # the page's stream is open again after the reload
        await ws.send_json({"id": "answer", "type": "text", "text": "Danke, es geht."})
        await _frame(ws, "ack")
        await expect(page.locator("#transcript")).to_contain_text("Danke, es geht.")
        await expect(status).to_be_hidden()
        await page.screenshot(path=str(tmp_path / "answered.png"))
        await assert_accessible(page, "on a case after the person answered")
