"""Files in the console: shown in the transcript with type, size and a server-drawn preview,
downloaded decrypted, never runnable, audited; on SQLite and PostgreSQL."""

from __future__ import annotations

import io

from PIL import Image

from bot.console.audit_page import ACTIONS
from storage import audit, cases
from tests.evidence_files import AUTHOR_CANARY, GPS_CANARY, document, photo
from tests.integration.test_console import Console_, intake, session_of
from tests.integration.test_webchat_attach import attach
from tests.integration.test_webchat_pages import get_page, submit


def _assert_inert(resp: object, media_type: str, disposition: str) -> None:
    headers = resp.headers  # type: ignore[attr-defined]
    assert headers["Content-Type"].startswith(media_type)
    assert headers["Content-Security-Policy"].startswith("sandbox")
    assert headers["Content-Disposition"].startswith(disposition)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"


async def test_a_photo_and_a_pdf_show_in_the_case_and_download_clean(env: Console_) -> None:
    person, case_id = await intake(env.office, env.channel)
    await person.send(attachment=photo("JPEG", size=(900, 600)))
    await person.send(attachment=document())
    sid, _ = await session_of(env, "berater-region")
    cookie = {"Cookie": f"console={sid}"}
    page = await (await env.client.get(f"/console/cases/{case_id}", headers=cookie)).text()
    assert "Datei: Bild (JPEG), " in page and "900 \N{MULTIPLICATION SIGN} 600 Pixel" in page
    assert "Datei: PDF-Dokument, " in page and "1 Seite" in page
    photo_seq, pdf_seq = (
        int(x.split("/files/")[1].split('"')[0])
        for x in page.split('class="file-download" href="')[1:]
    )
    preview = await env.client.get(
        f"/console/cases/{case_id}/files/{photo_seq}/preview.png", headers=cookie
    )
    assert preview.status == 200
    _assert_inert(preview, "image/png", "inline")
    assert Image.open(io.BytesIO(await preview.read())).size == (320, 213)

    download = await env.client.get(f"/console/cases/{case_id}/files/{photo_seq}", headers=cookie)
    assert download.status == 200
    _assert_inert(download, "image/jpeg", "attachment")
    assert (
        f'filename="fall-{case_id}-datei-{photo_seq}.jpg"'
        in download.headers["Content-Disposition"]
    )
    data = await download.read()
    assert GPS_CANARY not in data and dict(Image.open(io.BytesIO(data)).getexif()) == {}

    pdf = await env.client.get(f"/console/cases/{case_id}/files/{pdf_seq}", headers=cookie)
    _assert_inert(pdf, "application/pdf", "attachment")
    body = await pdf.read()
    assert body.startswith(b"%PDF-") and AUTHOR_CANARY.encode() not in body
    assert (
        await env.client.get(
            f"/console/cases/{case_id}/files/{pdf_seq}/preview.png", headers=cookie
        )
    ).status == 404
    assert (await env.client.get(f"/console/cases/{case_id}/files/1", headers=cookie)).status == 404

    # Live: a file sent while the page is open comes with its link.
    status = await env.client.get(
        f"/console/cases/{case_id}/status.json?after={pdf_seq}", headers=cookie
    )
    assert (await status.json())["lines"] == []
    await person.send(attachment=photo("PNG"))
    status = await env.client.get(
        f"/console/cases/{case_id}/status.json?after={pdf_seq}", headers=cookie
    )
    (line,) = (await status.json())["lines"]
    assert line["file"]["href"] == f"/console/cases/{case_id}/files/{pdf_seq + 1}"

    async with env.office.store.read() as tx:
        entries = [e for e in await audit.entries(tx) if e[2] == case_id]
    actions = [e[1] for e in entries]
    assert actions.count("case.file_downloaded") == 2 and actions.count("case.file_viewed") == 1
    assert GPS_CANARY.decode() not in repr(entries)
    assert ACTIONS["case.file_downloaded"].startswith("Datei der Person")


async def test_another_team_and_anonymous_get_no_file(env: Console_) -> None:
    person, case_id = await intake(env.office, env.channel)
    await person.send(attachment=photo("JPEG"))
    path = f"/console/cases/{case_id}/files/7"
    anonymous = await env.client.get(path, allow_redirects=False)
    assert anonymous.status == 303
    sid, _ = await session_of(env, "berater-stadt")
    other = await env.client.get(path, headers={"Cookie": f"console={sid}"})
    assert other.status == 403
    async with env.office.store.read() as tx:
        entries = [e for e in await audit.entries(tx) if e[2] == case_id]
    assert "case.file_downloaded" not in [e[1] for e in entries]


async def test_an_iphone_photo_from_the_web_chat_downloads_as_an_upright_jpeg(
    env: Console_,
) -> None:
    # The person's side: the real chat page without JavaScript, the photo as an iPhone sends
    # it (HEIC, turned by its container, GPS in its EXIF), then the rest of the intake.
    page = await get_page(env.client)
    page, _ = await submit(env.client, page.answer, "start")
    page, _ = await submit(env.client, page.answer, "choice:accept")
    raw = photo("HEIF", size=(640, 480), orientation=6)
    page = await attach(
        env.client,
        page.forms["attach-form"],
        raw,
        filename="IMG_4711.HEIC",
        content_type="image/heic",
    )
    assert page.messages()[-1].startswith("Datei: Bild, ")
    for op in ("choice:no", "choice:today", "choice:garbsen"):
        page, _ = await submit(env.client, page.answer, op)
    page, _ = await submit(env.client, page.answer, "send", text="Das Schild am Eingang.")
    async with env.office.store.read() as tx:
        (entry,) = await cases.queue(tx)

    # The counsellor's side: a picture they can see and open in any browser.
    sid, _ = await session_of(env, "berater-region")
    cookie = {"Cookie": f"console={sid}"}
    case_page = await env.client.get(f"/console/cases/{entry.case_id}", headers=cookie)
    html = await case_page.text()
    assert "Datei: Bild (JPEG), " in html and "480 \N{MULTIPLICATION SIGN} 640 Pixel" in html
    (seq,) = (
        int(x.split("/files/")[1].split('"')[0])
        for x in html.split('class="file-download" href="')[1:]
    )
    download = await env.client.get(f"/console/cases/{entry.case_id}/files/{seq}", headers=cookie)
    assert download.status == 200
    _assert_inert(download, "image/jpeg", "attachment")
    assert download.headers["Content-Disposition"].endswith('.jpg"')
    data = await download.read()
    assert GPS_CANARY not in data and AUTHOR_CANARY.encode() not in data and b"Exif" not in data
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (480, 640)
    assert dict(image.getexif()) == {}
    red, _, blue = image.convert("RGB").getpixel((240, 40))  # type: ignore[misc]
    assert red > 150 and blue < 100  # the left half of the shot, upright on top
