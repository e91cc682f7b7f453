"""The chat page with its no-JavaScript path, the accessibility statement, embed.js, static files.

The page is a complete chat without JavaScript: every answer is one form POST to /chat.
The session token travels in a hidden form field (never a cookie, never the URL) and every
rendered form carries a fresh client message id, so a browser re-submit (F5) is harmless:
the conversation service ignores a known id, and a form answering a question that is no
longer the current one is not applied again. With JavaScript, static/chat.js takes over
the same forms and speaks the WebSocket protocol (docs/webchat-protocol.md).

Replies go through the outbox asynchronously, so the page is rendered from
`ConversationService.history()`: the transcript is written in the same transaction as the
reply and is complete when `handle()` returns.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import parse_qsl, urlsplit

from aiohttp import web

from bot.channels import webchat
from bot.channels.base import (
    MAX_TEXT_LENGTH,
    SOURCE_TAG,
    InboundMessage,
    InvalidMessage,
    SlowDown,
)
from bot.conversation.history import History
from bot.conversation.service import ConversationService
from bot.conversation.units import ResumeConflict
from bot.evidence.limits import FILES_PER_POST
from bot.office import legal
from bot.office.feedback import MAX_FEEDBACK, AlertFailed, FeedbackMail
from bot.ratelimit import KeyedLimiter
from bot.settings import ORIGIN, LegalSettings, WebChatSettings
from bot.web import texts
from bot.web.export import export_text
from bot.web.file_text import file_line
from bot.web.render import render
from bot.web.texts import UiLanguage
from storage.crypto import normalize_case_code

log = logging.getLogger(__name__)

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"
MAX_FORM_BYTES: Final = 192 * 1024
"""A form body above this is refused unread. 10 000 characters of 4-byte UTF-8 text,
percent-encoded, take 120 KiB; the textarea's maxlength keeps people far below."""
MAX_FIELDS: Final = 200
MAX_FEEDBACK_BYTES: Final = 64 * 1024
"""The feedback form: 4000 characters of 4-byte UTF-8, percent-encoded, fit in 48 KiB."""
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
_CODE_INPUT_MAX = 40
DASH: Final = " \N{EN DASH} "

Mode = Literal["start", "prompt", "message", "closed"]

PAGE_PATHS: Final = ("/chat", "/chat/accessibility", *legal.PAGE_PATHS.values())
ACCESSIBILITY_PATH: Final = "/chat/accessibility"


@dataclass(frozen=True)
class FooterLink:
    """One link of the footer every page of the person's shows (privacy, imprint,
    accessibility). `page` is our own page's path (the language switch rewrites its `lang`);
    None for the office's own URL, which opens in a new tab, out of the embed's frame."""

    id: str
    key: str
    href: str
    page: str | None


def footer_links(settings: LegalSettings, lang: str, embed: bool) -> list[FooterLink]:
    links = []
    for kind in legal.KINDS:
        external = legal.is_external(settings, kind)
        links.append(
            FooterLink(
                f"{kind}-link",
                f"{kind}_link",
                legal.href(settings, kind, lang, embed=embed),
                None if external else legal.PAGE_PATHS[kind],
            )
        )
    query = f"?lang={lang}" + ("&embed=1" if embed else "")
    links.append(
        FooterLink(
            "accessibility-link",
            "accessibility_link",
            ACCESSIBILITY_PATH + query,
            ACCESSIBILITY_PATH,
        )
    )
    return links


# ---------------------------------------------------------------- view model


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class Prompt:
    seq: int
    text: str
    lang: str | None
    expects: str
    choices: tuple[Option, ...]
    min_choices: int
    max_choices: int | None
    max_length: int | None
    actions: tuple[Option, ...]
    suggested: tuple[str, ...] = ()
    """Choice ids pre-selected for the person to confirm (a guessed language)."""

    def offers(self, action: str) -> bool:
        return any(a.id == action for a in self.actions)


@dataclass(frozen=True)
class Line:
    seq: int | None
    sender: str
    kind: str
    text: str
    lang: str | None
    case_code: str | None
    more: str = ""
    links: tuple[tuple[str, str], ...] = ()
    """Parts of `text` to show as links (the office's contact): [text, href]."""


@dataclass
class View:
    """Everything the chat template shows; built from a History and the request's outcome."""

    lang: UiLanguage
    embed: bool
    token: bytes
    history: History | None = None
    error: str | None = None
    error_field: str | None = None
    """Which input the error belongs to: "answer", "code" or None (the whole form)."""
    text_value: str = ""
    code_value: str = ""
    confirm_delete: bool = False
    notice: str | None = None
    confirm_restart: bool = False
    """"Neu anfangen" was pressed: ask before the answers so far are thrown away."""
    welcome_back: bool = False
    """Just resumed with the case code: the log ends with a welcome and the case status."""
    status: int = 200
    mid: str = field(default_factory=lambda: "f-" + secrets.token_urlsafe(12))
    chosen: bool = False
    """The person chose `lang` themselves (`?lang=` or the language control), so the chat
    does not ask for the language again; otherwise it was guessed from the browser."""
    guess: str | None = None
    """Not chosen: the flow language the browser prefers, pre-selected at that question."""
    source: str | None = None
    """The outreach tag of the link the person came by (`?src=`, a flyer's QR code), counted
    once when the chat starts, never stored with the conversation."""


