"""The server-rendered chat page and its no-JavaScript path, against the real app and store.

A browser without JavaScript only submits forms: these tests do the same, reading the
hidden fields and buttons out of the returned HTML like a browser would.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import date
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import create_app
from bot.conversation.flows import publish_files
from bot.i18n.catalog import UI, Translation
from bot.settings import DeliverySettings, OfficeContactSettings, Settings, WebChatSettings
from bot.web import texts
from storage import cases
from storage.models import Conversation
from tests.conftest import Office

Client = TestClient[web.Request, web.Application]
INTAKE = Path(__file__).resolve().parents[2] / "dialogs" / "flows" / "intake.yaml"


class Form:
    def __init__(self, attrs: dict[str, str | None]) -> None:
        self.attrs = attrs
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, str] = {}
        """op value -> button text"""
        self.checkboxes: list[str] = []
        self._button: str | None = None

    @property
    def ops(self) -> list[str]:
        return list(self.buttons)


class Page(HTMLParser):
    """The forms, ids and visible text of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.html = html
        self.forms: dict[str, Form] = {}
        self.ids: set[str] = set()
        self.root: dict[str, str | None] = {}
        self._form: Form | None = None
        self._anon = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attr_list)
        if attrs.get("id"):
            self.ids.add(str(attrs["id"]))
        if tag == "html":
            self.root = attrs
        if tag == "form":
            self._anon += 1
            self._form = Form(attrs)
            self.forms[str(attrs.get("id") or f"form{self._anon}")] = self._form
        elif self._form is not None and tag == "input":
            if attrs.get("type") == "hidden":
                self._form.fields[str(attrs["name"])] = str(attrs.get("value") or "")
            elif attrs.get("type") == "checkbox":
                self._form.checkboxes.append(str(attrs["value"]))
        elif self._form is not None and tag == "button" and attrs.get("name") == "op":
            self._form._button = str(attrs["value"])
            self._form.buttons[self._form._button] = ""

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._form._button is not None:
            self._form.buttons[self._form._button] += data.strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "button" and self._form is not None:
            self._form._button = None

    @property
    def answer(self) -> Form:
        return self.forms["answer-form"]

    def messages(self) -> list[str]:
        return [
            re.sub(r"<[^>]+>", "", m).strip()
            for m in re.findall(r'<p class="msg-text"[^>]*>(.*?)</p>', self.html, re.S)
        ]


