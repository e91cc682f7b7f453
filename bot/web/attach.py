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
from typing import Final

from aiohttp import BodyPartReader, web

from bot.channels import webchat
from bot.channels.base import InboundMessage, InvalidMessage, SlowDown
from bot.conversation.service import AttachmentRefused
from bot.evidence.refusals import refusal_text
from bot.web import texts
from bot.web.file_text import file_line
from bot.web.pages import _CLIENT_ID, ChatPages, View, _ui_language

log = logging.getLogger(__name__)

FIELD_LIMIT: Final = 200
MAX_PARTS: Final = 12


class _Bad(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _read(request: web.Request, max_file: int) -> tuple[dict[str, str], bytes]:
    if request.content_type != "multipart/form-data":
        raise _Bad("form")
    fields: dict[str, str] = {}
    data = b""
    reader = await request.multipart()
    for _ in range(MAX_PARTS):
        part = await reader.next()
        if part is None:
            return fields, data
        if not isinstance(part, BodyPartReader) or not part.name:
            raise _Bad("form")
        limit = max_file if part.name == "file" else FIELD_LIMIT
        body = bytearray()
        while chunk := await part.read_chunk(64 * 1024):
            body.extend(chunk)
            if len(body) > limit:
                raise _Bad("too_large" if part.name == "file" else "form")
        if part.name == "file":
            data = bytes(body)
        elif part.name in fields:
            raise _Bad("form")
        else:
            try:
                fields[part.name] = body.decode("utf-8")
            except UnicodeDecodeError:
                raise _Bad("form") from None
    raise _Bad("form")


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


async def post_attach(pages: ChatPages, request: web.Request) -> web.Response:
    wants_json = "application/json" in request.headers.get("Accept", "")
    lang = texts.DEFAULT_LANGUAGE
    if not pages.attachments or not webchat.same_site_post(request, pages.origins()):
        log.warning("webchat: a file post was refused (off, or from another site)")
        view = View(lang, False, webchat.new_token(), error=texts.text(lang, "err_bad_form"))
        view.status = 403
        return _reply(pages, view, wants_json) or pages._page(view)
    limits = pages.service.evidence_limits
    mb = round(limits.max_bytes / (1024 * 1024))
    try:
        fields, data = await _read(request, limits.max_bytes)
    except _Bad as bad:
        key = "err_file_too_large" if bad.reason == "too_large" else "err_bad_form"
        view = View(lang, False, webchat.new_token(), error=texts.text(lang, key).format(mb=mb))
        view.status = 413 if bad.reason == "too_large" else 400
        # The rest of the form is unread: the page cannot continue this conversation.
        return _reply(pages, view, wants_json) or pages._page(view)
    await pages._refresh_offered()
    lang = _ui_language(fields.get("lang"), pages.offered)
    t = texts.texts_for(lang)
    token = webchat.decode_token(fields.get("session", ""))
    mid = fields.get("mid", "")
    view = View(
        lang,
        fields.get("embed") == "1",
        token or webchat.new_token(),
        chosen=fields.get("chosen") == "1",
    )
    if token is None or not _CLIENT_ID.match(mid):
        view.error, view.status = t["err_session"], 400
        return _reply(pages, view, wants_json) or await pages._with_history(view)
    client = webchat.client_key(request, pages.limits)
    if not pages.posts.take(client):
        view.error, view.status = t["err_rate_limited"], 429
        return _reply(pages, view, wants_json) or await pages._with_history(view)
    line = None
    try:
        msg = InboundMessage(
            pages.channel,
            webchat.address_for(token),
            mid,
            attachment=data or None,
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


def add_attach_route(app: web.Application, pages: ChatPages, path: str = "/chat/attach") -> None:
    async def handler(request: web.Request) -> web.Response:
        return await post_attach(pages, request)

    app.router.add_post(path, handler)
