"""Outreach, as an admin and a person would live it: the admin makes a flyer for a place in
Chromium, its QR code (read back from the rendered page) is the web chat link with the
place's tag, and a phone that opens it starts a chat that counts under that place."""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.helpers import require_playwright

require_playwright()

import zxingcpp  # noqa: E402
from PIL import Image  # noqa: E402
from playwright.async_api import expect  # noqa: E402

from tests.e2e.chat import Chat  # noqa: E402
from tests.e2e.helpers import MakeContext, Server, assert_accessible  # noqa: E402
from tests.e2e.test_flow_editor_browser import DESKTOP, log_in_as_admin  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.xdist_group("browser"),
]


def source_counts(server: Server) -> list[tuple[str, int]]:
    with sqlite3.connect(f"file:{server.database}?mode=ro", uri=True, timeout=10) as db:
        rows = db.execute(
            "SELECT value, count FROM stat_counters WHERE dimension = 'source'"
        ).fetchall()
    return [(str(v), int(c)) for v, c in rows]


@pytest.mark.timeout(180)
async def test_a_flyers_qr_code_opens_the_chat_and_counts_its_place(
    make_server: Callable[..., Server], make_context: MakeContext, tmp_path: Path, shots: Path
) -> None:
    server = make_server()
    await server.astart()
    page = await (await make_context(bypass_csp=True, viewport=DESKTOP)).new_page()
    await log_in_as_admin(page, server, tmp_path)

    await page.get_by_role("link", name="Verwaltung").click()
    await page.get_by_role("link", name="Flyer und Plakate").click()
    await assert_accessible(page, "on the outreach form")
    await page.get_by_label("Ort (Quelle)").fill("moschee-linden")
    await page.get_by_label("Englisch", exact=True).uncheck()
    await page.get_by_label(re.compile("^Türkisch")).check()  # marked "nicht geprüft"
    await page.get_by_role("button", name="Druckvorlage anzeigen").click()
    sheets = page.locator("article.sheet")
    await expect(sheets).to_have_count(2)
    await assert_accessible(page, "on the flyer")
    await page.screenshot(path=str(shots / "flyer-a6.png"), full_page=True)

    # The QR code as printed, read back by a QR decoder.
    png = await page.locator("#web-de svg").screenshot()
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert code.text == f"{server.url}/chat?src=moschee-linden&lang=de"
    [turkish] = zxingcpp.read_barcodes(
        Image.open(io.BytesIO(await page.locator("#web-tr svg").screenshot()))
    )
    assert turkish.text.endswith("/chat?src=moschee-linden&lang=tr")

    # A phone opens the German link: the chat starts in German and counts the place once.
    chat = Chat(await (await make_context()).new_page())
    await chat.open(code.text)
    await chat.wait_for_question("• Wir speichern nur Ihre Antworten")
    for _ in range(50):
        if source_counts(server):
            break
        await chat.page.wait_for_timeout(100)
    assert source_counts(server) == [("moschee-linden", 1)]

    # The Turkish link: the page and the chat in Turkish straight away, at the consent.
    turkish_phone = await (await make_context()).new_page()
    await turkish_phone.goto(turkish.text)
    await expect(turkish_phone.locator("html")).to_have_attribute("lang", "tr")
    first = turkish_phone.locator("#composer fieldset.choices button").first
    await expect(first).to_have_attribute("value", "choice:accept")
    await expect(first).to_have_attribute("lang", "tr")
