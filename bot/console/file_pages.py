"""Files in a case: a preview rendered on the server and the download, both decrypted with
the session's team key and both audited (ids and the line number only).

The preview is a fresh PNG made from the stored (already clean) image, so the counsellor's
browser decodes only what this service drew. Every response is a download-like document
that cannot run anything: `Content-Security-Policy: sandbox`, `X-Content-Type-Options:
nosniff`, `Content-Disposition` and `Cache-Control: no-store`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

from aiohttp import web

from bot.console.case_pages import CasePages
from bot.console.core import Console
from bot.evidence.thumbnail import thumbnail
from storage import attachments, audit, cases
from storage.crypto import CryptoError

log = logging.getLogger(__name__)

EXTENSIONS: Final = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "audio/ogg": "ogg",
}
SANDBOX: Final = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


def file_headers(media_type: str, disposition: str) -> dict[str, str]:
    return {
        "Content-Type": media_type,
        "Content-Disposition": disposition,
        "Content-Security-Policy": SANDBOX,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


class FilePages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.cases = CasePages(console)

    async def _open(
        self, request: web.Request, action: str, images_only: bool = False
    ) -> tuple[int, int, Any] | web.Response:
        session = await self.console.require(request)
        if isinstance(session, web.Response):
            return session
        entry = await self.cases.case_of(request, session)
        if isinstance(entry, web.Response):
            return entry
        try:
            seq = int(request.match_info["seq"])
        except ValueError:
            raise web.HTTPNotFound() from None
        async with self.console.store.tx(self.console.clock()) as tx:
            key = await cases.private_key_for_team(tx, entry.case_id, session.keys.team_keys)
            if key is None:
                return self.console.forbidden("Ihre Schlüssel öffnen diesen Fall nicht.")
            try:
                stored = await attachments.read(tx, entry.case_id, seq, key)
            except LookupError:
                raise web.HTTPNotFound() from None
            except CryptoError:
                log.error("case %s: file of line %s failed its integrity check", entry.case_id, seq)
                await audit.record(tx, session.actor, "case.integrity_failed", entry.case_id)
                raise web.HTTPInternalServerError(text="Die Datei wurde verändert.") from None
            if images_only and not str(stored.meta.get("type")).startswith("image/"):
                raise web.HTTPNotFound()  # no preview of a PDF: nothing shown, nothing audited
            await audit.record(tx, session.actor, action, entry.case_id, f"line={seq}")
        return entry.case_id, seq, stored

    async def get_file(self, request: web.Request) -> web.StreamResponse:
        opened = await self._open(request, "case.file_downloaded")
        if isinstance(opened, web.Response):
            return opened
        case_id, seq, stored = opened
        media_type = str(stored.meta.get("type"))
        name = f"fall-{case_id}-datei-{seq}.{EXTENSIONS.get(media_type, 'bin')}"
        return web.Response(
            body=stored.data,
            headers=file_headers(
                media_type if media_type in EXTENSIONS else "application/octet-stream",
                f'attachment; filename="{name}"',
            ),
        )

    async def get_thumbnail(self, request: web.Request) -> web.StreamResponse:
        opened = await self._open(request, "case.file_viewed", images_only=True)
        if isinstance(opened, web.Response):
            return opened
        case_id, seq, stored = opened
        try:
            png = await asyncio.to_thread(thumbnail, stored.data)
        except (OSError, ValueError):
            raise web.HTTPNotFound() from None
        return web.Response(
            body=png,
            headers=file_headers(
                "image/png", f'inline; filename="fall-{case_id}-vorschau-{seq}.png"'
            ),
        )


def add_file_routes(app: web.Application, console: Console) -> None:
    pages = FilePages(console)
    base = "/console/cases/{case_id:[0-9]+}/files/{seq:[0-9]+}"
    app.router.add_get(base, pages.get_file)
    app.router.add_get(base + "/preview.png", pages.get_thumbnail)
