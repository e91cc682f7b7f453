"""Large files arriving slowly, and more of them than the office takes at once: each waits on
disk, sealed, not in memory; one too many is turned away with a plain sentence; and the
chat keeps answering everyone else meanwhile. Real app, real sockets, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from bot.app import create_app
from bot.evidence.clean import is_polyglot
from bot.settings import AttachmentSettings, DeliverySettings, Settings
from tests.conftest import Office
from tests.evidence_files import GPS_CANARY
from tests.integration.test_webchat_pages import Client, Form, get_page, submit

AT_ONCE = 3
SENT_BEFORE_STALL = 5 * 1024 * 1024


@pytest.fixture
async def flood_client(office: Office, tmp_path: Path) -> AsyncIterator[Client]:
    settings = Settings(
        data_dir=tmp_path,
        delivery=DeliverySettings(poll_seconds=0.05),
        attachments=AttachmentSettings(uploads_at_once=AT_ONCE),
    )
    app = create_app(settings, office.store, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


def noisy_photo() -> bytes:
    """A PNG of random pixels (it does not compress): about 7 MB, with GPS EXIF."""
    from tests.evidence_files import exif_with_gps

    size = (1500, 1600)
    # Seeded, so that every run sends the same bytes.
    pixels = random.Random(1600).randbytes(size[0] * size[1] * 3)
    im = Image.frombytes("RGB", size, pixels)
    out = io.BytesIO()
    im.save(out, "PNG", exif=exif_with_gps().tobytes(), compress_level=1)
    data = out.getvalue()
    assert not is_polyglot(data, "PNG")
    return data


class SlowUpload:
    """A browser on a slow line: the form's fields, then the file, which stops after
    `stall_at` bytes until `go` is set."""

    def __init__(self, client: Client, form: Form, data: bytes, stall_at: int) -> None:
        self.client = client
        self.fields = {**form.fields, "mid": f"upload-{uuid.uuid4().hex[:16]}"}
        self.data = data
        self.stall_at = stall_at
        self.go = asyncio.Event()
        self.stalled = asyncio.Event()
        self.boundary = uuid.uuid4().hex

    async def _body(self) -> AsyncIterator[bytes]:
        b = self.boundary
        for key, value in self.fields.items():
            yield (
                f'--{b}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
            ).encode()
        yield (
            f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="IMG.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        for start in range(0, len(self.data), 64 * 1024):
            if start >= self.stall_at and not self.go.is_set():
                self.stalled.set()
                await self.go.wait()
            yield self.data[start : start + 64 * 1024]
        yield f"\r\n--{b}--\r\n".encode()

    async def send(self) -> tuple[int, dict[str, object]]:
        headers = {
            "Origin": f"http://127.0.0.1:{self.client.port}",
            "Sec-Fetch-Site": "same-origin",
            "Accept": "application/json",
            "Content-Type": f"multipart/form-data; boundary={self.boundary}",
        }
        resp = await self.client.post("/chat/attach", data=self._body(), headers=headers)
        return resp.status, json.loads(await resp.text())


def _spool_files(where: Path) -> list[Path]:
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            if os.readlink(fd).startswith(str(where)):
                found.append(fd)
        except OSError:
            continue
    return found


async def _consented(client: Client) -> Form:
    page = await get_page(client)
    page, _ = await submit(client, page.answer, "start")
    page, _ = await submit(client, page.answer, "choice:accept")
    return page.forms["attach-form"]


async def test_slow_large_uploads_wait_sealed_on_disk_and_the_chat_answers_meanwhile(
    flood_client: Client, tmp_path: Path
) -> None:
    client = flood_client
    photo = noisy_photo()
    assert len(photo) > SENT_BEFORE_STALL + 1024 * 1024 and GPS_CANARY in photo
    senders = [await _consented(client) for _ in range(AT_ONCE + 1)]
    spools = tmp_path / "uploads"

    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        slow = [SlowUpload(client, form, photo, SENT_BEFORE_STALL) for form in senders[:AT_ONCE]]
        tasks = [asyncio.create_task(upload.send()) for upload in slow]
        await asyncio.wait_for(asyncio.gather(*(u.stalled.wait() for u in slow)), 60)
        # Wait until the server has taken in what was sent: the sealed pieces on its disk.
        for _ in range(600):
            files = _spool_files(spools)
            if len(files) == AT_ONCE and all(
                f.stat().st_size >= SENT_BEFORE_STALL - 256 * 1024 for f in files
            ):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"the uploads did not arrive: {len(_spool_files(spools))}")
        held, _ = tracemalloc.get_traced_memory()
        # Three uploads of 5 MB each are under way; in memory is not even one of them.
        assert held - before < SENT_BEFORE_STALL, (held - before) / 1e6
        for f in _spool_files(spools):
            assert GPS_CANARY not in f.read_bytes()
        assert list(spools.iterdir()) == []  # and nothing with a name
    finally:
        tracemalloc.stop()

    # One more while these arrive: turned away at once, in plain words, its page intact.
    status, reply = await SlowUpload(client, senders[AT_ONCE], photo, len(photo)).send()
    assert status == 503
    assert reply == {
        "ok": False,
        "lines": [],
        "error": "Gerade kommen sehr viele Dateien an. Bitte senden Sie Ihre Datei in einer "
        "Minute noch einmal.",
    }

    # Someone else chats meanwhile and gets the next question.
    page = await get_page(client)
    page, _ = await submit(client, page.answer, "start")
    assert page.answer.ops[:1] == ["choice:accept"]

    for upload in slow:
        upload.go.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), 120)
    assert [status for status, _ in results] == [200] * AT_ONCE, results
    assert all(
        len(lines := reply["lines"]) == 1 and str(lines[0]).startswith("Datei: Bild,")  # type: ignore[arg-type,index]
        for _, reply in results
    )
    assert _spool_files(spools) == []  # every spool closed; the places are free again
    status, reply = await SlowUpload(client, senders[AT_ONCE], photo, len(photo)).send()
    assert status == 200 and reply["ok"] is True


async def test_a_file_over_the_limit_is_stopped_as_it_arrives_and_the_page_goes_on(
    flood_client: Client, tmp_path: Path
) -> None:
    client = flood_client
    form = await _consented(client)
    big = os.urandom(11 * 1024 * 1024)
    resp = await client.post(
        "/chat/attach",
        data=_form_data(form, big),
        headers={"Origin": f"http://127.0.0.1:{client.port}", "Sec-Fetch-Site": "same-origin"},
    )
    html = await resp.text()
    assert resp.status == 413
    assert "Die Datei ist zu groß. Erlaubt sind bis zu 10 MB." in html
    # The person's conversation is still there, with its open question.
    assert "Sind Sie jetzt in Gefahr?" in html
    assert _spool_files(tmp_path / "uploads") == []


def _form_data(form: Form, data: bytes) -> aiohttp.FormData:
    body = aiohttp.FormData()
    for key, value in form.fields.items():
        body.add_field(key, value)
    body.add_field("file", data, filename="big.png", content_type="image/png")
    return body
