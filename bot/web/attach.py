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
from bot.channels.base import InboundMessage, SlowDown
from bot.conversation.units import AttachmentRefused
from bot.evidence.limits import FILES_PER_POST, Limits
from bot.evidence.refusals import refusal_text
from bot.web import texts
from bot.web.file_text import file_line
from bot.web.pages import _CLIENT_ID, ChatPages, View, _ui_language
from storage.spool import Spool, TooLarge

log = logging.getLogger(__name__)

FIELD_LIMIT: Final = 200
MAX_FILES: Final = FILES_PER_POST
MAX_PARTS: Final = 12 + MAX_FILES
READ_CHUNK: Final = 64 * 1024


@dataclass
class Uploads:
    """Posts with files arriving now: where the files wait while they arrive (encrypted, on
    disk) and how many posts may arrive at once in this process; the next one is turned
    away with a plain "try again in a minute" instead of taking memory, disk or the
    cleaner's time from everyone."""

    directory: Path | None = None
    at_once: int = 8
    arriving: int = 0


class _Bad(Exception):
    def __init__(self, reason: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fields = fields or {}


async def _read(
    request: web.Request,
    limits: Limits,
    uploads: Uploads,
    admit: Callable[[], str | None],
    spools: list[Spool],
) -> dict[str, str]:
    """The form's fields; its files go into `spools`, on disk as they arrive (never whole
    in memory). `admit` is asked when the first file begins (the page's hidden fields come
    first, so a refusal can still show the person's conversation): a reason to refuse, or
    None; then the post holds one of the `uploads` places until the caller closes it."""
    if request.content_type != "multipart/form-data":
        raise _Bad("form")
    fields: dict[str, str] = {}
    reader = await request.multipart()
    budget = limits.max_case_bytes  # no more than one conversation could hold
    try:
        for _ in range(MAX_PARTS):
            part = await reader.next()
            if part is None:
                return fields
            if not isinstance(part, BodyPartReader) or not part.name:
                raise _Bad("form", fields)
            if part.name == "file":
                if len(spools) >= MAX_FILES:
                    raise _Bad("too_many", fields)
                if not spools and (refused := admit()) is not None:
                    raise _Bad(refused, fields)
                spool = Spool(min(limits.max_bytes, budget), uploads.directory)
                spools.append(spool)
                while chunk := await part.read_chunk(READ_CHUNK):
                    spool.write(chunk)
                budget -= spool.size
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
        raise _Bad("too_large", fields) from None


def _reply(view: View, wants_json: bool, lines: list[str] | None = None) -> web.Response | None:
    if not wants_json:
        return None
    said: dict[str, object] = {"ok": not view.error, "lines": lines or []}
    if view.error:
        said["error"] = view.error
    # Some files in, one refused: the post as such went through.
    return web.json_response(said, status=view.status if view.error and not lines else 200)


async def _own_lines(
    pages: ChatPages, token: bytes, lang: str, t: dict[str, str], count: int
) -> list[str]:
    """The person's newest `count` file lines as the transcript shows them (the cleaned
    files' sizes), oldest first."""
    history = await pages.service.history(pages.channel, webchat.address_for(token), token)
    found: list[str] = []
    for raw in reversed(history.lines):
        meta = raw.body.get("attachment") if raw.sender == "person" else None
        if isinstance(meta, dict):
            found.append(file_line(meta, t, lang))
            if len(found) == count:
                break
    return found[::-1]


async def post_attach(pages: ChatPages, uploads: Uploads, request: web.Request) -> web.Response:
    wants_json = "application/json" in request.headers.get("Accept", "")
    lang = texts.DEFAULT_LANGUAGE
    if not pages.attachments or not webchat.same_site_post(request, pages.origins()):
        log.warning("webchat: a file post was refused (off, or from another site)")
        view = View(lang, False, webchat.new_token(), error=texts.text(lang, "err_bad_form"))
        view.status = 403
        return _reply(view, wants_json) or pages._page(view)
    limits = pages.service.evidence_limits
    client = webchat.client_key(request, pages.limits)
    holding = False

    def admit() -> str | None:
        nonlocal holding
        if not pages.posts.take(client):
            return "rate_limited"
        if uploads.arriving >= uploads.at_once:
            return "busy"
        uploads.arriving += 1
        holding = True
        return None

    spools: list[Spool] = []
    try:
        try:
            fields = await _read(request, limits, uploads, admit, spools)
        except _Bad as bad:
            return await _refused(pages, bad, wants_json, limits.max_bytes)
        files = [spool for spool in spools if spool.size]  # a field sent with nothing chosen
        return await _handle(pages, fields, files, client, wants_json)
    finally:
        for spool in spools:
            spool.close()
        if holding:
            uploads.arriving -= 1


_STATUS: Final = {
    "too_large": 413,
    "too_many": 413,
    "rate_limited": 429,
    "busy": 503,
    "form": 400,
}
_ERROR: Final = {
    "too_large": "err_file_too_large",
    "too_many": "err_bad_form",
    "rate_limited": "err_rate_limited",
    "busy": "err_files_busy",
}


async def _refused(pages: ChatPages, bad: _Bad, wants_json: bool, max_bytes: int) -> web.Response:
    """An upload turned away before the service saw it. With the page's hidden fields read,
    the person's conversation is shown again with the reason beside the file field."""
    view, t = await _view(pages, bad.fields)
    if bad.reason == "too_many":
        view.error = texts.count_text(view.lang, "err_too_many_files", MAX_FILES)
    else:
        view.error = t[_ERROR.get(bad.reason, "err_bad_form")].format(
            mb=round(max_bytes / (1024 * 1024))
        )
    view.status = _STATUS[bad.reason]
    if bad.reason != "form":
        view.error_field = "file"
    log.info("webchat: a file was turned away (%s)", bad.reason)
    if wants_json:
        return _reply(view, wants_json) or pages._page(view)
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
    spools: list[Spool],
    client: str,
    wants_json: bool,
) -> web.Response:
    """Each file as one message of the person's, in the order chosen. One the service
    refuses does not stop the others; its reason is shown at the field."""
    limits = pages.service.evidence_limits
    view, t = await _view(pages, fields)
    lang = view.lang
    token = webchat.decode_token(fields.get("session", ""))
    mid = fields.get("mid", "")
    if token is None or not _CLIENT_ID.match(mid):
        view.error, view.status = t["err_session"], 400
        return _reply(view, wants_json) or await pages._with_history(view)
    if not spools:
        view.error, view.status, view.error_field = t["err_file_empty"], 400, "file"
        return _reply(view, wants_json) or await pages._with_history(view)
    sent = 0
    for index, spool in enumerate(spools):
        try:
            msg = InboundMessage(
                pages.channel,
                webchat.address_for(token),
                # One id per file, derived from the post's: a repeated post repeats them all.
                mid if index == 0 else f"{mid[:90]}-f{index}",
                attachment=spool,
                session_token=token,
                client=client if pages.preview is None else None,
            )
            await pages.service.handle(msg)
        except AttachmentRefused as refused:
            if not view.error:
                view.error = refusal_text(refused.reason, lang, limits)
                view.status = 413 if refused.reason == "too_large" else 400
                view.error_field = "file"
            continue
        except SlowDown:
            view.error, view.status = t["err_rate_limited"], 429
            break
        except Exception:
            log.exception("webchat: a file could not be processed")
            view.error, view.status = t["err_unavailable"], 503
            break
        sent += 1
    lines: list[str] = []
    if sent:
        view.notice = (
            t["attach_sent"] if sent == 1 else texts.count_text(lang, "attach_sent_count", sent)
        )
        if wants_json:
            lines = await _own_lines(pages, token, lang, t, sent)
    return _reply(view, wants_json, lines) or await pages._with_history(view)


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