@pytest.fixture
async def client(office: Office) -> AsyncIterator[Client]:
    settings = Settings(
        delivery=DeliverySettings(poll_seconds=0.05),
        webchat=WebChatSettings(
            allowed_origins=["https://partner.example", "bad origin; script-src *"],
            accessibility_contact="barrieren@region-hannover.example",
        ),
    )
    app = create_app(settings, office.store, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


def assert_safe_headers(resp: Any, *, page: bool = True) -> None:
    csp = resp.headers["Content-Security-Policy"]
    for part in (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
    ):
        assert part in csp
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in resp.headers["Permissions-Policy"]
    assert "microphone=()" in resp.headers["Permissions-Policy"]
    assert "geolocation=()" in resp.headers["Permissions-Policy"]
    assert "Set-Cookie" not in resp.headers
    if page:
        assert resp.headers["Cache-Control"] == "no-store"


def shown_code(page: Page) -> str:
    """The case code as the page shows it: its groups, each in a span of its own."""
    value = re.search(r'class="case-code-value"[^>]*>(.*?)</strong>', page.html)
    assert value is not None
    return re.sub(r"<[^>]+>", "", value.group(1))


async def get_page(
    client: Client, url: str = "/chat", headers: dict[str, str] | None = None
) -> Page:
    resp = await client.get(url, headers=headers)
    assert resp.status == 200
    assert_safe_headers(resp)
    return Page(await resp.text())


async def submit(
    client: Client, form: Form, op: str, status: int = 200, **extra: Any
) -> tuple[Page, Any]:
    data: list[tuple[str, str]] = [*form.fields.items(), ("op", op)]
    for key, value in extra.items():
        values = value if isinstance(value, list) else [value]
        data.extend((key, v) for v in values)
    # As a browser sends a form of our own page.
    headers = {"Origin": f"http://127.0.0.1:{client.port}", "Sec-Fetch-Site": "same-origin"}
    resp = await client.post("/chat", data=data, headers=headers)
    html = await resp.text()
    assert resp.status == status, html
    assert_safe_headers(resp)
    return Page(html), data


async def test_the_no_js_path_completes_the_intake_with_forms_alone(
    client: Client, office: Office
) -> None:
    page = await get_page(client)
    assert page.answer.ops == ["start"]
    session = page.answer.fields["session"]
    assert len(session) == 43
    assert session not in str(client.make_url("/chat"))

    page, _ = await submit(client, page.answer, "start")
    assert page.messages()[-1] == "Dürfen wir Ihre Angaben speichern?"
    assert page.answer.buttons == {"choice:accept": "Ja", "choice:decline": "Nein"}
    assert page.answer.fields["session"] == session  # the same conversation, form to form

    for op in ("choice:accept", "choice:no", "choice:today", "choice:garbsen"):
        page, _ = await submit(client, page.answer, op)
    assert page.messages()[-1] == "Was ist passiert?"
    assert "message-input" in page.ids
    assert 'maxlength="500"' in page.html
    assert "command:back" in page.answer.ops and "command:restart" in page.answer.ops

    page, _ = await submit(client, page.answer, "send", text="Man hat mich nicht bedient.")
    assert "Man hat mich nicht bedient." in page.messages()
    assert len(shown_code(page)) == 14
    assert "Ihr Fall-Code" in page.html
    # Handed over: the person may keep writing to the office.
    assert page.answer.ops == ["send"]
    async with office.store.tx() as tx:
        assert len(await cases.queue(tx)) == 1


async def test_a_resubmitted_form_does_not_answer_twice(client: Client) -> None:
    page = await get_page(client)
    page, _ = await submit(client, page.answer, "start")
    consent = page.answer
    after, data = await submit(client, consent, "choice:accept")
    lines = after.messages()
    # F5: the browser sends the very same body again.
    resp = await client.post("/chat", data=data)
    assert resp.status == 200
    again = Page(await resp.text())
    assert again.messages() == lines
    assert lines.count("Sind Sie jetzt in Gefahr?") == 1


async def test_a_choice_of_several_is_one_form_with_checkboxes(client: Client) -> None:
    # The mini flow has no multiple choice; checked at the form level instead: "done"
    # without a multiple-choice question is refused plainly.
    page = await get_page(client)
    page, _ = await submit(client, page.answer, "start")
    page, _ = await submit(client, page.answer, "done", status=400, choices=["accept"])
    assert texts.text("de", "err_unknown_choice") in page.html
    assert 'role="alert"' in page.html


async def test_bad_input_gets_a_clear_error_never_a_500(client: Client) -> None:
    page = await get_page(client)
    page, _ = await submit(client, page.answer, "start")
    consent = page.answer

    page, _ = await submit(client, consent, "choice:maybe", status=400)
    assert texts.text("de", "err_unknown_choice") in page.html
    assert "Fehler:" in page.html.split("</title>")[0]
    assert page.answer.ops == ["choice:accept", "choice:decline"]  # the question is still there

    page, _ = await submit(client, page.answer, "choice:accept")
    for op in ("choice:no", "choice:today", "choice:garbsen"):
        page, _ = await submit(client, page.answer, op)
    page, _ = await submit(client, page.answer, "send", status=400, text="x" * 501)
    assert texts.text("de", "err_text_too_long").format(max=500) in page.html
    assert 'aria-invalid="true"' in page.html
    assert 'aria-describedby="text-' in page.html and "form-error" in page.html
    assert "x" * 501 in page.html  # nothing typed is lost

    page, _ = await submit(client, page.answer, "send", status=400, text="   ")
    assert texts.text("de", "err_text_empty") in page.html

    forged = dict(page.answer.fields, session="not-a-token")
    resp = await client.post("/chat", data={**forged, "op": "choice:accept"})
    assert resp.status == 400
    assert texts.text("de", "err_session") in await resp.text()

    garbage = dict(page.answer.fields, session="A" * 43)  # well-formed, unknown: a new chat
    resp = await client.post("/chat", data={**garbage, "op": "send", "text": "hallo"})
    assert resp.status == 200
    assert "Chat beginnen" in await resp.text()

    for body, kind in (
        ({**page.answer.fields, "op": "explode"}, "application/x-www-form-urlencoded"),
        ("%ff%fe=1", "application/x-www-form-urlencoded"),
        ("session=a&session=b", "application/x-www-form-urlencoded"),
        ("{}", "application/json"),
    ):
        resp = await client.post("/chat", data=body, headers={"Content-Type": kind})
        assert resp.status == 400, body
        assert texts.text("de", "err_bad_form") in await resp.text()
        assert_safe_headers(resp)

    resp = await client.post(
        "/chat",
        data="text=" + "x" * 300_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status == 413
    assert texts.text("de", "err_too_large") in await resp.text()


async def test_case_codes_are_checked_and_tries_limited(client: Client) -> None:
    page = await get_page(client)
    resume = page.forms["resume-form"]
    page, _ = await submit(client, resume, "resume", status=400, code="nonsense")
    assert texts.text("de", "err_code_format") in page.html
    statuses = []
    for _ in range(6):
        resp = await client.post(
            "/chat", data={**resume.fields, "op": "resume", "code": "AAAA-BBBB-CCCC"}
        )
        statuses.append(resp.status)
        assert "Set-Cookie" not in resp.headers
    assert statuses[:5] == [400] * 5
    assert statuses[5] == 429
    assert texts.text("de", "err_code_rate_limited") in await resp.text()


async def handed_over(client: Client) -> tuple[Page, str]:
    """The mini intake through the pages without JavaScript, to its case code."""
    page = await get_page(client)
    page, _ = await submit(client, page.answer, "start")
    for op in ("choice:accept", "choice:no", "choice:today", "choice:hannover"):
        page, _ = await submit(client, page.answer, op)
    page, _ = await submit(client, page.answer, "send", text="Wohnung abgelehnt.")
    return page, shown_code(page)


async def test_right_case_codes_use_up_no_tries_of_the_network(client: Client) -> None:
    """People behind one address (a shelter's Wi-Fi) open their cases with their codes,
    more often than the limit of tries: every right code opens; wrong ones stay limited."""
    page, code = await handed_over(client)
    for _ in range(7):
        other = await get_page(client)
        page, _ = await submit(client, other.forms["resume-form"], "resume", code=code)
        assert "Wohnung abgelehnt." in page.messages()
    resume = (await get_page(client)).forms["resume-form"]
    statuses = [
        (
            await client.post(
                "/chat", data={**resume.fields, "op": "resume", "code": "AAAA-BBBB-CCCC"}
            )
        ).status
        for _ in range(6)
    ]
    assert statuses == [400] * 5 + [429]


async def test_the_case_code_opens_the_conversation_on_another_browser(client: Client) -> None:
    page, code = await handed_over(client)

    other = await get_page(client)
    page, _ = await submit(client, other.forms["resume-form"], "resume", code=code)
    assert "Wohnung abgelehnt." in page.messages()
    assert page.answer.fields["session"] == other.answer.fields["session"]


async def test_a_message_to_a_case_opened_elsewhere_is_kept_on_the_page(
    client: Client, office: Office
) -> None:
    """Without JavaScript nobody tells this page that the case was opened with its code on
    another device. What the person writes here is not sent to a case this device no longer
    holds, and not lost either: it stays on the page, with the way back to the case."""
    here, code = await handed_over(client)
    other = await get_page(client)
    await submit(client, other.forms["resume-form"], "resume", code=code)

    typed = "Ich kann nicht mehr warten, bitte melden Sie sich."
    page, _ = await submit(client, here.answer, "send", text=typed, status=200)
    assert texts.text("de", "err_not_sent_gone") in unescape(page.html)
    assert f"readonly>{typed}</textarea>" in page.html
    assert "resume-form" in page.forms
    with_code = await get_page(client)
    page, _ = await submit(client, with_code.forms["resume-form"], "resume", code=code)
    assert typed not in page.messages() and "Wohnung abgelehnt." in page.messages()


async def test_delete_asks_first_then_forgets(client: Client, office: Office) -> None:
    page = await get_page(client)
    assert "delete-form" in page.forms  # present (hidden) so JS can show it
    page, _ = await submit(client, page.answer, "start")
    page, _ = await submit(client, page.forms["delete-form"], "delete")
    assert "delete-confirm" in page.ids
    confirm = next(f for f in page.forms.values() if "delete-confirm" in f.ops)
    cancelled, _ = await submit(client, confirm, "delete-cancel")
    assert "Dürfen wir Ihre Angaben speichern?" in cancelled.messages()
    page, _ = await submit(client, confirm, "delete-confirm")
    assert texts.text("de", "deleted_notice") in page.html
    assert page.messages() == []
    assert page.answer.fields["session"] != confirm.fields["session"]


async def test_a_language_the_flow_lacks_is_never_offered(client: Client) -> None:
    # The mini flow speaks German and English only: no Arabic or Leichte Sprache page that
    # would then ask its questions in German.
    for asked in ("ar", "ls", "xx"):
        page = await get_page(client, f"/chat?lang={asked}")
        assert page.root == {"lang": "de", "dir": "ltr"}
        assert 'value="lang:en"' in page.html
        assert 'value="lang:ar"' not in page.html
        assert 'value="lang:ls"' not in page.html

    page, _ = await submit(client, page.answer, "start")
    page, _ = await submit(client, page.forms["language-form"], "lang:en")
    assert page.root["lang"] == "en"
    assert page.messages()[-1] == "May we store your answers?"
    page, _ = await submit(client, page.forms["language-form"], "lang:ar", status=200)
    assert page.root["lang"] == "de"  # refused quietly: the nearest offered page


async def test_arabic_and_leichte_sprache_pages_where_the_flow_has_them(
    intake_client: Client,
) -> None:
    page = await get_page(intake_client, "/chat?lang=ar")
    assert page.root == {"lang": "ar", "dir": "rtl"}
    assert texts.text("ar", "quick_exit") in page.html
    page = await get_page(intake_client, "/chat?lang=ls")
    assert page.root["lang"] == "de"
    assert 'id="ls-marker" class="ls-marker">' in page.html


async def test_a_language_chosen_on_the_page_is_not_asked_again(intake_client: Client) -> None:
    # Chosen before starting (the link or the language control): the chat goes straight on,
    # in that language, without JavaScript too.
    page = await get_page(intake_client, "/chat?lang=ls")
    page, _ = await submit(intake_client, page.answer, "start")
    assert "Welche Sprache" not in page.html and "In welcher Sprache" not in page.html
    assert page.messages()[-1].startswith("Wir speichern nur Ihre Antworten in diesem Chat.")
    assert "Mehr lesen" in page.html  # the consent's legal detail, one tap away

    # Not chosen, only guessed from the browser: the question comes, the guess first.
    page = await get_page(
        intake_client, "/chat", headers={"Accept-Language": "tr-TR,tr;q=0.9,de;q=0.5"}
    )
    assert page.root["lang"] == "tr"  # the Turkish page ...
    page, _ = await submit(intake_client, page.answer, "start")
    assert "In welcher Sprache" in page.messages()[-1]
    buttons = re.findall(
        r'<button type="submit" name="op" value="choice:(\w+)" class="([^"]+)"', page.html
    )
    assert buttons[0] == ("tr", "btn btn-choice btn-suggested")  # ... and Türkçe first
    assert len([b for b in buttons if "btn-suggested" in b[1]]) == 1
    page, _ = await submit(intake_client, page.answer, "choice:tr")
    assert "Antidiskriminierungsstelle der Region Hannover" in page.messages()[-2]

    # Chosen in the page's control while the question waits: that answers it.
    page = await get_page(intake_client, "/chat")
    page, _ = await submit(intake_client, page.answer, "start")
    page, _ = await submit(intake_client, page.forms["language-form"], "lang:en")
    assert page.messages()[-1].startswith("• We only store your answers in this chat")


@pytest.mark.parametrize(("language", "direction"), [("tr", "ltr"), ("fa", "rtl")])
async def test_a_language_chosen_in_the_chat_is_the_page_s_too(
    intake_client: Client, language: str, direction: str
) -> None:
    # A German browser, the language picked in the chat's first question, without
    # JavaScript: the buttons, statuses and case-code box around the questions follow it
    # (chat.js does the same), not only the questions.
    page = await get_page(intake_client, "/chat")
    page, _ = await submit(intake_client, page.answer, "start")
    assert "In welcher Sprache" in page.messages()[-1]
    assert page.root["lang"] == "de"
    page, _ = await submit(intake_client, page.answer, f"choice:{language}")
    assert page.root == {"lang": language, "dir": direction}
    assert page.answer.fields["lang"] == language
    assert page.forms["resume-form"].fields["lang"] == language
    for key in ("quick_exit", "more_heading", "footer_privacy"):
        assert texts.text(language, key) in page.html
        assert texts.text("de", key) not in page.html
    # The next answer keeps it; an error is said in it.
    page, _ = await submit(intake_client, page.answer, "choice:accept")
    assert page.root["lang"] == language
    page, _ = await submit(intake_client, page.answer, "choice:nonsense", status=400)
    assert page.root["lang"] == language
    assert texts.text(language, "err_unknown_choice") in page.html


async def test_every_response_has_the_security_headers_and_no_cookie(client: Client) -> None:
    for url in ("/chat", "/chat?embed=1", "/chat/accessibility", "/chat/accessibility?lang=en"):
        resp = await client.get(url)
        assert resp.status == 200
        assert_safe_headers(resp)
        csp = resp.headers["Content-Security-Policy"]
        assert "frame-ancestors 'self' https://partner.example" in csp
        assert "script-src *" not in csp  # a malformed origin setting is left out
        html = await resp.text()
        assert " style=" not in html and "<script>" not in html
    resp = await client.get("/nowhere")
    assert resp.status == 404
    assert_safe_headers(resp)


async def test_the_accessibility_statement(client: Client) -> None:
    for lang, words in (
        ("de", "Erklärung zur Barrierefreiheit"),
        ("ls", "Leichte Sprache"),
        ("en", "Accessibility statement"),
        ("ar", "بيان إمكانية الوصول"),
    ):
        page = await get_page(client, f"/chat/accessibility?lang={lang}")
        assert words in page.html
        assert "barrieren@region-hannover.example" in page.html
        assert "mailto:barrieren@region-hannover.example" in page.html
        assert "behindertenbeauftragte-niedersachsen.de" in page.html
        assert page.html.count("<h1") == 1
    # The review date as each language writes it (CLDR), never an ISO date.
    cldr = {"de": "25. November 2026", "tr": "25 Kasım 2026", "fa": "نوامبر"}  # noqa: RUF001
    for lang, said in cldr.items():
        page = await get_page(client, f"/chat/accessibility?lang={lang}")
        assert said in page.html
        assert "2026-11-25" not in page.html


async def test_embed_script_static_files_and_texts(client: Client) -> None:
    resp = await client.get("/chat/embed.js")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/javascript")
    assert "Set-Cookie" not in resp.headers
    assert "anlaufstelle:quick-exit" in await resp.text()

    page = await get_page(client, "/chat?embed=1")
    assert 'class="embed"' in page.html
    assert page.answer.fields["embed"] == "1"
    for name, kind in (("chat.js", "javascript"), ("chat.css", "text/css")):
        url = re.search(rf'"(/chat/static/{re.escape(name)}\?v=[0-9a-f]+)"', page.html)
        assert url is not None
        resp = await client.get(url.group(1))
        assert resp.status == 200
        assert kind in resp.headers["Content-Type"]
        assert "immutable" in resp.headers["Cache-Control"]
        assert_safe_headers(resp, page=False)
    assert (await client.get("/chat/static/../web/pages.py")).status in (403, 404)

    resp = await client.get("/chat/texts/ar.json")
    data = await resp.json()
    assert data["dir"] == "rtl" and data["texts"]["quick_exit"] == texts.text("ar", "quick_exit")
    assert (await client.get("/chat/texts/xx.json")).status == 404


async def test_the_launcher_speaks_every_language_of_the_chat(client: Client) -> None:
    def labels_of(script: str) -> tuple[dict[str, list[str]], list[str]]:
        found = re.search(r"var LABELS = (.*);\n\s*var RTL = (.*);\n", script)
        assert found is not None
        return json.loads(found.group(1)), json.loads(found.group(2))

    labels, rtl = labels_of(await (await client.get("/chat/embed.js")).text())
    assert list(labels) == list(texts.LANGUAGES)
    for lang, (button, close) in labels.items():
        assert button == texts.text(lang, "heading")
        assert close == texts.text(lang, "embed_close")
    assert labels["tr"][1] == "Sohbeti kapat"
    assert "\N{MIDDLE DOT}" not in labels["ls"][1]  # Leichte Sprache: the hyphen
    assert sorted(rtl) == ["ar", "fa"]
    # A translation an admin imports reaches partner sites too.
    UI.install({"tr": {"web.embed_close": Translation(("Kapat",), "Chat schließen", True)}})
    try:
        labels, _ = labels_of(await (await client.get("/chat/embed.js")).text())
    finally:
        UI.install({})
    assert labels["tr"][1] == "Kapat"


async def test_page_semantics_for_browsers_and_tests(client: Client) -> None:
    page = await get_page(client)
    for needed in (
        "main",
        "chat-log",
        "chat-messages",
        "composer",
        "quick-exit",
        "language-form",
        "resume-form",
        "case-code-input",
        "delete-dialog",
        "remember",
        "text-size",
        "connection-status",
    ):
        assert needed in page.ids, needed
    assert page.html.count("<main") == 1
    assert 'role="log"' in page.html and 'aria-live="polite"' in page.html
    assert 'class="skip-link" href="#composer"' in page.html
    assert 'data-exit-url="https://www.google.com/"' in page.html
    # Every visible input has a label.
    for input_id in re.findall(r'<(?:input|textarea) id="([^"]+)"', page.html):
        assert f'for="{input_id}"' in page.html, input_id


async def test_a_form_posted_from_another_site_is_refused(client: Client, office: Office) -> None:
    """A hostile page must not start a chat with a session token it chose (and could later
    use to read the conversation)."""
    page = await get_page(client)
    fields = {**page.answer.fields, "op": "start"}
    for headers in (
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
    ):
        resp = await client.post("/chat", data=fields, headers=headers)
        assert resp.status == 403, headers
        assert_safe_headers(resp)
    async with office.store.tx() as tx:
        assert await tx.session.scalar(select(func.count(Conversation.id))) == 0
    # The same form from our own page is taken.
    page, _ = await submit(client, page.answer, "start")
    assert page.messages()[-1] == "Dürfen wir Ihre Angaben speichern?"


async def test_the_plain_forms_share_the_new_chat_limit_with_the_socket(office: Office) -> None:
    """Forms start conversations under the same per-network limit as the WebSocket: a
    script cannot fill the database by posting start forms with fresh tokens."""
    settings = Settings(webchat=WebChatSettings(new_chats_per_10_minutes=3))
    app = create_app(settings, office.store, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        ws = await c.ws_connect("/chat/ws", headers={"Origin": f"http://127.0.0.1:{c.port}"})
        await ws.send_json({"type": "hello", "language": "de"})
        while (await ws.receive_json(timeout=10))["type"] != "message":
            pass
        await ws.close()
        started = []
        for _ in range(2):
            page, _ = await submit(c, (await get_page(c)).answer, "start")
            started.append(page)
            assert page.messages()[-1] == "Dürfen wir Ihre Angaben speichern?"
        page, _ = await submit(c, (await get_page(c)).answer, "start", status=429)
        assert texts.text("de", "err_rate_limited") in page.html
        async with office.store.tx() as tx:
            assert await tx.session.scalar(select(func.count(Conversation.id))) == 3
        # A conversation already started goes on.
        page, _ = await submit(c, started[0].answer, "choice:accept")
        assert page.messages()[-1] == "Sind Sie jetzt in Gefahr?"


@pytest.fixture
async def intake_client(office: Office) -> AsyncIterator[Client]:
    await publish_files(office.store, [INTAKE])
    app = create_app(Settings(delivery=DeliverySettings(poll_seconds=0.05)), office.store)
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "Bitte wählen Sie mindestens eine Antwort."),
        ("ls", "Bitte wählen Sie mindestens 1 Antwort."),
        ("en", "Please pick at least one answer."),
    ],
)
async def test_nothing_ticked_is_refused_in_the_singular(
    intake_client: Client, language: str, expected: str
) -> None:
    # The shipped intake: the life area is a question of several answers, at least one.
    page = await get_page(intake_client, f"/chat?lang={language}")
    page, _ = await submit(intake_client, page.answer, "start")
    for op in ("choice:accept", "choice:no", "choice:today"):
        page, _ = await submit(intake_client, page.answer, op)
    assert "housing" in page.answer.checkboxes
    page, _ = await submit(intake_client, page.answer, "done", status=400)
    assert expected in page.html
    assert "mindestens 1 Antworten" not in page.html
    assert "at least 1 answers" not in page.html


