"""The person downloads their own conversation (DSGVO Art. 15/20): a text file in the page's
language that says what the page says, in the same order, before and after the handover,
and nothing for a device that holds no conversation or no key."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.settings import DeliverySettings, Settings
from bot.web import texts
from tests.conftest import Office
from tests.integration.test_webchat_pages import Form, Page, get_page, shown_code, submit

Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client(office: Office) -> AsyncIterator[Client]:
    app = create_app(
        Settings(delivery=DeliverySettings(poll_seconds=0.05)), office.store, flow_id="mini"
    )
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def download(client: Client, form: Form, status: int = 200, **override: str) -> str:
    headers = {"Origin": f"http://127.0.0.1:{client.port}", "Sec-Fetch-Site": "same-origin"}
    resp = await client.post("/chat/export", data={**form.fields, **override}, headers=headers)
    body = await resp.text()
    assert resp.status == status, body
    if status == 200:
        assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert resp.headers["Content-Disposition"] == 'attachment; filename="gespraech.txt"'
        assert resp.headers["Cache-Control"] == "no-store"
    return body


def shown(page: Page) -> list[tuple[str, str]]:
    """(sender, text) of every line the page shows, in order."""
    found = re.findall(
        r'<li class="msg msg--(\w+)[^"]*".*?<p class="msg-text"[^>]*>(.*?)</p>', page.html, re.S
    )
    return [(sender, html.unescape(re.sub(r"<[^>]+>", "", text)).strip()) for sender, text in found]


def blocks(page: Page, t: dict[str, str]) -> list[str]:
    """What the file must say for this page: each shown line under its sender's label."""
    out = []
    for sender, text in shown(page):
        key = {"person": "sender_person", "counsellor": "sender_counsellor"}.get(
            sender, "sender_bot"
        )
        out.append(f"[{t[key]}]\n{text}")
    return out


async def test_the_download_matches_the_transcript_before_and_after_the_handover(
    client: Client,
) -> None:
    page = await get_page(client)
    page, _ = await submit(client, page.answer, "start")
    for op in ("choice:accept", "choice:no"):
        page, _ = await submit(client, page.answer, op)
    assert "export-form" in page.forms
    de = texts.texts_for("de")
    text = await download(client, page.forms["export-form"])
    title = "Ihr Gespräch mit Antidiskriminierungsstelle Region Hannover"
    assert text.split("\n\n", 1)[0] == f"{title}\n{'=' * len(title)}"
    assert text.split("\n\n")[1:] == [*blocks(page, de)[:-1], blocks(page, de)[-1] + "\n"]
    assert "[Automatische Antwort]\nSind Sie jetzt in Gefahr?" in text
    assert "[Sie]\nNein" in text

    for op in ("choice:today", "choice:garbsen"):
        page, _ = await submit(client, page.answer, op)
    page, _ = await submit(client, page.answer, "send", text="Man hat mich nicht bedient.")
    code = shown_code(page)
    en = await download(client, page.forms["export-form"], lang="en")  # the chosen language
    assert en.startswith("Your conversation with ")
    assert "[You]\nMan hat mich nicht bedient." in en
    assert "[Automatic reply]\n" in en
    # The sealed case is read with this device's key; the code itself is not in the file.
    assert code.split("-")[1] not in en


async def test_nothing_to_download_without_a_conversation_or_a_session(client: Client) -> None:
    page = await get_page(client)
    body = await download(client, page.answer, status=404)
    assert texts.text("de", "export_nothing") in body
    await download(client, page.answer, status=400, session="not-a-token")
    foreign = await client.post(
        "/chat/export",
        data=page.answer.fields,
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert foreign.status == 403
