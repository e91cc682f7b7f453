"""Sending a file from the chat page without JavaScript (a multipart form) and with it
(the same form, asking for JSON), against the real app and store."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from sqlalchemy import func, select

from storage.models import AttachmentChunk
from tests.conftest import Office
from tests.evidence_files import GPS_CANARY, bomb, document, photo
from tests.integration.test_webchat_pages import (
    Client,
    Form,
    Page,
    get_page,
    handed_over,
    submit,
)
from tests.integration.test_webchat_pages import client as client  # re-exported: the fixture


async def attach(
    client: Client,
    form: Form,
    data: bytes | list[bytes] | None,
    status: int = 200,
    *,
    as_json: bool = False,
    filename: str = "IMG_0001.jpg",
    content_type: str = "image/jpeg",
) -> Any:
    body = aiohttp.FormData()
    for key, value in form.fields.items():
        body.add_field(key, value)
    # A browser sends the file field even when nothing was chosen: empty, without a name.
    for one in data if isinstance(data, list) else [data]:
        body.add_field(
            "file",
            one or b"",
            filename=filename if one is not None else "",
            content_type=content_type if one is not None else "application/octet-stream",
        )
    headers = {"Origin": f"http://127.0.0.1:{client.port}", "Sec-Fetch-Site": "same-origin"}
    if as_json:
        headers["Accept"] = "application/json"
    resp = await client.post("/chat/attach", data=body, headers=headers)
    text = await resp.text()
    assert resp.status == status, text
    return json.loads(text) if as_json else Page(text)


def _hidden(page: Page) -> bool:
    return " hidden>" in page.html.split('id="attach-form"')[1].split(">")[0] + ">"


async def _chunks(office: Office) -> int:
    async with office.store.read() as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(AttachmentChunk)) or 0)


async def test_a_photo_goes_into_the_transcript_without_javascript(
    client: Client, office: Office
) -> None:
    page = await get_page(client)
    assert "attach-form" in page.forms and _hidden(page)
    page, _ = await submit(client, page.answer, "start")
    assert _hidden(page)  # not before the person agreed to the storing
    page = await attach(client, page.forms["attach-form"], photo("JPEG"), 400)
    assert "wenn Sie der Speicherung zugestimmt haben" in page.html
    page, _ = await submit(client, page.answer, "choice:accept")
    assert not _hidden(page)
    form = page.forms["attach-form"]
    assert form.attrs["enctype"] == "multipart/form-data"
    assert 'for="attach-input"' in page.html and 'type="file"' in page.html
    assert "Wir entfernen Ort und Kameradaten aus der Datei" in page.html
    page = await attach(client, form, photo("JPEG", size=(800, 600)))
    assert page.messages()[-2:] == ["Sind Sie jetzt in Gefahr?", "Datei: Bild, 4 KB"]
    assert page.answer.ops[:2] == ["choice:yes", "choice:no"]  # still the open question
    assert await _chunks(office) == 1

    # A file the service refuses: a clear error at the field, the page goes on.
    page = await attach(client, page.forms["attach-form"], b"GIF89a nope", 400)
    assert "Diese Datei können wir nicht annehmen" in page.html
    assert 'aria-invalid="true"' in page.html.split('id="attach-input"')[1][:400]
    page = await attach(client, page.forms["attach-form"], bomb(), 400)
    assert "Das Bild ist zu groß" in page.html
    page = await attach(client, page.forms["attach-form"], None, 400)
    assert "Bitte wählen Sie zuerst eine Datei aus." in page.html
    assert await _chunks(office) == 1


async def test_after_crisis_words_to_the_waiting_case_a_file_goes_at_once(
    client: Client, office: Office
) -> None:
    """The case waits for the team; the person writes that they are in danger and gets the
    crisis numbers. A photo of the injury must not wait for another message of theirs."""
    page, _ = await handed_over(client)
    page, _ = await submit(client, page.answer, "send", text="Ich will nicht mehr leben.")
    newest = page.html.split('id="chat-messages"')[1].split("</ol>")[0].rsplit("<li", 1)[1]
    assert 'class="msg msg--bot msg--crisis"' in newest
    assert not _hidden(page)
    page = await attach(client, page.forms["attach-form"], photo("JPEG"))
    assert page.messages()[-1].startswith("Datei: Bild,")
    assert await _chunks(office) == 1


async def test_with_javascript_the_same_form_answers_json(client: Client, office: Office) -> None:
    page = await get_page(client)
    page, _ = await submit(client, page.answer, "start")
    page, _ = await submit(client, page.answer, "choice:accept")
    form = page.forms["attach-form"]
    reply = await attach(client, form, photo("PNG"), as_json=True, content_type="text/plain")
    assert reply["ok"] is True and [line[:12] for line in reply["lines"]] == ["Datei: Bild,"]
    form.fields["mid"] = "j-second-upload-0001"
    reply = await attach(client, form, b"\x00" * (11 * 1024 * 1024), 413, as_json=True)
    assert reply == {
        "ok": False,
        "lines": [],
        "error": "Die Datei ist zu groß. Erlaubt sind bis zu 10 MB.",
    }


async def test_a_file_from_another_site_is_refused(client: Client, office: Office) -> None:
    page = await get_page(client)
    page, _ = await submit(client, page.answer, "start")
    body = aiohttp.FormData()
    for key, value in page.forms["attach-form"].fields.items():
        body.add_field(key, value)
    body.add_field("file", photo("JPEG"), filename="x.jpg")
    resp = await client.post(
        "/chat/attach",
        data=body,
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert resp.status == 403
    assert await _chunks(office) == 0
    assert GPS_CANARY  # the planted file never got in


async def test_several_files_in_one_post_become_lines_of_their_own(
    client: Client, office: Office
) -> None:
    page = await get_page(client)
    page, _ = await submit(client, page.answer, "start")
    page, _ = await submit(client, page.answer, "choice:accept")
    assert " multiple " in page.html.split('id="attach-input"')[1][:200]
    page = await attach(
        client, page.forms["attach-form"], [photo("JPEG"), b"GIF89a nope", document()], 400
    )
    # The two good ones went in, in order; the one refused is named at the field.
    assert page.messages()[-2:] == ["Datei: Bild, 1 KB", "Datei: PDF-Dokument, 1 KB"]
    assert "Diese Datei können wir nicht annehmen" in page.html
    assert await _chunks(office) == 2

    form = page.forms["attach-form"]
    form.fields["mid"] = "j-several-files-0001"
    reply = await attach(client, form, [photo("PNG"), photo("WEBP")], as_json=True)
    assert reply["ok"] is True and len(reply["lines"]) == 2
    form.fields["mid"] = "j-too-many-files-01"
    reply = await attach(client, form, [photo("PNG")] * 11, 413, as_json=True)
    assert reply["error"] == "Bitte senden Sie höchstens 10 Dateien auf einmal."
    assert await _chunks(office) == 4