@pytest.mark.parametrize(
    ("accept", "lang", "direction"),
    [
        ("en-US,en;q=0.9,de;q=0.8", "en", "ltr"),
        ("ar-EG,ar;q=0.9", "ar", "rtl"),
        ("fr-FR,de;q=0.5", "de", "ltr"),  # no French page: the next one the browser takes
        ("tr", "tr", "ltr"),
        ("fa-IR,fa;q=0.9", "fa", "rtl"),
        ("es", "de", "ltr"),  # none the page speaks: German
        ("de;q=0.2,en;q=0.8", "en", "ltr"),  # by weight, not by order
        ("en;q=x,,;", "de", "ltr"),  # malformed: ignored, never an error
    ],
)
async def test_the_first_page_follows_the_browsers_language(
    intake_client: Client, accept: str, lang: str, direction: str
) -> None:
    page = await intake_client.get("/chat", headers={"Accept-Language": accept})
    html = await page.text()
    assert page.status == 200
    assert re.search(rf'<html lang="[^"]*" dir="{direction}">', html), html[:200]
    assert re.search(rf'<body [^>]*data-lang="{lang}"', html)


async def test_an_asked_language_wins_over_the_browsers(intake_client: Client) -> None:
    page = await intake_client.get("/chat?lang=ls", headers={"Accept-Language": "en"})
    assert re.search(r'<body [^>]*data-lang="ls"', await page.text())