def _source_tag(value: str | None) -> str | None:
    """An outreach tag as a link carries it; anything else is no tag (never an error: a
    mangled link still opens the chat)."""
    return value if value and SOURCE_TAG.fullmatch(value) else None


def _frame_lang(language: Any) -> str | None:
    if not isinstance(language, str):
        return None
    return "de" if language == "ls" else language


def _prompt_of(frame: dict[str, Any]) -> Prompt:
    return Prompt(
        seq=int(frame["seq"]),
        text=str(frame.get("text") or ""),
        lang=_frame_lang(frame.get("language")),
        expects=str(frame.get("expects") or "none"),
        choices=tuple(Option(str(c["id"]), str(c["label"])) for c in frame.get("choices", [])),
        min_choices=int(frame.get("min_choices") or 0),
        max_choices=frame.get("max_choices"),
        max_length=frame.get("max_length"),
        actions=tuple(Option(str(a["id"]), str(a["label"])) for a in frame.get("actions", [])),
        suggested=tuple(str(i) for i in frame.get("suggested", [])),
    )


def _person_text(frame: dict[str, Any], t: dict[str, str], lang: str = "de") -> str:
    if isinstance(frame.get("attachment"), dict):
        return file_line(frame["attachment"], t, lang)
    if frame.get("text"):
        return str(frame["text"])
    if frame.get("choice") == "skip":
        # Said as done, "(übersprungen)", as the JavaScript chat shows it, not the label.
        return t["skipped"]
    if frame.get("label"):
        return str(frame["label"])
    if frame.get("labels"):
        return ", ".join(str(x) for x in frame["labels"])
    if frame.get("choice"):
        return str(frame["choice"])
    if frame.get("choices"):
        return ", ".join(str(x) for x in frame["choices"])
    return ""  # commands and language switches are not shown as lines


LONG_OWN_LINE: Final = 280
"""Characters of the person's own line above which the page opens at the reply instead:
a long account would push the reply off a phone's screen."""


def _opening_line(lines: list[Line]) -> int | None:
    """The line the page opens at (#latest) after an answer: the person's own newest line,
    so what they sent and the reply to it come first under the sticky exit bar (the reply
    alone read as an answer to nothing), unless it is long; before any answer of theirs,
    the first line."""
    if not lines:
        return None
    own = [i for i, line in enumerate(lines) if line.sender == "person"]
    if not own:
        return lines[0].seq
    i = own[-1]
    if len(lines[i].text) > LONG_OWN_LINE and i + 1 < len(lines):
        return lines[i + 1].seq
    return lines[i].seq


def _links(raw: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        (str(pair[0]), str(pair[1]))
        for pair in raw
        if isinstance(pair, list | tuple) and len(pair) == 2
    )


def transcript(
    history: History | None, t: dict[str, str], lang: str = "de"
) -> tuple[list[Line], Prompt | None]:
    """The lines to show and the question waiting for an answer (bot phase only)."""
    if history is None:
        return [], None
    lines: list[Line] = []
    prompt: Prompt | None = None
    for raw in history.lines:
        frame = webchat.message_frame(raw.body, raw.seq, raw.sender)
        if raw.sender == "person":
            text = _person_text(frame, t, lang)
            if text:
                kind = "file" if "attachment" in frame else ""
                lines.append(Line(raw.seq, "person", kind, text, None, None))
            continue
        kind = str(frame.get("kind") or "info")
        lines.append(
            Line(
                raw.seq,
                raw.sender,
                kind,
                str(frame.get("text") or ""),
                _frame_lang(frame.get("language")),
                frame.get("case_code"),
                str(frame.get("more") or ""),
                _links(frame.get("links")),
            )
        )
        # Only the latest bot line can be waiting for an answer; the crisis resources ask too
        # when the flow offers a person now (the danger path).
        asks = frame.get("expects") not in (None, "none")
        waits = kind == "prompt" or (kind == "crisis" and asks)
        prompt = _prompt_of(frame) if waits else None
    # A case created at once on the danger path waits in the queue, and its questions go on.
    if history.owner not in ("bot", "queued"):
        prompt = None
    return lines, prompt


def replied_in(history: History | None, offered: Sequence[UiLanguage]) -> UiLanguage | None:
    """The language of the bot's replies to the person's latest message, where the page
    speaks it: a language picked in the chat's own question is the page's too. chat.js
    follows such a reply the same way; without it, the no-JS page would ask in Turkish and
    go on with German buttons, statuses and case-code box."""
    if history is None:
        return None
    for raw in reversed(history.lines):
        if raw.sender == "person":
            return None
        language = raw.body.get("language") if raw.sender == "bot" else None
        if isinstance(language, str):
            return next((lang for lang in offered if lang == language), None)
    return None


_PICKED_DATE: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _picked_date_as_typed(text: str) -> str:
    """A date field's value (2026-11-20) as the question asks for a date (20.11.2026, which
    the dialog reads in every language): the conversation shows what the person meant, in
    the form they were asked for, not the browser's internal one (as chat.js does)."""
    picked = _PICKED_DATE.fullmatch(text.strip())
    return f"{picked[3]}.{picked[2]}.{picked[1]}" if picked else text


def _mode(history: History | None, prompt: Prompt | None) -> Mode:
    if history is None or history.owner is None:
        return "start"
    if history.owner == "bot":
        return "prompt" if prompt is not None else "start"
    if history.owner == "queued" and prompt is not None:
        return "prompt"
    if history.owner == "closed" and history.case_id is None:
        return "closed"
    # A closed case stays writable: a message reopens it (the template says so).
    return "message"


