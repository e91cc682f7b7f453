"""The console's pages: login, account setup, the team queue and the case view.

Server-rendered (Jinja2, autoescaped) and complete without JavaScript; static/console.js only
polls for news and offers to reload. Every route but login, setup and the static files needs
a console session; GET requests without one are sent to the login, POST requests get 403.
Every state-changing form carries the session's CSRF token.

Authorisation: a counsellor sees the queue of their own teams only, and a case of another
team is refused (403) before anything is decrypted. Reading needs the team key unlocked at
login, so even a bug in these checks could not open another team's case.

Audit (ids only, never content): login ok/failed/locked, logout, setup, every case view
(which decrypts), claim, release, reply (written by the conversation service), close.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Final

import pyotp
import segno
from aiohttp import web
from markupsafe import Markup

from bot.channels.base import MAX_TEXT_LENGTH, Channel, TypingChannel
from bot.clock import Clock
from bot.console.auth import (
    ConsoleSession,
    CookiePolicy,
    SessionStore,
    is_https,
    is_loopback,
    tokens_match,
)
from bot.console.documentation import (
    FIELDS,
    OUTCOMES,
    IncompleteClosing,
    preselected,
    read_closing,
)
from bot.conversation.handover import by_priority, closing_facts, deadline_days_left
from bot.conversation.service import ConversationService
from bot.ratelimit import KeyedLimiter
from bot.settings import ConsoleSettings, Snippet
from bot.web.pages import BadForm, FormTooLarge, read_form
from bot.web.render import render
from dialogs.model import (
    ConsentNode,
    CrisisCheckNode,
    Flow,
    MultiChoiceNode,
    SingleChoiceNode,
    WhenNode,
    YesNoNode,
)
from storage import audit, cases, notes, stats, teams
from storage.crypto import CryptoError
from storage.records import QueueEntry, TranscriptLine
from storage.store import Store

log = logging.getLogger(__name__)

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"
STATIC_FILES: Final = {
    "console.css": "text/css",
    "console.js": "text/javascript",
    "favicon.svg": "image/svg+xml",
}
MIN_PASSWORD: Final = 12
MAX_PASSWORD: Final = 1024
PRE_COOKIE_SECONDS: Final = 1800
DASH: Final = "\N{EN DASH}"
_CODE = re.compile(r"^[0-9]{6}$")
_TOTP_SECRET = re.compile(r"^[A-Z2-7]{32}$")

NOTICES: Final = {
    "claimed": "Sie haben den Fall übernommen.",
    "released": "Der Fall ist zurück in der Warteschlange.",
    "sent": "Die Nachricht ist unterwegs.",
    "closed": "Der Fall ist abgeschlossen.",
    "taken": "Der Fall ist nicht mehr frei: jemand anderes hat ihn übernommen.",
    "not_yours": "Das geht nur bei einem Fall, den Sie übernommen haben.",
    "empty": "Bitte schreiben Sie eine Nachricht.",
    "too_long": f"Die Nachricht ist zu lang (höchstens {MAX_TEXT_LENGTH} Zeichen).",
    "outcome": "Bitte wählen Sie ein Ergebnis; die Kategorien müssen aus der Liste stammen.",
    "noted": "Die Notiz ist gespeichert.",
    "note_empty": "Bitte schreiben Sie eine Notiz.",
    "transferred": "Der Fall ist an Ihre Kollegin oder Ihren Kollegen übergeben.",
    "moved": "Der Fall ist in der Warteschlange des anderen Teams.",
    "transfer_failed": "Die Übergabe ist nicht möglich: Der Fall hat sich inzwischen geändert "
    "oder das Ziel ist nicht verfügbar.",
    "logged_out": "Sie sind abgemeldet.",
    "expired": "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich neu an.",
}

SENDERS: Final = {
    "person": "Person",
    "bot": "Bot",
    "counsellor": "Beratung",
    "note": "Notiz",
}

Sleep = Callable[[float], Awaitable[None]]
Form = dict[str, list[str]]

FIELD_LEGENDS: Final = {
    "grounds": "Merkmale",
    "life_area": "Lebensbereich",
    "form": "Form der Diskriminierung",
    "intervention": "Was die Beratungsstelle getan hat",
}


@dataclass(frozen=True)
class Row:
    """One queue line, ready for the template."""

    case_id: int
    team: str
    status: str
    crisis: bool
    days_left: int | None
    waiting: str
    channel: str
    language: str
    mine: bool


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str


@dataclass(frozen=True)
class Line:
    seq: int
    sender: str
    sender_label: str
    text: str
    at: str


def waiting_text(since: datetime, now: datetime) -> str:
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} Min."
    hours = minutes // 60
    if hours < 48:
        return f"{hours} Std. {minutes % 60} Min."
    return f"{hours // 24} Tage"


def _days_left(entry: QueueEntry, now: datetime) -> int | None:
    return deadline_days_left(entry.incident_date, now.date())


def _line_text(body: dict[str, Any]) -> str:
    for key in ("text", "label"):
        if body.get(key):
            return str(body[key])
    if body.get("labels"):
        return ", ".join(str(x) for x in body["labels"])
    if body.get("choice"):
        return str(body["choice"])
    if body.get("choices"):
        return ", ".join(str(x) for x in body["choices"])
    return ""


def answer_rows(answers: dict[str, Any], flow: Flow | None) -> list[Answer]:
    """The intake answers with the German question and choice labels of the flow, where
    it knows them; anything else is shown by its id."""
    questions: dict[str, str] = {}
    labels: dict[str, dict[str, str]] = {}
    if flow is not None:
        for node in flow.nodes:
            key = getattr(node, "key", None)
            text = getattr(node, "text", None)
            if key is None or text is None:
                continue
            questions[key] = flow.text(text, "de")
            opts: dict[str, str] = {}
            if isinstance(node, SingleChoiceNode | MultiChoiceNode):
                opts = {c.id: flow.text(c.label, "de") for c in node.choices}
            elif isinstance(node, WhenNode):
                opts = {k: flow.text(v, "de") for k, v in node.options.items()}
            elif isinstance(node, YesNoNode | CrisisCheckNode):
                opts = {"yes": flow.text(node.yes, "de"), "no": flow.text(node.no, "de")}
            elif isinstance(node, ConsentNode):
                opts = {
                    "accept": flow.text(node.accept, "de"),
                    "decline": flow.text(node.decline, "de"),
                }
            labels[key] = opts

    def show(key: str, value: Any) -> str:
        opts = labels.get(key, {})
        if isinstance(value, list):
            return ", ".join(show(key, v) for v in value) or DASH
        if isinstance(value, dict):
            return ", ".join(f"{k}: {show(key, v)}" for k, v in value.items())
        if isinstance(value, bool):
            return "ja" if value else "nein"
        if value is None or value == "":
            return DASH
        return opts.get(str(value), str(value))

    return [Answer(questions.get(k, k), show(k, v)) for k, v in answers.items()]


class Console:
    def __init__(
        self,
        store: Store,
        service: ConversationService,
        settings: ConsoleSettings,
        *,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        timezone: tzinfo = UTC,
        channels: Mapping[str, Channel] | None = None,
    ) -> None:
        self.store = store
        self.service = service
        self.timezone = timezone
        self.channels: Mapping[str, Channel] = channels or {}
        """The running channels, for the typing hint (replies go through the outbox)."""
        """The office's time zone: times on the pages and statistics months are local."""
        self.settings = settings
        self.clock = clock
        self.sessions = SessionStore(timedelta(minutes=settings.idle_minutes), clock)
        self.sleep = sleep
        """Awaited for the growing delay after a failed login (tests pass a recorder)."""
        self.login_posts = KeyedLimiter(capacity=10, rate=1 / 6, clock=clock.monotonic)
        """Login and setup posts per client address: bursts of 10, then one every 6 s."""

    # ------------------------------------------------------------ plumbing

    def policy(self, request: web.Request) -> CookiePolicy:
        return CookiePolicy(is_https(request, self.settings.trust_forwarded_proto))

    def transport_ok(self, request: web.Request) -> bool:
        return self.policy(request).secure or is_loopback(request)

    def session_of(self, request: web.Request, touch: bool = True) -> ConsoleSession | None:
        name = self.policy(request).session_name
        return self.sessions.get(request.cookies.get(name), touch=touch)

    def page(self, template: str, status: int = 200, **context: Any) -> web.Response:
        html = render(
            f"console/{template}",
            static=lambda name: f"/console/static/{name}",
            **context,
        )
        return web.Response(text=html, content_type="text/html", status=status)

    def forbidden(self, message: str = "Dafür fehlt Ihnen die Berechtigung.") -> web.Response:
        return self.page(
            "message.html", status=403, title="Kein Zugriff", message=message, session=None
        )

    async def require(
        self, request: web.Request, *, touch: bool = True
    ) -> ConsoleSession | web.Response:
        """The request's session, or the response for a request without one.

        Polling (`touch=False`) does not count as activity for the idle timeout."""
        if not self.transport_ok(request):
            return self.forbidden("Die Beratungskonsole ist nur über https erreichbar.")
        session = self.session_of(request, touch)
        if session is None:
            if request.method == "GET":
                return redirect("/console/login")
            return self.forbidden("Bitte melden Sie sich an.")
        return session

    async def require_admin(
        self, request: web.Request, refusal: str = "Diese Seite ist der Administration vorbehalten."
    ) -> ConsoleSession | web.Response:
        """The request's session if it is an admin's; else the login redirect or a 403."""
        session = await self.require(request)
        if isinstance(session, web.Response):
            return session
        if session.keys.role != "admin":
            return self.forbidden(refusal)
        return session

    async def form_for(
        self, request: web.Request, session: ConsoleSession
    ) -> dict[str, list[str]] | web.Response:
        """The posted form once its CSRF token matched the session's; else a 403/400."""
        try:
            form = await read_form(request)
        except (BadForm, FormTooLarge):
            return self.forbidden("Das Formular war ungültig. Bitte laden Sie die Seite neu.")
        if not tokens_match(session.csrf, _first(form, "csrf")):
            return self.forbidden("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.")
        return form

    # ------------------------------------------------------------ login

    def _pre_token(self, request: web.Request) -> str:
        return request.cookies.get(self.policy(request).pre_name) or secrets.token_urlsafe(32)

    def _with_pre(self, request: web.Request, response: web.Response, token: str) -> web.Response:
        policy = self.policy(request)
        policy.set(response, policy.pre_name, token, PRE_COOKIE_SECONDS)
        return response

    def _pre_ok(self, request: web.Request, form: dict[str, list[str]]) -> bool:
        cookie = request.cookies.get(self.policy(request).pre_name, "")
        return tokens_match(cookie, _first(form, "csrf"))

    async def get_login(self, request: web.Request) -> web.Response:
        if not self.transport_ok(request):
            return self.forbidden("Die Beratungskonsole ist nur über https erreichbar.")
        if self.session_of(request) is not None:
            return redirect("/console")
        token = self._pre_token(request)
        notice = NOTICES.get(request.query.get("notice", ""))
        resp = self.page(
            "login.html",
            title="Anmelden",
            csrf=token,
            error=None,
            username="",
            notice=notice,
            session=None,
        )
        return self._with_pre(request, resp, token)

    def _login_error(self, request: web.Request, username: str, status: int) -> web.Response:
        token = self._pre_token(request)
        resp = self.page(
            "login.html",
            status=status,
            title="Fehler: Anmelden",
            csrf=token,
            username=username,
            notice=None,
            session=None,
            error=(
                "Die Anmeldung hat nicht geklappt. Prüfen Sie Name, Passwort und Code. "
                "Nach mehreren Fehlversuchen ist das Konto für eine Weile gesperrt."
            ),
        )
        return self._with_pre(request, resp, token)

    async def post_login(self, request: web.Request) -> web.Response:
        if not self.transport_ok(request):
            return self.forbidden("Die Beratungskonsole ist nur über https erreichbar.")
        try:
            form = await read_form(request)
        except (BadForm, FormTooLarge):
            return self.forbidden("Das Formular war ungültig. Bitte laden Sie die Seite neu.")
        if not self._pre_ok(request, form):
            return self.forbidden("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.")
        username = _first(form, "username")[:64]
        password = _first(form, "password")[:MAX_PASSWORD]
        code = _first(form, "code").replace(" ", "")
        if not self.login_posts.take(request.remote or "unknown"):
            return self._login_error(request, username, 429)
        now = self.clock()
        async with self.store.tx(now) as tx:
            account = await teams.login_account(tx, username)
            if account is not None and account.locked(now):
                await audit.record(tx, f"counsellor:{account.counsellor_id}", "login.locked")
                return self._login_error(request, username, 401)
            keys = await teams.unlock(tx, username, password)
            step = None
            if keys is not None and account is not None and account.totp_secret is not None:
                step = totp_step(account.totp_secret, code, now)
            if (
                keys is not None
                and step is not None
                and account is not None
                and await teams.record_login_success(tx, account.counsellor_id, step)
            ):
                await audit.record(tx, f"counsellor:{account.counsellor_id}", "login.ok")
                session = self.sessions.create(keys)
                resp = redirect("/console")
                policy = self.policy(request)
                policy.set(
                    resp,
                    policy.session_name,
                    session.id,
                    int(self.settings.idle_minutes * 60) + 60,
                )
                policy.clear(resp, policy.pre_name)
                return resp
            if keys is not None:
                keys.team_keys.clear()
            failures = 0
            if account is None:
                await audit.record(tx, "anonymous", "login.failed")
            else:
                await teams.record_login_failure(tx, account.counsellor_id)
                failures = account.failed_logins + 1
                await audit.record(tx, f"counsellor:{account.counsellor_id}", "login.failed")
        await self.sleep(login_delay(failures))
        return self._login_error(request, username, 401)

    async def post_logout(self, request: web.Request) -> web.Response:
        session = await self.require(request)
        if isinstance(session, web.Response):
            return session
        form = await self.form_for(request, session)
        if isinstance(form, web.Response):
            return form
        async with self.store.tx(self.clock()) as tx:
            await audit.record(tx, session.actor, "logout")
        self.sessions.drop(session.id)
        resp = redirect("/console/login?notice=logged_out")
        policy = self.policy(request)
        policy.clear(resp, policy.session_name)
        return resp

    # ------------------------------------------------------------ setup

    async def get_setup(self, request: web.Request) -> web.Response:
        if not self.transport_ok(request):
            return self.forbidden("Die Beratungskonsole ist nur über https erreichbar.")
        token = request.match_info["token"]
        async with self.store.read(self.clock()) as tx:
            username = await teams.setup_username(tx, token)
            reenrol = await teams.needs_password(tx, token)
        if username is None:
            return self._setup_gone()
        return self._setup_page(request, username, pyotp.random_base32(), None, 200, reenrol)

    def _setup_gone(self) -> web.Response:
        return self.page(
            "message.html",
            status=404,
            title="Einrichtungslink ungültig",
            message=(
                "Dieser Einrichtungslink ist ungültig, schon benutzt oder abgelaufen. "
                "Bitten Sie die Administration um einen neuen."
            ),
            session=None,
        )

    def _setup_page(
        self,
        request: web.Request,
        username: str,
        secret: str,
        error: str | None,
        status: int,
        reenrol: bool = False,
    ) -> web.Response:
        """The account setup; `reenrol`: after a second-factor reset the account keeps its
        password (it wraps the keys) and only a new authenticator is enrolled."""
        token = self._pre_token(request)
        uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="Anlaufstelle")
        qr = segno.make(uri, error="m").svg_inline(
            scale=4, dark="#000", light="#fff", title="QR-Code für die Authenticator-App"
        )
        resp = self.page(
            "setup.html",
            status=status,
            title=("Fehler: " if error else "")
            + ("Zwei-Faktor neu einrichten" if reenrol else "Konto einrichten"),
            reenrol=reenrol,
            username=username,
            secret=secret,
            secret_groups=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            qr=Markup(qr),  # noqa: S704 - segno's own SVG markup, built from our URI only
            csrf=token,
            error=error,
            min_password=MIN_PASSWORD,
            session=None,
        )
        return self._with_pre(request, resp, token)

    async def post_setup(self, request: web.Request) -> web.Response:
        if not self.transport_ok(request):
            return self.forbidden("Die Beratungskonsole ist nur über https erreichbar.")
        token = request.match_info["token"]
        try:
            form = await read_form(request)
        except (BadForm, FormTooLarge):
            return self.forbidden("Das Formular war ungültig. Bitte laden Sie die Seite neu.")
        if not self._pre_ok(request, form):
            return self.forbidden("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.")
        if not self.login_posts.take(request.remote or "unknown"):
            return self.forbidden("Zu viele Versuche. Bitte warten Sie eine Minute.")
        now = self.clock()
        async with self.store.read(now) as tx:
            username = await teams.setup_username(tx, token)
            reenrol = await teams.needs_password(tx, token)
        if username is None:
            return self._setup_gone()
        secret = _first(form, "secret")
        if not _TOTP_SECRET.match(secret):
            secret = pyotp.random_base32()
            return self._setup_page(request, username, secret, "Bitte neu beginnen.", 400, reenrol)
        password = _first(form, "password")[:MAX_PASSWORD]
        repeat = _first(form, "password2")
        code = _first(form, "code").replace(" ", "")
        if reenrol:
            return await self._reenrol(request, token, username, secret, password, code)
        error = None
        if len(password) < MIN_PASSWORD or len(password) > MAX_PASSWORD:
            error = f"Das Passwort braucht mindestens {MIN_PASSWORD} Zeichen."
        elif password != repeat:
            error = "Die beiden Passwörter stimmen nicht überein."
        elif totp_step(secret, code, now) is None:
            error = "Der Code aus der Authenticator-App stimmt nicht. Bitte erneut versuchen."
        if error is not None:
            return self._setup_page(request, username, secret, error, 400)
        async with self.store.tx(now) as tx:
            counsellor_id = await teams.complete_setup(tx, token, password, secret)
            if counsellor_id is None:
                return self._setup_gone()
            await audit.record(tx, f"counsellor:{counsellor_id}", "account.setup")
        return self.page(
            "message.html",
            title="Konto eingerichtet",
            message="Ihr Konto ist eingerichtet. Sie können sich jetzt anmelden.",
            link=("/console/login", "Zur Anmeldung"),
            session=None,
        )

    async def _reenrol(
        self,
        request: web.Request,
        token: str,
        username: str,
        secret: str,
        password: str,
        code: str,
    ) -> web.Response:
        now = self.clock()
        if totp_step(secret, code, now) is None:
            error = "Der Code aus der Authenticator-App stimmt nicht. Bitte erneut versuchen."
            return self._setup_page(request, username, secret, error, 400, True)
        async with self.store.tx(now) as tx:
            counsellor_id = await teams.reenrol_second_factor(tx, token, password, secret)
            if counsellor_id is not None:
                await audit.record(tx, f"counsellor:{counsellor_id}", "account.second_factor")
        if counsellor_id is None:
            await self.sleep(login_delay(1))
            error = "Das Passwort stimmt nicht. Bitte erneut versuchen."
            return self._setup_page(request, username, secret, error, 400, True)
        return self.page(
            "message.html",
            title="Zwei-Faktor eingerichtet",
            message="Die neue Authenticator-App ist eingerichtet. Sie können sich jetzt anmelden.",
            link=("/console/login", "Zur Anmeldung"),
            session=None,
        )

    # ------------------------------------------------------------ queue

    async def _rows(self, session: ConsoleSession) -> tuple[list[Row], dict[str, str]]:
        now = self.clock()
        async with self.store.read(now) as tx:
            team_ids = await teams.team_ids_of(tx, session.counsellor_id)
            names = await teams.team_names(tx)
            entries = await cases.queue(tx, team_ids)
        rows = [
            Row(
                e.case_id,
                names.get(e.team_id, e.team_id),
                e.status,
                e.crisis,
                _days_left(e, now),
                waiting_text(e.waiting_since, now),
                e.channel,
                e.language,
                e.claimed_by == session.counsellor_id,
            )
            for e in by_priority(entries, now)
        ]
        return rows, {t: names.get(t, t) for t in team_ids}

    async def get_queue(self, request: web.Request) -> web.Response:
        session = await self.require(request)
        if isinstance(session, web.Response):
            return session
        rows, my_teams = await self._rows(session)
        return self.page(
            "queue.html",
            title="Warteschlange",
            session=session,
            csrf=session.csrf,
            rows=rows,
            teams=list(my_teams.values()),
            username=session.keys.username,
            poll_ms=int(self.settings.live_poll_seconds * 1000),
            shown=json.dumps([[r.case_id, r.status, r.mine] for r in rows]),
        )

    async def get_queue_json(self, request: web.Request) -> web.Response:
        """The queue for a live page: case ids with their state, and the table ready to swap
        in (rendered and escaped here, so the page's script never builds HTML from data)."""
        session = await self.require(request, touch=False)
        if isinstance(session, web.Response):
            return session
        rows, _ = await self._rows(session)
        table = render(
            "console/queue_table.html", static=lambda name: f"/console/static/{name}", rows=rows
        )
        return web.json_response(
            {
                "cases": [[r.case_id, r.status, r.mine] for r in rows],
                "waiting": sum(1 for r in rows if r.status == "waiting"),
                "html": table,
            },
            headers={"Cache-Control": "no-store"},
        )

    # ------------------------------------------------------------ one case

    async def _case(
        self, request: web.Request, session: ConsoleSession
    ) -> QueueEntry | web.Response:
        try:
            case_id = int(request.match_info["case_id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        async with self.store.read(self.clock()) as tx:
            entry = await cases.entry(tx, case_id)
            team_ids = await teams.team_ids_of(tx, session.counsellor_id)
        if entry is None:
            raise web.HTTPNotFound()
        if entry.team_id not in team_ids:
            return self.forbidden("Dieser Fall gehört zu einem anderen Team.")
        return entry

    async def get_case(self, request: web.Request) -> web.Response:
        session = await self.require(request)
        if isinstance(session, web.Response):
            return session
        entry = await self._case(request, session)
        if isinstance(entry, web.Response):
            return entry
        now = self.clock()
        async with self.store.tx(now) as tx:
            key = await cases.private_key_for_team(tx, entry.case_id, session.keys.team_keys)
            if key is None:
                return self.forbidden("Ihre Schlüssel öffnen diesen Fall nicht.")
            try:
                content = await cases.read(tx, entry.case_id, key)
                case_notes = await notes.read(tx, entry.case_id, session.keys.team_keys)
            except CryptoError:
                log.error("case %s: content failed its integrity check", entry.case_id)
                await audit.record(tx, session.actor, "case.integrity_failed", entry.case_id)
                return self.page(
                    "message.html",
                    status=500,
                    title="Fall nicht lesbar",
                    message="Der Inhalt dieses Falls ist beschädigt oder wurde verändert.",
                    session=session,
                    csrf=session.csrf,
                )
            await audit.record(tx, session.actor, "case.viewed", entry.case_id)
            flow: Flow | None
            try:
                version = await self.service.catalog.current(tx)
                flow = await self.service.catalog.flow(tx, version.id)
            except Exception:
                flow = None
            names = await teams.team_names(tx)
            colleagues = await teams.colleagues(tx, entry.team_id, session.counsellor_id)
            unreachable = await cases.contact_unreachable(tx, entry.case_id)
        mine = entry.status == "claimed" and entry.claimed_by == session.counsellor_id
        snippets = self._snippets(entry.language)
        chosen = _snippet_index(request.query.get("snippet", ""), len(snippets))
        return self.page(
            "case.html",
            title=f"Fall {entry.case_id}",
            session=session,
            csrf=session.csrf,
            case=entry,
            team=names.get(entry.team_id, entry.team_id),
            days_left=_days_left(entry, now),
            waiting=waiting_text(entry.waiting_since, now),
            answers=answer_rows(content.answers, flow),
            lines=[_line(line, self.timezone) for line in content.transcript],
            last_seq=content.transcript[-1].seq if content.transcript else 0,
            notes=[_note(n, self.timezone) for n in case_notes],
            mine=mine,
            unreachable=unreachable,
            notice=NOTICES.get(request.query.get("notice", "")),
            fields=FIELD_LEGENDS,
            categories=FIELDS,
            preselected=preselected(content.answers),
            outcomes=OUTCOMES,
            colleagues=colleagues,
            other_teams={t: n for t, n in names.items() if t != entry.team_id},
            snippets=snippets,
            draft=snippets[chosen].text if chosen is not None else "",
            max_text=MAX_TEXT_LENGTH,
            poll_ms=int(self.settings.live_poll_seconds * 1000),
        )

    def _snippets(self, language: str) -> list[Snippet]:
        """The snippets in the case's language; all of them if there are none in it."""
        fitting = [s for s in self.settings.snippets if s.language == language]
        return fitting or list(self.settings.snippets)

    async def get_case_json(self, request: web.Request) -> web.Response:
        """News for an open case page: its status and the transcript lines after `after`.

        Lines are decrypted with the session's team key like the page itself; a page polling
        an unchanged case costs one indexed read and decrypts nothing."""
        session = await self.require(request, touch=False)
        if isinstance(session, web.Response):
            return session
        entry = await self._case(request, session)
        if isinstance(entry, web.Response):
            return entry
        try:
            after = max(0, int(request.query.get("after", "0")))
        except ValueError:
            after = 0
        lines: list[Line] = []
        async with self.store.read(self.clock()) as tx:
            last = await cases.last_seq(tx, entry.case_id)
            if last > after:
                key = await cases.private_key_for_team(tx, entry.case_id, session.keys.team_keys)
                if key is None:
                    return self.forbidden("Ihre Schlüssel öffnen diesen Fall nicht.")
                try:
                    found = await cases.transcript_after(tx, entry.case_id, key, after)
                except CryptoError:
                    log.error("case %s: content failed its integrity check", entry.case_id)
                    return web.json_response({"error": "integrity"}, status=500)
                lines = [_line(line, self.timezone) for line in found]
        mine = entry.status == "claimed" and entry.claimed_by == session.counsellor_id
        return web.json_response(
            {
                "status": entry.status,
                "mine": mine,
                "typing": self.service.typing.is_person_typing(entry.case_id),
                "last_seq": max(last, after),
                "lines": [
                    {
                        "seq": x.seq,
                        "sender": x.sender,
                        "sender_label": x.sender_label,
                        "text": x.text,
                        "at": x.at,
                    }
                    for x in lines
                ],
            },
            headers={"Cache-Control": "no-store"},
        )

    async def post_typing(self, request: web.Request) -> web.Response:
        """The counsellor is typing a reply: a hint on the person's channel, best effort.

        Sent by console.js with the CSRF token in a header; 204 whether or not the channel
        can show it, so the page never learns more than that the request was accepted."""
        session = await self.require(request)
        if isinstance(session, web.Response):
            return session
        entry = await self._case(request, session)
        if isinstance(entry, web.Response):
            return entry
        if not tokens_match(session.csrf, request.headers.get("X-CSRF-Token", "")):
            return self.forbidden("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.")
        target = await self.service.typing_target(entry.case_id, session.counsellor_id)
        if target is not None:
            channel = self.channels.get(target[0])
            if isinstance(channel, TypingChannel):
                try:
                    await asyncio.wait_for(channel.typing(target[1]), timeout=5)
                except Exception as exc:  # a lost hint harms nobody; say so without content
                    log.info("typing hint for case %s not shown (%s)", entry.case_id, type(exc))
        return web.Response(status=204)

    async def post_case_action(self, request: web.Request) -> web.Response:
        session = await self.require(request)
        if isinstance(session, web.Response):
            return session
        entry = await self._case(request, session)
        if isinstance(entry, web.Response):
            return entry
        form = await self.form_for(request, session)
        if isinstance(form, web.Response):
            return form
        action = request.match_info["action"]
        handlers = {
            "claim": self._claim,
            "release": self._release,
            "reply": self._reply,
            "note": self._note,
            "transfer": self._transfer,
            "close": self._close,
        }
        notice = await handlers[action](session, entry, form)
        if notice in ("released", "closed", "moved"):
            return redirect(f"/console?notice={notice}")
        anchor = {"noted": "notes-h", "note_empty": "note-text"}.get(notice, "status")
        return redirect(f"/console/cases/{entry.case_id}?notice={notice}#{anchor}")

    async def _claim(self, session: ConsoleSession, entry: QueueEntry, _: Form) -> str:
        async with self.store.tx(self.clock()) as tx:
            if not await cases.claim(tx, entry.case_id, session.counsellor_id):
                return "taken"
            await audit.record(tx, session.actor, "case.claimed", entry.case_id)
        return "claimed"

    async def _release(self, session: ConsoleSession, entry: QueueEntry, _: Form) -> str:
        async with self.store.tx(self.clock()) as tx:
            if not await cases.release(tx, entry.case_id, session.counsellor_id):
                return "not_yours"
            await audit.record(tx, session.actor, "case.released", entry.case_id)
        return "released"

    async def _reply(self, session: ConsoleSession, entry: QueueEntry, form: Form) -> str:
        text = _first(form, "text")
        if not text.strip():
            return "empty"
        if len(text) > MAX_TEXT_LENGTH:
            return "too_long"
        seq = await self.service.counsellor_reply(entry.case_id, session.counsellor_id, text)
        return "sent" if seq is not None else "not_yours"

    async def _note(self, session: ConsoleSession, entry: QueueEntry, form: Form) -> str:
        """Any member of the case's team may add a note, also while the case waits."""
        text = _first(form, "note")
        if not text.strip():
            return "note_empty"
        if len(text) > MAX_TEXT_LENGTH:
            return "too_long"
        async with self.store.tx(self.clock()) as tx:
            await notes.add(
                tx, entry.case_id, entry.team_id, session.counsellor_id, "note", {"text": text}
            )
            await audit.record(tx, session.actor, "case.noted", entry.case_id)
        return "noted"

    async def _transfer(self, session: ConsoleSession, entry: QueueEntry, form: Form) -> str:
        """To a colleague ("counsellor:ID") or to another team's queue ("team:ID")."""
        kind, _, target = _first(form, "to").partition(":")
        async with self.store.tx(self.clock()) as tx:
            if kind == "counsellor" and target.isdigit():
                ok = await cases.transfer_to_colleague(
                    tx, entry.case_id, session.counsellor_id, int(target)
                )
                notice = "transferred"
            elif kind == "team" and await teams.team_exists(tx, target):
                ok = await cases.transfer_to_team(
                    tx, entry.case_id, session.counsellor_id, target, session.keys.team_keys
                )
                notice = "moved"
            else:
                return "transfer_failed"
            if not ok:
                return "transfer_failed"
            await audit.record(
                tx, session.actor, "case.transferred", entry.case_id, detail=f"{kind}:{target}"
            )
        return notice

    async def _close(self, session: ConsoleSession, entry: QueueEntry, form: Form) -> str:
        try:
            closing = read_closing(form)
        except IncompleteClosing:
            return "outcome"
        async with self.store.tx(self.clock()) as tx:
            if not await cases.close(tx, entry.case_id, session.counsellor_id):
                return "not_yours"
            key = await cases.private_key_for_team(tx, entry.case_id, session.keys.team_keys)
            answers = (await cases.read(tx, entry.case_id, key)).answers if key else {}
            # Anonymous counters, written once here from the documented categories; the
            # documentation itself stays with the case (for the team only) until it is deleted.
            facts = closing_facts(entry, answers, closing.as_facts())
            await stats.count(tx, self.clock().astimezone(self.timezone).strftime("%Y-%m"), facts)
            await notes.add(
                tx,
                entry.case_id,
                entry.team_id,
                session.counsellor_id,
                "closing",
                {"outcome": closing.outcome, "codes": closing.codes},
            )
            await audit.record(tx, session.actor, "case.closed", entry.case_id)
        return "closed"

    # ------------------------------------------------------------ static files and headers

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        return web.FileResponse(
            STATIC_DIR / name,
            headers={
                "Content-Type": f"{STATIC_FILES[name]}; charset=utf-8",
                "Cache-Control": "no-cache",
            },
        )

    async def security_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        if not (request.path == "/console" or request.path.startswith("/console/")):
            return
        h = response.headers
        # Assigned, not setdefault: the console is never framed, whatever the chat allows.
        h["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        )
        h["X-Frame-Options"] = "DENY"
        h["Referrer-Policy"] = "no-referrer"
        h["X-Content-Type-Options"] = "nosniff"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Cross-Origin-Resource-Policy"] = "same-origin"
        h.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
        )
        if not request.path.startswith("/console/static/"):
            h["Cache-Control"] = "no-store"
        if self.policy(request).secure:
            h.setdefault("Strict-Transport-Security", "max-age=31536000")


def redirect(location: str) -> web.Response:
    """A 303 See Other (after a POST the browser GETs the new page)."""
    return web.Response(status=303, headers={"Location": location})


def _first(form: dict[str, list[str]], key: str) -> str:
    values = form.get(key, [])
    return values[0] if len(values) == 1 else ""


def _line(line: TranscriptLine, tz: tzinfo) -> Line:
    return Line(
        line.seq,
        line.sender,
        SENDERS.get(line.sender, line.sender),
        _line_text(line.body),
        _local_time(line.created_at, tz),
    )


@dataclass(frozen=True)
class NoteView:
    kind: str
    author: str
    at: str
    text: str


def _local_time(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def _note(note: notes.Note, tz: tzinfo) -> NoteView:
    if note.kind == "closing":
        codes = note.body.get("codes", {})
        parts = [f"Ergebnis: {OUTCOMES.get(str(note.body.get('outcome')), DASH)}"]
        for name, legend in FIELD_LEGENDS.items():
            labels = [FIELDS[name].get(v, v) for v in codes.get(name, [])]
            parts.append(f"{legend}: {', '.join(labels) or DASH}")
        text = "Abschluss dokumentiert. " + "; ".join(parts) + "."
    else:
        text = str(note.body.get("text", ""))
    author = note.author or "(gelöschtes Konto)"
    return NoteView(note.kind, author, _local_time(note.created_at, tz), text)


def _snippet_index(raw: str, count: int) -> int | None:
    return int(raw) if raw.isdigit() and int(raw) < count else None


def login_delay(failures: int) -> float:
    """Seconds to wait before answering a failed login: grows with the failures in a row."""
    if failures <= 0:
        return 0.5
    return float(min(0.5 * 2 ** (failures - 1), 8.0))


def totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step a 6-digit code belongs to (now, 30 s before or after), or None."""
    if not _CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    found = None
    for offset in (-1, 0, 1):
        moment = now + timedelta(seconds=30 * offset)
        if tokens_match(totp.at(moment), code):
            found = totp.timecode(moment)
    return found


def add_routes(app: web.Application, console: Console) -> None:
    r = app.router
    r.add_get("/console", console.get_queue, name="console")
    r.add_get("/console/queue.json", console.get_queue_json)
    r.add_get("/console/login", console.get_login, name="console-login")
    r.add_post("/console/login", console.post_login)
    r.add_post("/console/logout", console.post_logout)
    r.add_get("/console/setup/{token}", console.get_setup)
    r.add_post("/console/setup/{token}", console.post_setup)
    r.add_get("/console/cases/{case_id}", console.get_case)
    r.add_get("/console/cases/{case_id}/status.json", console.get_case_json)
    r.add_post("/console/cases/{case_id}/typing", console.post_typing)
    r.add_post(
        "/console/cases/{case_id}/{action:claim|release|reply|note|transfer|close}",
        console.post_case_action,
    )
    r.add_get("/console/static/{name}", console.static)
    # Imported here: translation_pages builds on this module.
    from bot.console.translation_pages import add_translation_routes

    add_translation_routes(app, console)
    app.on_response_prepare.append(console.security_headers)
    from bot.console.flow_routes import add_flow_routes  # imports this module

    add_flow_routes(app, console)