async def test_a_picked_date_reads_as_the_question_asks_for_it(
    client: Client, office: Office
) -> None:
    """The date field sends 2025-01-10; the person was asked for 10.01.2025, and that is
    what the conversation (and later the counsellor's transcript) shows; the date counts."""
    page = await get_page(client)
    page, _ = await submit(client, page.answer, "start")
    for op in ("choice:accept", "choice:no"):
        page, _ = await submit(client, page.answer, op)
    page, _ = await submit(client, page.answer, "send", text="2025-01-10")
    assert "10.01.2025" in page.messages() and "2025-01-10" not in page.messages()
    page, _ = await submit(client, page.answer, "choice:hannover")
    page, _ = await submit(client, page.answer, "send", text="Wohnung abgelehnt.")
    async with office.store.read() as tx:
        [waiting] = await cases.queue(tx)
    assert waiting.incident_date == date(2025, 1, 10)


def _opening(page: Page) -> tuple[str, str]:
    """Who wrote the line the page opens at (#latest), and its text."""
    found = re.search(
        r'<li class="msg msg--(\w+)[^"]*" data-seq="\d+" id="latest".*?'
        r'<p class="msg-text"[^>]*>(.*?)</p>',
        page.html,
        re.S,
    )
    assert found, "the page has no #latest line"
    return found.group(1), re.sub(r"<[^>]+>", "", found.group(2)).strip()