def _status_key(history: History | None) -> str | None:
    """The text key of the case status a returning person is told; None without a case."""
    if history is None or history.case_id is None:
        return None
    if history.owner == "closed":
        return "case_closed"
    return "status_counsellor" if history.owner == "counsellor" else "status_queued"


def _case_closed(history: History | None) -> bool:
    """The office closed this person's case: writing reopens it."""
    return history is not None and history.owner == "closed" and history.case_id is not None


# ---------------------------------------------------------------- forms


class FormTooLarge(Exception):
    pass


class BadForm(Exception):
    pass


async def read_form(request: web.Request, limit: int = MAX_FORM_BYTES) -> dict[str, list[str]]:
    """The urlencoded body, capped at `limit` bytes and MAX_FIELDS, strictly UTF-8."""
    if request.content_type != "application/x-www-form-urlencoded":
        raise BadForm("not a urlencoded form")
    if request.content_length is not None and request.content_length > limit:
        raise FormTooLarge
    body = bytearray()
    async for chunk in request.content.iter_chunked(16 * 1024):
        body.extend(chunk)
        if len(body) > limit:
            raise FormTooLarge
    try:
        pairs = parse_qsl(
            body.decode("ascii"),
            keep_blank_values=True,
            max_num_fields=MAX_FIELDS,
            encoding="utf-8",
            errors="strict",
        )
    except ValueError:  # UnicodeDecodeError included
        raise BadForm("not a readable form") from None
    form: dict[str, list[str]] = {}
    for key, value in pairs:
        form.setdefault(key, []).append(value)
    return form


def _one(form: dict[str, list[str]], key: str, limit: int = 200) -> str:
    values = form.get(key, [])
    if len(values) > 1:
        raise BadForm(f"{key} given more than once")
    value = values[0] if values else ""
    if len(value) > limit:
        raise BadForm(f"{key} too long")
    return value


def _ui_language(value: str | None, offered: Sequence[UiLanguage] = texts.LANGUAGES) -> UiLanguage:
    for lang in offered:
        if value == lang:
            return lang
    return texts.DEFAULT_LANGUAGE


def _page_language(
    request: web.Request, offered: Sequence[UiLanguage] = texts.LANGUAGES
) -> UiLanguage:
    """A page's language: the one asked for (`?lang=`), else the first of the browser's
    languages (Accept-Language) that the page speaks, else German."""
    asked = request.query.get("lang")
    if asked is not None:
        return _ui_language(asked, offered)
    for wanted in _accepted(request.headers.get("Accept-Language", "")):
        for lang in offered:
            if wanted == lang:
                return lang
    return texts.DEFAULT_LANGUAGE


def _guess(request: web.Request, flow_languages: Sequence[str]) -> str | None:
    """The flow language the browser asks for first (Accept-Language), where the flow has
    it: pre-selected at the chat's language question, also when the page itself cannot be
    shown in it (a Turkish browser gets the German page and Türkçe offered first)."""
    for wanted in _accepted(request.headers.get("Accept-Language", "")):
        if wanted in flow_languages:
            return wanted
    return None


def _offered(flow_languages: Sequence[str]) -> tuple[UiLanguage, ...]:
    """The page languages whose questions the flow has: a language the chat would answer in
    German is never offered as if it were translated (the default is always offered)."""
    return tuple(
        lang
        for lang in texts.LANGUAGES
        if lang == texts.DEFAULT_LANGUAGE or texts.FLOW_LANGUAGE[lang] in flow_languages
    )


