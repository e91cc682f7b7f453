"""`POST /chat/attach`: a file from the chat page, as a multipart form.

Without JavaScript the composer's file form posts here and the page comes back with the file
in the transcript (or a plain error beside the field). With JavaScript, chat.js posts the
same form with XMLHttpRequest (for the progress bar) and `Accept: application/json`, and
gets `{"ok": true, "line": …}` or `{"ok": false, "error": …}`.

The bytes go to the conversation service as they came; it checks and cleans them
(bot/evidence) before anything is stored. Nothing of the file is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from aiohttp import BodyPartReader, web

from bot.channels import webchat
from bot.channels.base import InboundMessage, InvalidMessage, SlowDown
from bot.conversation.service import AttachmentRefused
from bot.evidence.refusals import refusal_text
from bot.web import texts
from bot.web.file_text import file_line
from bot.web.pages import _CLIENT_ID, ChatPages, View, _ui_language
from storage.spool import Spool, TooLarge

log = logging.getLogger(__name__)

FIELD_LIMIT: Final = 200
MAX_PARTS: Final = 12
READ_CHUNK: Final = 64 * 1024


@dataclass
class Uploads:
    """Files arriving now: where they wait while they arrive (encrypted, on disk) and how
    many may arrive at once in this process; the next one is turned away with a plain "try
    again in a minute" instead of taking memory, disk or the cleaner's time from everyone."""

    directory: Path | None = None
    at_once: int = 8
    arriving: int = 0