async def test_after_an_answer_the_page_opens_at_the_own_line_or_a_long_one_s_reply(
    client: Client,
) -> None:
    """Without JavaScript each answer loads a page at #latest: the person's own line with
    the reply under it, but after a long account the reply itself, so it is on screen."""
    page = await get_page(client)
    page, _ = await submit(client, page.answer, "start")
    page, _ = await submit(client, page.answer, "choice:accept")
    assert _opening(page) == ("person", "Ja")
    for op in ("choice:no", "choice:today", "choice:garbsen"):
        page, _ = await submit(client, page.answer, op)
    assert _opening(page) == ("person", "Garbsen")
    account = "Man hat mich im Amt nicht bedient und vor allen anderen beleidigt. " * 6
    page, _ = await submit(client, page.answer, "send", text=account.strip())
    sender, text = _opening(page)
    assert sender != "person" and text, "a long account opens the page, not its reply"


OFFICE_CONTACT = OfficeContactSettings(
    phone="0511 616-12345",
    email="beratung@region-hannover.example",
    web_url="https://www.region-hannover.example/antidiskriminierung",
)


@pytest.mark.parametrize("configured", [True, False])
async def test_declining_consent_gives_the_offices_phone_e_mail_and_web_page(
    office: Office, configured: bool
) -> None:
    await publish_files(office.store, [INTAKE])
    settings = Settings(
        delivery=DeliverySettings(poll_seconds=0.05),
        office_contact=OFFICE_CONTACT if configured else OfficeContactSettings(),
    )
    async with TestClient(TestServer(create_app(settings, office.store))) as c:
        page = await get_page(c, "/chat?lang=de")
        page, _ = await submit(c, page.answer, "start")
        page, _ = await submit(c, page.answer, "choice:decline")
    farewell = page.messages()[-1]
    assert "{office_contact}" not in page.html
    if configured:
        assert "Telefon: 0511 616-12345\nE-Mail: beratung@region-hannover.example\n" in farewell
        assert '<a class="tel" href="tel:051161612345" dir="ltr">0511 616-12345</a>' in page.html
        assert 'href="mailto:beratung@region-hannover.example"' in page.html
        assert 'href="https://www.region-hannover.example/antidiskriminierung"' in page.html
    else:
        assert (
            "Die Kontaktdaten finden Sie auf der Internetseite der Beratungsstelle "
            "(Antidiskriminierungsstelle Region Hannover)." in farewell
        )
        assert "mailto:" not in page.html
    assert "Polizei 110" in farewell
    # The emergency numbers in the text are tap-to-call links too, as in the crisis box,
    # with or without the office's contact.
    for number, href in (("110", "110"), ("112", "112"), ("0800 111 0 111", "08001110111")):
        assert f'<a class="tel" href="tel:{href}" dir="ltr">{number}</a>' in page.html


