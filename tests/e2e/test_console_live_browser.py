"""The console is live without polling, in a real browser: with the fallback poll set to a
minute, a new case appears in the open queue and the person's message on the open case
page within seconds, carried only by the event stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e.helpers import require_playwright

require_playwright()

from playwright.async_api import expect  # noqa: E402

from tests.e2e.helpers import INTAKE_FRAMES, MakeContext, Server  # noqa: E402
from tests.e2e.test_statistics_browser import log_in_as_new_admin  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.xdist_group("browser"),
]

SOON = 8_000
"""Milliseconds: far below the minute the fallback poll waits."""


async def _frame(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    while True:
        data: dict[str, Any] = json.loads(await asyncio.wait_for(ws.receive_str(), 15))
        if data["type"] == kind:
            return data


@pytest.mark.timeout(180)
async def test_news_reaches_the_console_pushed(
    make_server: Callable[..., Server], make_context: MakeContext, tmp_path: Path
) -> None:
    server = make_server(ANLAUFSTELLE_CONSOLE__LIVE_POLL_SECONDS="60")
    await server.astart()
    page = await (await make_context(viewport={"width": 1280, "height": 800})).new_page()
    await log_in_as_new_admin(page, server, tmp_path, "live-admin")
    await expect(page.locator("#queue tbody tr")).to_have_count(0)

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
        # The queue page shows the new case without a reload.
        await expect(page.locator("#queue tbody tr")).to_have_count(1, timeout=SOON)

        await page.locator("#queue tbody tr a").first.click()
        await page.get_by_role("button", name="Fall übernehmen").click()
        await expect(page.get_by_role("status").first).to_contain_text("übernommen")
        await asyncio.sleep(1.0)  # the page's stream is open again after the reload
        await ws.send_json({"id": "late", "type": "text", "text": "Sind Sie noch da?"})
        await _frame(ws, "ack")
        transcript = page.locator("#transcript")
        await expect(transcript).to_contain_text("Sind Sie noch da?", timeout=SOON)
