"""The office's privacy notice, imprint and accessibility contact on the person's pages: the
footer of every page (chat, embed, no-JavaScript answers, statements) links them, our own
pages show the configured text or say that it is missing, and every automatic line is
labelled as automatic."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import create_app
from bot.settings import (
    DeliverySettings,
    LegalSettings,
    NotificationSettings,
    Settings,
    WebChatSettings,
)
from bot.web import texts
from storage.models import Conversation
from tests.alert_fakes import TinySmtp
from tests.conftest import Office
from tests.integration.test_webchat_pages import Page, get_page, submit

Client = TestClient[web.Request, web.Application]
PRIVACY_URL = "https://www.region.example/datenschutz"
IMPRINT_DE = "Region Hannover\nHildesheimer Straße 20\n\nVertreten durch den Regionspräsidenten"
IMPRINT_EN = "Hannover Region, Hildesheimer Straße 20"


async def _client(office: Office, settings: Settings) -> AsyncIterator[Client]:
    app = create_app(settings, office.store, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


@pytest.fixture
async def client(office: Office) -> AsyncIterator[Client]:
    settings = Settings(
        delivery=DeliverySettings(poll_seconds=0.05),
        webchat=WebChatSettings(accessibility_contact="https://www.region.example/barrieren"),
        legal=LegalSettings(
            privacy_url=PRIVACY_URL, imprint_text={"de": IMPRINT_DE, "en": IMPRINT_EN}
        ),
    )
    async for c in _client(office, settings):
        yield c


@pytest.fixture
async def bare(office: Office) -> AsyncIterator[Client]:
    """A fresh install: nothing legal configured."""
    async for c in _client(office, Settings(delivery=DeliverySettings(poll_seconds=0.05))):
        yield c


def footer(page: Page) -> dict[str, str]:
    """Footer link id → href."""
    nav = re.search(r'<footer class="site-footer">(.*?)</footer>', page.html, re.S)
    assert nav is not None
    return {
        m[0]: m[1].replace("&amp;", "&")
        for m in re.findall(r'<a id="([a-z]+-link)" href="([^"]+)"', nav[1])
    }


async def test_every_page_links_privacy_imprint_and_accessibility(client: Client) -> None:
    start = await get_page(client, "/chat")
    answered, _ = await submit(client, start.answer, "start")  # the no-JavaScript path
    pages = {
        "chat": start,
        "no-js answer": answered,
        "embed": await get_page(client, "/chat?embed=1&lang=en"),
        "statement": await get_page(client, "/chat/accessibility?lang=ls"),
        "imprint": await get_page(client, "/chat/imprint?lang=ar"),
    }
    expected = {
        "chat": ("de", ""),
        "no-js answer": ("de", ""),
        "embed": ("en", "&embed=1"),
        "statement": ("ls", ""),
        "imprint": ("ar", ""),
    }
    for name, page in pages.items():
        lang, embed = expected[name]
        assert footer(page) == {
            "privacy-link": PRIVACY_URL,
            "imprint-link": f"/chat/imprint?lang={lang}{embed}",
            "accessibility-link": f"/chat/accessibility?lang={lang}{embed}",
        }, name
        # The office's own page opens outside the embed's frame.
        assert re.search(
            r'id="privacy-link"[^>]*target="_blank" rel="noopener noreferrer"', page.html
        )
        assert texts.text(lang, "privacy_link") in page.html, name


async def test_our_imprint_page_shows_the_text_in_the_language_or_german(client: Client) -> None:
    en = await get_page(client, "/chat/imprint?lang=en")
    assert "<h1>Imprint (legal notice)</h1>" in en.html
    assert IMPRINT_EN in en.html and texts.text("en", "legal_other_language") not in en.html
    ls = await get_page(client, "/chat/imprint?lang=ls")
    assert '<div id="legal-text" class="legal-text" lang="de" dir="auto">' in ls.html
    assert texts.text("ls", "legal_other_language") in ls.html  # said, not hidden
    # Paragraphs at blank lines; a line break inside one stays (white-space: pre-line).
    assert "<p>Region Hannover\nHildesheimer Straße 20</p>" in ls.html
    assert "<p>Vertreten durch den Regionspräsidenten</p>" in ls.html


async def test_a_privacy_url_is_where_our_page_sends_the_person(client: Client) -> None:
    resp = await client.get("/chat/privacy?lang=en", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == PRIVACY_URL


async def test_without_settings_the_pages_say_what_is_missing(bare: Client) -> None:
    chat = await get_page(bare, "/chat")
    assert footer(chat) == {
        "privacy-link": "/chat/privacy?lang=de",
        "imprint-link": "/chat/imprint?lang=de",
        "accessibility-link": "/chat/accessibility?lang=de",
    }
    for path in ("/chat/privacy", "/chat/imprint"):
        page = await get_page(bare, path + "?lang=en")
        assert "legal-missing" in page.ids
        assert "has not published this information here yet" in page.html
    statement = await get_page(bare, "/chat/accessibility")
    assert "feedback-contact-missing" in statement.ids
    assert "feedback-contact" not in statement.ids and "example.org" not in statement.html
    assert texts.text("de", "st_contact_missing") in statement.html


async def test_every_bot_line_is_visibly_labelled_automatic(client: Client) -> None:
    page, _ = await submit(client, (await get_page(client)).answer, "start")
    labels = re.findall(
        r'<span class="msg-sender( visually-hidden)?" data-t="sender_bot">([^<]*)', page.html
    )
    assert labels and all(
        hidden == "" and text == "Automatische Antwort" for hidden, text in labels
    )


# ---------------------------------------------------------------- the feedback form

CONTACT = "barrierefreiheit@region.example"
CANARY = "Kanarienvogel-7f3a der Kontrast ist zu schwach"


@pytest.fixture
async def smtp() -> AsyncIterator[TinySmtp]:
    server = TinySmtp()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def with_form(office: Office, smtp: TinySmtp) -> AsyncIterator[Client]:
    settings = Settings(
        delivery=DeliverySettings(poll_seconds=0.05),
        webchat=WebChatSettings(accessibility_contact=CONTACT),
        notifications=NotificationSettings(
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_security="none",
            email_from="konsole@region.example",
        ),
    )
    async for c in _client(office, settings):
        yield c


async def _post_feedback(client: Client, status: int, **fields: str) -> Page:
    headers = {"Origin": f"http://127.0.0.1:{client.port}", "Sec-Fetch-Site": "same-origin"}
    resp = await client.post("/chat/accessibility", data=fields, headers=headers)
    html = await resp.text()
    assert resp.status == status, html
    return Page(html)


async def test_the_feedback_form_reaches_the_office_by_mail_and_is_kept_nowhere(
    with_form: Client, smtp: TinySmtp, office: Office, caplog: pytest.LogCaptureFixture
) -> None:
    page = await get_page(with_form, "/chat/accessibility?lang=en")
    assert "feedback-form" in page.forms
    empty = await _post_feedback(with_form, 400, lang="en", text="  ")
    assert "Please write your feedback first." in empty.html and smtp.mails == []
    sent = await _post_feedback(with_form, 200, lang="en", text=CANARY)
    assert "Thank you. Your feedback has gone to the office." in sent.html
    (mail,) = smtp.mails
    assert mail.recipients == [CONTACT]
    assert mail.message["Subject"] == "Rückmeldung zur Barrierefreiheit"
    assert CANARY in mail.text and "Sprache en" in mail.text
    # Neither stored nor logged.
    assert all(CANARY not in r.getMessage() for r in caplog.records)
    async with office.store.read() as tx:
        assert await tx.session.scalar(select(func.count()).select_from(Conversation)) == 0


async def test_a_failed_mail_keeps_the_text_to_send_again(
    with_form: Client, smtp: TinySmtp
) -> None:
    smtp.fail_next = 1
    page = await _post_feedback(with_form, 503, lang="de", text="Der Knopf ist zu klein.")
    assert "konnte gerade nicht gesendet werden" in page.html
    assert ">Der Knopf ist zu klein.</textarea>" in page.html
    assert smtp.mails == []


async def test_feedback_from_another_site_or_in_a_flood_is_refused(
    with_form: Client, smtp: TinySmtp
) -> None:
    foreign = await with_form.post(
        "/chat/accessibility",
        data={"text": "x"},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert foreign.status == 403
    for _ in range(3):
        await _post_feedback(with_form, 200, lang="de", text="Noch eine Barriere.")
    flood = await _post_feedback(with_form, 429, lang="de", text="Noch eine Barriere.")
    assert "feedback-error" in flood.ids
    assert len(smtp.mails) == 3


async def test_without_an_e_mail_contact_and_smtp_there_is_no_form(client: Client) -> None:
    page = await get_page(client, "/chat/accessibility")
    assert "feedback-form" not in page.forms  # the contact here is a web address
    assert (await client.post("/chat/accessibility", data={"text": "x"})).status == 404