@pytest.mark.parametrize("language", ["de", "en"])
async def test_the_shipped_intake_promises_the_case_code_it_shows_at_the_end(
    intake_client: Client, language: str
) -> None:
    """The web chat gives a case code: the question on how to stay in touch says so (the
    flow's {way_back}), and the end shows the code. (Telegram, which shows none, promises
    none: tests/telegram/test_telegram_languages.py.)"""
    page = await get_page(intake_client, f"/chat?lang={language}")
    page, _ = await submit(intake_client, page.answer, "start")
    for op in ("choice:accept", "choice:no", "choice:this_week"):
        page, _ = await submit(intake_client, page.answer, op)
    page, _ = await submit(intake_client, page.answer, "done", choices=["housing"])
    page, _ = await submit(intake_client, page.answer, "choice:garbsen")
    page, _ = await submit(intake_client, page.answer, "done", choices=["disability"])
    page, _ = await submit(intake_client, page.answer, "send", text="Wohnung abgelehnt.")
    page, _ = await submit(intake_client, page.answer, "choice:affected")
    page, _ = await submit(intake_client, page.answer, "done", choices=["counselling"])
    question = page.messages()[-1]
    promise = UI.get(language, "case.way_back.code")
    assert question.endswith(promise), question
    assert "{way_back}" not in page.html
    page, _ = await submit(intake_client, page.answer, "choice:anonymous_chat")
    page, _ = await submit(intake_client, page.answer, "choice:internet")
    assert len(shown_code(page)) == 14