def _accepted(header: str) -> list[str]:
    """Primary language tags of an Accept-Language header, most wanted first ("ar-EG;q=0.8"
    counts as "ar"); malformed parts are skipped."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().split("-")[0].lower()
        if primary.isalpha() and quality > 0:
            ranked.append((-quality, i, primary))
    return [tag for _, _, tag in sorted(ranked)]


# ---------------------------------------------------------------- the pages


class ChatPages:
    def __init__(
        self,
        service: ConversationService,
        settings: WebChatSettings,
        limits: webchat.Limits,
        *,
        channel: str = webchat.NAME,
        path: str = "/chat",
        preview: tuple[str, str] | None = None,
        origins: Callable[[], Sequence[str]] | None = None,
        legal_settings: LegalSettings | None = None,
        feedback: FeedbackMail | None = None,
        attachments: bool = True,
    ) -> None:
        self.service = service
        self.attachments = attachments
        """People may send files (settings `attachments.enabled`)."""
        self.flow_languages: Sequence[str] = ()
        """The published flow's languages; refreshed by every page request."""
        self.offered: tuple[UiLanguage, ...] = texts.LANGUAGES
        """Page languages the published flow speaks."""
        self.feedback = feedback
        """Where the accessibility statement's form sends; None: no form."""
        self.legal = legal_settings or LegalSettings()
        """The office's privacy notice and imprint, linked from every page's footer."""
        self.channel = channel
        """Channel name of the conversations (the console's preview uses its own)."""
        self.path = path
        """Where the page's forms post to."""
        self.preview = preview
        """(banner text, link back) of the console's flow preview: the page says it is a
        preview, on its own socket (`path` + "/ws") and its own stored session."""
        self.preview_draft = ""
        """Which state of the draft the preview page plays (set by the console before each
        page): chat.js drops a stored preview session of another one."""
        self.settings = settings
        self.limits = limits
        self.posts = KeyedLimiter(capacity=20, rate=0.5, clock=limits.monotonic)
        """Form posts per client network: bursts of 20, then one every two seconds."""
        self.feedback_tries = KeyedLimiter(capacity=3, rate=1 / 600, clock=limits.monotonic)
        """Feedback mails per client network: 3, then one per 10 minutes (no mail flood)."""
        self.code_tries = limits.code_tries
        """Case-code attempts per client network: 5 per 10 minutes (each costs Argon2id)."""
        self.exit_url = (
            settings.exit_url
            if re.match(r"^https?://[^\s\"'<>]+$", settings.exit_url)
            else WebChatSettings().exit_url
        )
        """Only an http(s) URL may be the quick exit's target (never javascript: or data:)."""
        self.static_version = _static_versions()
        self.origins = origins or (lambda: settings.allowed_origins)
        """The sites that may embed the chat, asked on every request: an admin can change
        them in the console while the service runs (bot/office/config.py)."""
        for origin in settings.allowed_origins:
            if not ORIGIN.match(origin):
                log.warning("webchat.allowed_origins: an entry is not scheme://host[:port]")

    def frame_origins(self) -> list[str]:
        return [o.rstrip("/") for o in self.origins() if ORIGIN.match(o.rstrip("/"))]

    # -- helpers

    def static_url(self, name: str) -> str:
        return f"/chat/static/{name}?v={self.static_version.get(name, '0')}"

    def _frame(
        self, lang: UiLanguage, embed: bool, languages: Sequence[UiLanguage] = texts.LANGUAGES
    ) -> dict[str, Any]:
        """What every page of the chat's frame (base.html) needs: language and direction, the
        language links (`languages`: the chat offers only those its flow speaks; a statement
        page is written in every page language), the office, the quick exit, static files and
        the legal footer."""
        return {
            "t": texts.texts_for(lang),
            "plurals": texts.plurals_for(lang),
            "count_text": functools.partial(texts.count_text, lang),
            "lang": lang,
            "html_lang": texts.HTML_LANG[lang],
            "dir": texts.DIRECTION[lang],
            "languages": [(code, texts.LANGUAGE_NAMES[code]) for code in languages],
            "html_langs": texts.HTML_LANG,
            "office": self.settings.office_name,
            "embed": embed,
            "exit_url": self.exit_url,
            "static": self.static_url,
            "legal_links": footer_links(self.legal, lang, embed),
        }

    def _page(self, view: View) -> web.Response:
        t = texts.texts_for(view.lang)
        lines, prompt = transcript(view.history, t, view.lang)
        mode = _mode(view.history, prompt)
        latest = _opening_line(lines)
        title = f"{t['page_title']}{DASH}{self.settings.office_name}"
        if view.error:
            title = f"{t['error_title_prefix']}: {title}"
        html = render(
            "chat.html",
            **self._frame(view.lang, view.embed, self.offered),
            title=title,
            session=webchat.encode_token(view.token),
            mid=view.mid,
            at=str(prompt.seq) if prompt else "",
            # The danger path's case waits for the team (its question offers only to go on):
            # typed text is a message for the team, not an answer.
            for_team=prompt is not None and any(c.id == "go_on" for c in prompt.choices),
            lines=lines,
            latest=latest,
            prompt=prompt,
            mode=mode,
            readable=view.history.readable if view.history else True,
            case_closed=_case_closed(view.history),
            welcome_back=_status_key(view.history) if view.welcome_back else None,
            owner=view.history.owner if view.history else None,
            error=view.error,
            error_field=view.error_field,
            text_value=view.text_value,
            code_value=view.code_value,
            confirm_delete=view.confirm_delete,
            confirm_restart=view.confirm_restart,
            chosen=view.chosen,
            guess=view.guess or "",
            source=view.source or "",
            notice=view.notice,
            max_text=MAX_TEXT_LENGTH,
            flow_language=texts.FLOW_LANGUAGE[view.lang] or "",
            skip_target="#composer",
            skip_key="skip_to_answer",
            action=self.path,
            preview=self.preview[0] if self.preview else None,
            preview_back=self.preview[1] if self.preview else None,
            preview_draft=self.preview_draft,
            ws_path=self.path + "/ws",
            attach=self._attach_view(mode, view, lines),
        )
        return web.Response(text=html, content_type="text/html", status=view.status)

    def _attach_view(self, mode: Mode, view: View, lines: Sequence[Line]) -> dict[str, Any] | None:
        """The composer's file form: shown while a question is open or the case is written
        to, not under the crisis resources that ask (chat.js shows it the same way); never
        in the console's preview (a counsellor's file would land in no real case)."""
        if not self.attachments or self.preview is not None:
            return None
        limits = self.service.evidence_limits
        # Under the danger path's crisis box the person chooses first; a case written to
        # takes a file at once, also right after crisis words (a photo of an injury).
        crisis_last = any(line.kind == "crisis" for line in lines[-1:])
        return {
            "shown": (mode == "message" or (mode == "prompt" and not crisis_last))
            and view.history is not None
            and view.history.files,
            "action": "/chat/attach",
            "mb": round(limits.max_bytes / (1024 * 1024)),
            "files": FILES_PER_POST,
            "error": view.error if view.error_field == "file" else None,
        }

    # -- GET /chat

    async def get_chat(self, request: web.Request) -> web.Response:
        await self._refresh_offered()
        lang = _page_language(request, self.offered)
        embed = request.query.get("embed") == "1"
        chosen = request.query.get("lang") == lang
        asked = request.query.get("lang")
        if chosen:
            guess = None
        elif asked in self.flow_languages:
            # A language the chat speaks but the page chrome not yet (a Turkish flyer's
            # link): offered first at the chat's language question, one tap confirms it.
            guess = asked
        else:
            guess = _guess(request, self.flow_languages)
        source = _source_tag(request.query.get("src"))
        # A fresh token for this page: nothing is stored until the person starts the chat,
        # and a re-submitted start form reuses it instead of opening a second conversation.
        return self._page(
            View(lang, embed, webchat.new_token(), chosen=chosen, guess=guess, source=source)
        )

    async def _refresh_offered(self) -> None:
        try:
            self.flow_languages = await self.service.languages()
            self.offered = _offered(self.flow_languages)
        except Exception:
            # No published flow yet, or the database is away: the page still renders (its
            # chat then says it is unavailable); the last known languages stay.
            log.warning("webchat page: the flow's languages could not be read")

    # -- POST /chat

    async def post_chat(self, request: web.Request) -> web.Response:
        await self._refresh_offered()
        if not webchat.same_site_post(request, self.origins()):
            log.warning("webchat: a form post from another site was refused")
            lang = texts.DEFAULT_LANGUAGE
            error = texts.text(lang, "err_bad_form")
            return self._page(View(lang, False, webchat.new_token(), error=error, status=403))
        try:
            form = await read_form(request)
        except FormTooLarge:
            return self._page(
                View(
                    texts.DEFAULT_LANGUAGE,
                    False,
                    webchat.new_token(),
                    error=texts.text(texts.DEFAULT_LANGUAGE, "err_too_large"),
                    status=413,
                )
            )
        except BadForm:
            return self._bad_form(texts.DEFAULT_LANGUAGE, False)
        try:
            lang = _ui_language(_one(form, "lang", 8), self.offered)
            embed = _one(form, "embed", 1) == "1"
            session = _one(form, "session", 64)
            mid = _one(form, "mid", 100)
            op = _one(form, "op", 120)
            at = _one(form, "at", 20)
            chosen = _one(form, "chosen", 1) == "1"
            guess = _one(form, "guess", 16) or None
            source = _source_tag(_one(form, "src", 32))
        except BadForm:
            return self._bad_form(texts.DEFAULT_LANGUAGE, False)
        t = texts.texts_for(lang)
        token = webchat.decode_token(session) if session else None
        if token is None or not _CLIENT_ID.match(mid):
            # A forged, damaged or missing session: start over, say so plainly.
            key = "err_session" if session and token is None else "err_bad_form"
            return self._page(View(lang, embed, webchat.new_token(), error=t[key], status=400))
        client = webchat.client_key(request, self.limits)
        if not self.posts.take(client):
            view = View(lang, embed, token, error=t["err_rate_limited"], status=429)
            return await self._with_history(view)
        if op.startswith("lang:"):
            lang = _ui_language(op.removeprefix("lang:"), self.offered)
            t = texts.texts_for(lang)
            chosen = True
        if guess not in self.flow_languages or chosen:
            guess = None
        view = View(lang, embed, token, chosen=chosen, guess=guess, source=source)
        try:
            await self._apply(view, t, form, op, mid, at, client)
        except BadForm:
            view.error, view.status = t["err_bad_form"], 400
        except SlowDown:  # too many new chats from here, or a held sender's flood
            view.error, view.status = t["err_rate_limited"], 429
        except Exception:
            log.exception("webchat page: a form could not be processed")
            view.error, view.status = t["err_unavailable"], 503
        answered = op in ("send", "done") or op.startswith(("choice:", "command:"))
        return await self._with_history(view, follow=answered)

    def _bad_form(self, lang: UiLanguage, embed: bool) -> web.Response:
        t = texts.texts_for(lang)
        return self._page(
            View(lang, embed, webchat.new_token(), error=t["err_bad_form"], status=400)
        )

    async def _with_history(self, view: View, follow: bool = False) -> web.Response:
        """Render `view` with the conversation as it stands. `follow`: the post answered the
        chat, so its replies' language becomes the page's (not after an error, which is
        already worded in the page's language; never after the person picked the page's)."""
        if view.history is None:
            address = webchat.address_for(view.token)
            try:
                view.history = await self.service.history(self.channel, address, view.token)
            except Exception:
                log.exception("webchat page: history could not be read")
                t = texts.texts_for(view.lang)
                view.error, view.status = t["err_unavailable"], 503
        if follow and view.error is None:
            followed = replied_in(view.history, self.offered)
            if followed is not None and followed != view.lang:
                view.lang, view.chosen = followed, True
        return self._page(view)

    async def _handle(self, view: View, mid: str, client: str, **fields: Any) -> None:
        """Hand one message to the service. `client` (the keyed network hash) counts the
        conversation it may start against the same limit as the WebSocket's; the console's
        preview is exempt (a counsellor trying a flow is no flood)."""
        address = webchat.address_for(view.token)
        try:
            msg = InboundMessage(
                self.channel,
                address,
                mid,
                session_token=view.token,
                client=client if self.preview is None else None,
                **fields,
            )
        except InvalidMessage:
            raise BadForm("not a valid message") from None
        await self.service.handle(msg)

    async def _apply(
        self,
        view: View,
        t: dict[str, str],
        form: dict[str, list[str]],
        op: str,
        mid: str,
        at: str,
        client: str,
    ) -> None:
        """Carry out what the pressed button asks; errors land in `view` (status 400)."""
        address = webchat.address_for(view.token)
        history = await self.service.history(self.channel, address, view.token)
        _, prompt = transcript(history, t)
        flow_lang = texts.FLOW_LANGUAGE[view.lang]

        def fail(message: str, status: int = 400, where: str | None = None) -> None:
            view.error, view.status, view.error_field = message, status, where
            view.history = history

        if op == "start":
            if history.owner in (None, "closed") or prompt is None:
                await self._handle(
                    view,
                    mid,
                    client,
                    command="start",
                    language=flow_lang if view.chosen else view.guess,
                    language_chosen=view.chosen,
                    source=view.source,
                )
            return
        if op.startswith("lang:"):
            if history.owner == "bot" and flow_lang is not None:
                await self._handle(view, mid, client, language=flow_lang)
            return
        if op == "delete":
            view.confirm_delete = True
            view.history = history
            return
        if op == "delete-cancel":
            view.history = history
            return
        if op == "delete-confirm":
            await self.service.forget(self.channel, address)
            view.token = webchat.new_token()
            view.history = None
            view.notice = t["deleted_notice"]
            return
        if op == "resume":
            if self.preview is not None:
                # A real person's case code must never move their case into a preview.
                raise BadForm("no case codes in a preview")
            await self._resume(view, t, form, client, fail)
            return
        if op == "send" and (history.owner in ("queued", "counsellor") or _case_closed(history)):
            text = _one(form, "text", MAX_TEXT_LENGTH * 2)
            view.text_value = text
            if len(text) > MAX_TEXT_LENGTH:
                fail(t["err_text_too_long"].format(max=MAX_TEXT_LENGTH), where="answer")
            elif not text.strip():
                fail(t["err_text_empty"], where="answer")
            else:
                view.text_value = ""
                await self._handle(view, mid, client, text=text)
            return
        if op == "send" and history.owner is None:
            # The conversation this page showed is not on this device any more (opened
            # with the case code on another one, which the page without JavaScript was
            # not told, or deleted): nothing is sent, and what the person typed stays on
            # the page for them to copy, with the way back to their case.
            view.text_value = _one(form, "text", MAX_TEXT_LENGTH * 2)
            fail(t["err_not_sent_gone"], status=200)
            return
        if op not in ("send", "done") and not op.startswith(("choice:", "command:")):
            raise BadForm("unknown button")
        if prompt is None or at != str(prompt.seq):
            # A form for an earlier question: its answer was taken already (F5) or belongs
            # to a question that has moved on. Show where the conversation stands.
            if prompt is None and history.owner in (None, "closed"):
                fail(t["err_no_question"], status=200)
            view.history = history
            return
        await self._answer(view, t, form, op, mid, client, prompt, fail)

    async def _answer(
        self,
        view: View,
        t: dict[str, str],
        form: dict[str, list[str]],
        op: str,
        mid: str,
        client: str,
        prompt: Prompt,
        fail: Callable[..., None],
    ) -> None:
        if op.startswith("command:"):
            command = op.removeprefix("command:")
            if command not in ("back", "restart") or not prompt.offers(command):
                fail(t["err_unknown_choice"])
                return
            if command == "restart" and _one(form, "confirm", 16) != "restart":
                view.confirm_restart = True  # the page asks first; nothing is sent yet
                return
            await self._handle(view, mid, client, command=command)
        elif op.startswith("choice:"):
            choice = op.removeprefix("choice:")
            known = {c.id for c in prompt.choices}
            if choice == "skip" and prompt.offers("skip"):
                await self._handle(view, mid, client, choice="skip")
            elif prompt.expects in ("choice", "date", "text") and choice in known:
                await self._handle(view, mid, client, choice=choice)
            else:
                fail(t["err_unknown_choice"], where="answer")
        elif op == "done":
            picks = form.get("choices", [])
            known = {c.id for c in prompt.choices}
            unknown = any(p not in known for p in picks) or len(set(picks)) != len(picks)
            if prompt.expects != "choices" or unknown:
                fail(t["err_unknown_choice"], where="answer")
            elif len(picks) < prompt.min_choices:
                fail(
                    texts.count_text(view.lang, "choose_at_least", prompt.min_choices),
                    where="answer",
                )
            elif prompt.max_choices is not None and len(picks) > prompt.max_choices:
                fail(
                    texts.count_text(view.lang, "choose_at_most", prompt.max_choices),
                    where="answer",
                )
            else:
                await self._handle(view, mid, client, choices=tuple(picks))
        else:  # send
            text = _one(form, "text", MAX_TEXT_LENGTH * 2)
            if prompt.expects == "date":
                text = _picked_date_as_typed(text)
            view.text_value = text
            limit = prompt.max_length or MAX_TEXT_LENGTH
            if prompt.expects not in ("text", "date"):
                fail(t["err_unknown_choice"], where="answer")
            elif len(text) > limit:
                fail(t["err_text_too_long"].format(max=limit), where="answer")
            elif not text.strip() and not prompt.offers("skip"):
                fail(t["err_text_empty"], where="answer")
            elif not text.strip():
                # Nothing typed skips an optional question: sent as "Überspringen" is, so
                # the conversation shows it was skipped rather than moving on unseen.
                view.text_value = ""
                await self._handle(view, mid, client, choice="skip")
            else:
                view.text_value = ""
                await self._handle(view, mid, client, text=text)

    async def _resume(
        self,
        view: View,
        t: dict[str, str],
        form: dict[str, list[str]],
        client: str,
        fail: Callable[..., None],
    ) -> None:
        typed = _one(form, "code", 200)
        view.code_value = typed[:_CODE_INPUT_MAX]
        try:
            code = normalize_case_code(typed)
        except ValueError:
            fail(t["err_code_format"], where="code")
            return
        if not self.code_tries.take(client):
            fail(t["err_code_rate_limited"], status=429, where="code")
            return
        address = webchat.address_for(view.token)
        try:
            history = await self.service.resume_with_code(self.channel, address, view.token, code)
        except ResumeConflict:
            fail(t["err_resume_conflict"], status=409, where="code")
            return
        if history is None:
            fail(t["err_code_not_found"], where="code")
            return
        # A right code is no guess: people behind one network address (a shelter's Wi-Fi,
        # a counselling office) must not use up each other's tries by opening their cases.
        self.code_tries.give_back(client)
        view.code_value = ""
        view.history = None  # re-read: the page shows what this device may now read
        view.welcome_back = True

    # -- GET /chat/accessibility

    async def statement(self, request: web.Request) -> web.Response:
        lang = _page_language(request)
        return self._statement(lang, request.query.get("embed") == "1")

    async def post_feedback(self, request: web.Request) -> web.Response:
        """The statement's feedback form: one e-mail to the office (bot/office/feedback.py).
        The text is never stored or logged; a failure keeps it in the form to send again."""
        if self.feedback is None:
            raise web.HTTPNotFound()
        if not webchat.same_site_post(request, self.origins()):
            log.warning("webchat: a feedback post from another site was refused")
            raise web.HTTPForbidden()
        try:
            form = await read_form(request, MAX_FEEDBACK_BYTES)
            lang = _ui_language(_one(form, "lang", 10) or None)
            embed = _one(form, "embed", 2) == "1"
            text = _one(form, "text", MAX_FEEDBACK).strip()
        except (FormTooLarge, BadForm):
            lang = texts.DEFAULT_LANGUAGE
            return self._statement(lang, False, error=texts.text(lang, "err_bad_form"), status=400)
        t = texts.texts_for(lang)
        if not text:
            return self._statement(lang, embed, error=t["feedback_empty"], status=400)
        if not self.feedback_tries.take(webchat.client_key(request, self.limits)):
            return self._statement(lang, embed, error=t["err_rate_limited"], text=text, status=429)
        try:
            await self.feedback.send("Chat", lang, text)
        except AlertFailed as exc:
            log.warning("webchat: accessibility feedback not sent (%s)", exc)
            return self._statement(lang, embed, error=t["feedback_failed"], text=text, status=503)
        log.info("webchat: accessibility feedback sent")
        return self._statement(lang, embed, notice=t["feedback_sent"])

    def _statement(
        self,
        lang: UiLanguage,
        embed: bool,
        *,
        notice: str | None = None,
        error: str | None = None,
        text: str = "",
        status: int = 200,
    ) -> web.Response:
        t = texts.texts_for(lang)
        title = f"{t['accessibility_link']}{DASH}{self.settings.office_name}"
        html = render(
            "accessibility.html",
            **self._frame(lang, embed),
            title=f"{t['error_title_prefix']}: {title}" if error else title,
            feedback_form=self.feedback is not None,
            notice=notice,
            error=error,
            text_value=text,
            max_feedback=MAX_FEEDBACK,
            contact=self.settings.accessibility_contact.strip(),
            contact_href=contact_href(self.settings.accessibility_contact.strip()),
            enforcement_url=texts.ENFORCEMENT_URL,
            date=texts.statement_date(lang),
            skip_target="#main",
            skip_key="skip_to_content",
        )
        return web.Response(text=html, content_type="text/html", status=status)

    # -- POST /chat/export

    async def post_export(self, request: web.Request) -> web.StreamResponse:
        """The person's conversation on this device as a text file: the session token in the
        form (never the URL) reads exactly what the page would show (a handed-over case only
        with this device's key). With a case code: continue with the code first."""
        if not webchat.same_site_post(request, self.origins()):
            log.warning("webchat: an export post from another site was refused")
            lang = texts.DEFAULT_LANGUAGE
            error = texts.text(lang, "err_bad_form")
            return self._page(View(lang, False, webchat.new_token(), error=error, status=403))
        try:
            form = await read_form(request)
            lang = _ui_language(_one(form, "lang", 8))
            embed = _one(form, "embed", 1) == "1"
            session = _one(form, "session", 64)
        except (FormTooLarge, BadForm):
            return self._bad_form(texts.DEFAULT_LANGUAGE, False)
        token = webchat.decode_token(session) if session else None
        if token is None:
            return self._bad_form(lang, embed)
        t = texts.texts_for(lang)
        address = webchat.address_for(token)
        history = await self.service.history(self.channel, address, token)
        lines, _ = transcript(history, t, lang)
        if not lines or not history.readable:
            view = View(lang, embed, token, history=history, error=t["export_nothing"])
            view.status = 404
            return self._page(view)
        log.info("webchat: conversation exported (%s lines)", len(lines))
        return web.Response(
            text=export_text(lines, t, self.settings.office_name),
            content_type="text/plain",
            charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="gespraech.txt"'},
        )

    # -- GET /chat/privacy and /chat/imprint

    async def legal_page(self, request: web.Request) -> web.Response:
        """The office's privacy notice or imprint: its own URL (a redirect), the configured
        text in the person's language, or a page that says nothing is configured yet."""
        kind: legal.Kind = "privacy" if request.path == legal.PAGE_PATHS["privacy"] else "imprint"
        lang = _page_language(request)
        embed = request.query.get("embed") == "1"
        if legal.is_external(self.legal, kind):
            raise web.HTTPFound(legal.href(self.legal, kind, lang))
        t = texts.texts_for(lang)
        shown = legal.text(self.legal, kind, lang)
        text_lang = shown[0] if shown else None
        html = render(
            "legal.html",
            **self._frame(lang, embed),
            title=f"{t[kind + '_link']}{DASH}{self.settings.office_name}",
            heading_key=kind + "_link",
            page=legal.PAGE_PATHS[kind],
            paragraphs=[p.strip() for p in shown[1].split("\n\n") if p.strip()] if shown else [],
            text_lang=_frame_lang(text_lang),
            other_language=shown is not None and text_lang != lang,
            skip_target="#main",
            skip_key="skip_to_content",
        )
        return web.Response(text=html, content_type="text/html")

    # -- GET /chat/embed.js and /chat/texts/{lang}.json

    async def embed_js(self, request: web.Request) -> web.StreamResponse:
        return web.Response(
            text=embed_script(),
            content_type="text/javascript",
            charset="utf-8",
            headers={
                "Cache-Control": "public, max-age=3600",
                "Cross-Origin-Resource-Policy": "cross-origin",
            },
        )

    async def texts_json(self, request: web.Request) -> web.Response:
        lang = request.match_info["lang"]
        if not texts.is_language(lang):
            raise web.HTTPNotFound()
        ui = _ui_language(lang)
        return web.json_response(
            {
                "lang": ui,
                "html_lang": texts.HTML_LANG[ui],
                "dir": texts.DIRECTION[ui],
                "flow_language": texts.FLOW_LANGUAGE[ui],
                "texts": texts.texts_for(ui),
                "plurals": texts.plurals_for(ui),
            },
            headers={"Cache-Control": "public, max-age=3600"},
        )

    # -- headers on every response

    async def security_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        if isinstance(response, web.WebSocketResponse):
            # A WebSocket upgrade (101) is no document and no resource: browsers apply none
            # of these to it, and its header map lives as long as the socket, idle or not.
            return
        path = request.path
        chat = path == "/chat" or path.startswith("/chat/")
        ancestors = " ".join(["'self'", *self.frame_origins()]) if chat else "'self'"
        h = response.headers
        h.setdefault(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            "connect-src 'self'; form-action 'self'; base-uri 'none'; "
            f"frame-ancestors {ancestors}",
        )
        # same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on our
        # own form posts, and the cross-site check needs the real origin.
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault(
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        )
        h.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if path.startswith("/chat/static/"):
            immutable = "v" in request.query
            h["Cache-Control"] = (
                "public, max-age=31536000, immutable" if immutable else "public, no-cache"
            )
        else:
            h.setdefault("Cache-Control", "no-store")


