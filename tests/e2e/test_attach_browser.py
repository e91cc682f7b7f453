"""A photo from a phone, in a real browser: chosen in the chat's composer (a preview from the
device, progress while it uploads, the file in the conversation), the intake completed, and
the counsellor downloads the photo without its GPS position or any other EXIF."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import pytest

from tests.e2e.helpers import require_playwright

require_playwright()

from PIL import Image  # noqa: E402
from playwright.async_api import FilePayload, Page, expect  # noqa: E402

from tests.e2e.chat import Chat  # noqa: E402
from tests.e2e.helpers import (  # noqa: E402
    INTAKE_DE,
    PHONE,
    MakeContext,
    Server,
    assert_accessible,
)
from tests.e2e.test_statistics_browser import log_in_as_new_admin  # noqa: E402
from tests.evidence_files import GPS_CANARY, photo  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.xdist_group("browser"),  # one worker: one Chromium, one server per run
]

ATTACH_LABEL = "Foto, Bildschirmfoto oder PDF anhängen"
HINT = "Wir entfernen Ort und Kameradaten aus der Datei, bevor wir sie speichern."
FILE_LINE = re.compile(r"^Datei: Bild, \d+ KB$")


async def _choose(page: Page, data: bytes, name: str = "IMG_20261124_Kroepcke.jpg") -> None:
    await page.get_by_label(ATTACH_LABEL).set_input_files(
        {"name": name, "mimeType": "image/jpeg", "buffer": data}
    )


@pytest.mark.timeout(180)
async def test_a_phone_photo_reaches_the_counsellor_without_its_gps_position(
    server: Server, make_context: MakeContext, tmp_path: Path, shots: Path
) -> None:
    person = await (
        await make_context(bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    ).new_page()
    chat = Chat(person)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse(INTAKE_DE[:3])

    # Before the handover: the photo goes in while a question is open.
    raw = photo("JPEG", size=(1200, 900), orientation=6)
    await expect(chat.composer.get_by_text(HINT)).to_be_visible()
    await _choose(person, raw)
    await expect(person.locator("#attach-preview img")).to_be_visible()
    await assert_accessible(person, "with a photo chosen, on a phone")
    await person.screenshot(path=str(shots / "attach-chosen-390.png"), full_page=True)
    await chat.composer.get_by_role("button", name="Datei senden").click()
    await expect(chat.log.locator("li.msg--file p.msg-text")).to_have_text(FILE_LINE)
    await expect(chat.log.locator("li.msg--file img.attach-thumb")).to_be_visible()
    await expect(person.locator("#attach-preview")).to_be_hidden()
    wide = await person.evaluate("document.documentElement.scrollWidth")
    assert wide <= PHONE["width"], f"the chat scrolls sideways on a phone ({wide} px)"
    await person.screenshot(path=str(shots / "attach-sent-390.png"), full_page=True)

    # A file the service refuses says why, at the field.
    await _choose(person, b"GIF89a not a photo", "bild.jpg")
    await chat.composer.get_by_role("button", name="Datei senden").click()
    await expect(person.locator("#attach-error")).to_have_text(
        re.compile("^Diese Datei können wir nicht annehmen")
    )
    await expect(person.get_by_label(ATTACH_LABEL)).to_have_attribute("aria-invalid", "true")

    # Two at once (a screenshot and a photo): a line each, each with its picture.
    await person.get_by_label(ATTACH_LABEL).set_input_files(
        [
            FilePayload(name="Screenshot.png", mimeType="image/png", buffer=photo("PNG")),
            FilePayload(name="IMG_2.webp", mimeType="image/webp", buffer=photo("WEBP")),
        ]
    )
    await expect(person.locator("#attach-preview img")).to_have_count(2)
    await expect(person.get_by_label(ATTACH_LABEL)).not_to_have_attribute("aria-invalid", "true")
    await chat.composer.get_by_role("button", name="Datei senden").click()
    await expect(chat.log.locator("li.msg--file p.msg-text")).to_have_count(3)
    await expect(chat.log.locator("li.msg--file img.attach-thumb")).to_have_count(3)
    await expect(person.get_by_text("2 Dateien gesendet.")).to_be_attached()
    await person.screenshot(path=str(shots / "attach-two-390.png"), full_page=True)

    await chat.answer_by_mouse(INTAKE_DE[3:])
    await chat.case_code()
    # After a reload the conversation still shows the file (from the server this time).
    await person.reload()
    await expect(
        chat.log.locator("li.msg--person p.msg-text").filter(has_text=FILE_LINE)
    ).to_have_count(3)
    case_id = max(row["id"] for row in server.cases())

    # The counsellor: the file in the transcript with a preview drawn by the server.
    counsellor = await (
        await make_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    ).new_page()
    await log_in_as_new_admin(counsellor, server, tmp_path, "dateien")
    await counsellor.goto(f"{server.url}/console/cases/{case_id}")
    line = counsellor.locator(".transcript li.person").filter(has_text="Datei: Bild (JPEG)")
    await expect(line).to_contain_text("900 \N{MULTIPLICATION SIGN} 1200 Pixel")  # turned upright
    preview = line.locator("img.file-preview")
    await expect(preview).to_be_visible()
    assert await preview.evaluate("img => img.complete && img.naturalWidth > 0")
    await assert_accessible(counsellor, "on a case with a photo")
    await line.scroll_into_view_if_needed()
    await counsellor.screenshot(path=str(shots / "attach-console-1280.png"))
    async with counsellor.expect_download() as info:
        await line.get_by_role("link", name=re.compile("herunterladen")).click()
    download = await info.value
    assert re.fullmatch(rf"fall-{case_id}-datei-\d+\.jpg", download.suggested_filename)
    data = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert GPS_CANARY not in data and b"Exif" not in data
    image = Image.open(io.BytesIO(data))
    assert dict(image.getexif()) == {} and image.size == (900, 1200)


@pytest.mark.timeout(120)
async def test_without_javascript_the_file_form_posts_and_the_page_shows_the_file(
    server: Server, make_context: MakeContext, shots: Path
) -> None:
    page = await (
        await make_context(bypass_csp=True, viewport=PHONE, java_script_enabled=False)
    ).new_page()
    await page.goto(f"{server.url}/chat")
    await page.get_by_role("button", name="Chat beginnen").click()
    await page.get_by_role("button", name="Deutsch", exact=True).click()
    await expect(page.get_by_text(HINT)).to_be_hidden()  # not before the consent
    await page.get_by_role("button", name="Ja, ich bin einverstanden").click()
    await expect(page.get_by_text(HINT)).to_be_visible()
    await _choose(page, photo("PNG", size=(300, 400)), "screenshot.png")
    await page.get_by_role("button", name="Datei senden").click()
    await expect(
        page.locator("li.msg--person p.msg-text").filter(has_text=FILE_LINE)
    ).to_be_visible()
    await expect(page.locator("#notice")).to_have_text("Datei gesendet.")
    # Nothing chosen: the browser still posts the form; the page says what to do.
    await page.get_by_role("button", name="Datei senden").click()
    await expect(page.locator("#attach-error")).to_have_text(
        "Bitte wählen Sie zuerst eine Datei aus."
    )
    await expect(page.get_by_label(ATTACH_LABEL)).to_have_attribute("aria-invalid", "true")
    await page.screenshot(path=str(shots / "attach-nojs-390.png"), full_page=True)


@pytest.mark.timeout(120)
async def test_an_iphone_heic_goes_up_where_the_browser_cannot_draw_it(
    server: Server, make_context: MakeContext
) -> None:
    person = await (
        await make_context(bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    ).new_page()
    chat = Chat(person)
    await chat.open(f"{server.url}/chat")
    await chat.answer_by_mouse(INTAKE_DE[:3])
    field = person.get_by_label(ATTACH_LABEL)
    await expect(field).to_have_attribute("accept", re.compile(r"image/heic.*\.heic"))
    # Chromium draws no HEIC: no broken picture stays in the preview or the conversation.
    await field.set_input_files(
        {"name": "IMG_4711.HEIC", "mimeType": "image/heic", "buffer": photo("HEIF")}
    )
    await expect(person.locator("#attach-preview")).to_be_hidden()
    await chat.composer.get_by_role("button", name="Datei senden").click()
    await expect(chat.log.locator("li.msg--file p.msg-text")).to_have_text(FILE_LINE)
    await expect(person.locator("#attach-error")).to_have_text("")
    await expect(chat.log.locator("li.msg--file img")).to_have_count(0)