async def test_emergency_numbers_in_any_automatic_text_are_tap_to_call(
    intake_client: Client,
) -> None:
    """Not only the crisis box: the text after "Jetzt mit einer Person sprechen" says "rufen
    Sie bitte trotzdem sofort 110 oder 112 an", and a person in danger taps there too. Only
    the numbers of the crisis message become links (a date such as 24.03.2025 in another
    question is no phone number)."""
    page = await get_page(intake_client, "/chat?lang=de")
    page, _ = await submit(intake_client, page.answer, "start")
    page, _ = await submit(intake_client, page.answer, "choice:accept")
    page, _ = await submit(intake_client, page.answer, "choice:yes")  # in danger
    page, _ = await submit(intake_client, page.answer, "choice:talk_now")
    told = re.findall(r'<p class="msg-text"[^>]*>(.*?)</p>', page.html, re.S)[-1]
    assert "sofort " in told and "Warteschlange" in told, told  # not the crisis box above
    for number in ("110", "112"):
        assert f'<a class="tel" href="tel:{number}" dir="ltr">{number}</a>' in told, told
    page, _ = await submit(intake_client, page.answer, "choice:go_on")
    assert "24.03.2025" in page.messages()[-1]  # the date question's example
    assert "tel:2025" not in page.html and "tel:24" not in page.html