@functools.cache
def _embed_source() -> str:
    return (STATIC_DIR / "embed.js").read_text(encoding="utf-8")


def embed_script() -> str:
    """static/embed.js with its labels from the catalog, built per request: an admin's
    imported translation reaches partner sites like the chat page. JSON with ASCII escapes
    is a valid JavaScript literal whatever the texts hold."""
    labels = {
        lang: [texts.text(lang, "heading"), texts.text(lang, "embed_close")]
        for lang in texts.LANGUAGES
    }
    rtl = [lang for lang in texts.LANGUAGES if texts.DIRECTION[lang] == "rtl"]
    script = re.sub(
        r"/\*LABELS\*/[^\n]*;", lambda _: f"{json.dumps(labels)};", _embed_source(), count=1
    )
    return script.replace("/*RTL*/[]", json.dumps(rtl), 1)


def contact_href(contact: str) -> str | None:
    if re.fullmatch(r"[^@\s<>\"]+@[^@\s<>\"]+", contact):
        return "mailto:" + contact
    parts = urlsplit(contact)
    if parts.scheme in ("https", "http") and parts.netloc:
        return contact
    return None


def _static_versions() -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in STATIC_DIR.iterdir()
        if path.is_file()
    }


def add_routes(app: web.Application, pages: ChatPages) -> None:
    app.router.add_get("/chat", pages.get_chat, name="chat")
    app.router.add_post("/chat", pages.post_chat)
    app.router.add_get("/chat/accessibility", pages.statement, name="chat-accessibility")
    app.router.add_post("/chat/accessibility", pages.post_feedback)
    app.router.add_post("/chat/export", pages.post_export)
    app.router.add_get(legal.PAGE_PATHS["privacy"], pages.legal_page, name="chat-privacy")
    app.router.add_get(legal.PAGE_PATHS["imprint"], pages.legal_page, name="chat-imprint")
    app.router.add_get("/chat/embed.js", pages.embed_js, name="chat-embed")
    app.router.add_get("/chat/texts/{lang}.json", pages.texts_json, name="chat-texts")
    app.router.add_static("/chat/static/", STATIC_DIR, name="chat-static")
    app.on_response_prepare.append(pages.security_headers)