class _Bad(Exception):
    def __init__(self, reason: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fields = fields or {}


async def _read(
    request: web.Request, max_file: int, uploads: Uploads, admit: Callable[[], str | None]
) -> tuple[dict[str, str], Spool | None]:
    """The form's fields and its file, spooled to disk as it arrives (never whole in
    memory). `admit` is asked when the file begins (the page's hidden fields come first, so
    a refusal can still show the person's conversation): a reason to refuse, or None."""
    if request.content_type != "multipart/form-data":
        raise _Bad("form")
    fields: dict[str, str] = {}
    spool: Spool | None = None
    reader = await request.multipart()
    try:
        for _ in range(MAX_PARTS):
            part = await reader.next()
            if part is None:
                return fields, spool
            if not isinstance(part, BodyPartReader) or not part.name:
                raise _Bad("form", fields)
            if part.name == "file":
                if spool is not None:
                    raise _Bad("form", fields)
                refused = admit()
                if refused is not None:
                    raise _Bad(refused, fields)
                spool = _open_spool(max_file, uploads)
                while chunk := await part.read_chunk(READ_CHUNK):
                    spool.write(chunk)
                continue
            body = bytearray()
            while chunk := await part.read_chunk(READ_CHUNK):
                body.extend(chunk)
                if len(body) > FIELD_LIMIT:
                    raise _Bad("form", fields)
            if part.name in fields:
                raise _Bad("form", fields)
            try:
                fields[part.name] = body.decode("utf-8")
            except UnicodeDecodeError:
                raise _Bad("form", fields) from None
        raise _Bad("form", fields)
    except TooLarge:
        _close(spool, uploads)
        raise _Bad("too_large", fields) from None
    except BaseException:
        _close(spool, uploads)
        raise


def _open_spool(max_file: int, uploads: Uploads) -> Spool:
    spool = Spool(max_file, uploads.directory)
    uploads.arriving += 1
    return spool


def _close(spool: Spool | None, uploads: Uploads) -> None:
    if spool is not None:
        spool.close()
        uploads.arriving -= 1


def _reply(
    pages: ChatPages, view: View, wants_json: bool, line: str | None = None
) -> web.Response | None:
    if not wants_json:
        return None
    if view.error:
        return web.json_response({"ok": False, "error": view.error}, status=view.status)
    return web.json_response({"ok": True, "line": line})


async def _own_line(pages: ChatPages, token: bytes, lang: str, t: dict[str, str]) -> str | None:
    """The person's newest file line as the transcript shows it (the cleaned file's size)."""
    history = await pages.service.history(pages.channel, webchat.address_for(token), token)
    for raw in reversed(history.lines):
        meta = raw.body.get("attachment") if raw.sender == "person" else None
        if isinstance(meta, dict):
            return file_line(meta, t, lang)
    return None


async def post_attach(pages: ChatPages, uploads: Uploads, request: web.Request) -> web.Response:
    wants_json = "application/json" in request.headers.get("Accept", "")
    lang = texts.DEFAULT_LANGUAGE
    if not pages.attachments or not webchat.same_site_post(request, pages.origins()):
        log.warning("webchat: a file post was refused (off, or from another site)")
        view = View(lang, False, webchat.new_token(), error=texts.text(lang, "err_bad_form"))
        view.status = 403
        return _reply(pages, view, wants_json) or pages._page(view)
    limits = pages.service.evidence_limits
    client = webchat.client_key(request, pages.limits)

    def admit() -> str | None:
        if not pages.posts.take(client):
            return "rate_limited"
        return "busy" if uploads.arriving >= uploads.at_once else None

    spool: Spool | None = None
    try:
        try:
            fields, spool = await _read(request, limits.max_bytes, uploads, admit)
        except _Bad as bad:
            return await _refused(pages, bad, wants_json, limits.max_bytes)
        return await _handle(pages, fields, spool, client, wants_json)
    finally:
        _close(spool, uploads)


_STATUS: Final = {"too_large": 413, "rate_limited": 429, "busy": 503, "form": 400}


async def _refused(pages: ChatPages, bad: _Bad, wants_json: bool, max_bytes: int) -> web.Response:
    """An upload turned away before the service saw it. With the page's hidden fields read,
    the person's conversation is shown again with the reason beside the file field."""
    view, t = await _view(pages, bad.fields)
    key = {"too_large": "err_file_too_large", "rate_limited": "err_rate_limited"}.get(
        bad.reason, "err_files_busy" if bad.reason == "busy" else "err_bad_form"
    )
    view.error = t[key].format(mb=round(max_bytes / (1024 * 1024)))
    view.status = _STATUS[bad.reason]
    if bad.reason != "form":
        view.error_field = "file"
    log.info("webchat: a file was turned away (%s)", bad.reason)
    if wants_json:
        return _reply(pages, view, wants_json) or pages._page(view)
    if webchat.decode_token(bad.fields.get("session", "")) is None:
        return pages._page(view)  # no conversation to show
    return await pages._with_history(view)


async def _view(pages: ChatPages, fields: dict[str, str]) -> tuple[View, dict[str, str]]:
    await pages._refresh_offered()
    lang = _ui_language(fields.get("lang"), pages.offered)
    token = webchat.decode_token(fields.get("session", ""))
    view = View(
        lang,
        fields.get("embed") == "1",
        token or webchat.new_token(),
        chosen=fields.get("chosen") == "1",
    )
    return view, texts.texts_for(lang)


async def _handle(
    pages: ChatPages,
    fields: dict[str, str],
    spool: Spool | None,
    client: str,
    wants_json: bool,
) -> web.Response:
    limits = pages.service.evidence_limits
    view, t = await _view(pages, fields)
    lang = view.lang
    token = webchat.decode_token(fields.get("session", ""))
    mid = fields.get("mid", "")
    if token is None or not _CLIENT_ID.match(mid):
        view.error, view.status = t["err_session"], 400
        return _reply(pages, view, wants_json) or await pages._with_history(view)
    line = None
    try:
        msg = InboundMessage(
            pages.channel,
            webchat.address_for(token),
            mid,
            attachment=spool if spool is not None and spool.size else None,
            session_token=token,
            client=client if pages.preview is None else None,
        )
        await pages.service.handle(msg)
    except InvalidMessage:
        view.error, view.status, view.error_field = t["err_file_empty"], 400, "file"
    except AttachmentRefused as refused:
        view.error = refusal_text(refused.reason, lang, limits)
        view.status, view.error_field = (413 if refused.reason == "too_large" else 400), "file"
    except SlowDown:
        view.error, view.status = t["err_rate_limited"], 429
    except Exception:
        log.exception("webchat: a file could not be processed")
        view.error, view.status = t["err_unavailable"], 503
    else:
        view.notice = t["attach_sent"]
        if wants_json:
            line = await _own_line(pages, token, lang, t)
    return _reply(pages, view, wants_json, line) or await pages._with_history(view)


def add_attach_route(
    app: web.Application,
    pages: ChatPages,
    uploads: Uploads | None = None,
    path: str = "/chat/attach",
) -> None:
    arriving = uploads or Uploads()

    async def handler(request: web.Request) -> web.Response:
        return await post_attach(pages, arriving, request)

    app.router.add_post(path, handler)
