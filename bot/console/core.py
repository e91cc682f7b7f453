"""The console's core: the `Console` every page is built on (sessions, rendering, the checks
every page makes, static files and security headers).

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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Final

from aiohttp import web

from bot.channels.base import MAX_TEXT_LENGTH, Channel
from bot.clock import Clock
from bot.console.auth import (
    ConsoleSession,
    CookiePolicy,
    SessionStore,
    is_https,
    is_loopback,
    tokens_match,
)
from bot.console.language_names import language_name
from bot.console.live import LiveBus
from bot.console.login_guard import LoginGuard
from bot.conversation.service import ConversationService
from bot.ratelimit import KeyedLimiter
from bot.settings import ConsoleSettings
from bot.web.pages import BadForm, FormTooLarge, read_form
from bot.web.render import Problem, render
from storage import teams
from storage.store import Store

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"

STATIC_FILES: Final = {
    "console.css": "text/css",
    "console.js": "text/javascript",
    "console-keys.js": "text/javascript",
    "favicon.svg": "image/svg+xml",
    "flyer.css": "text/css",
}

NOTICES: Final = {
    "claimed": "Sie haben den Fall übernommen.",
    "none_waiting": "Gerade wartet kein Fall.",
    "blocked": "Die Nachrichten dieser Person werden ab jetzt zurückgehalten: Sie erreichen "
    "keine Warteschlange mehr und nur die Administration kann sie lesen.",
    "unblocked": "Die Sperre ist aufgehoben: Nachrichten dieser Person erreichen wieder das Team.",
    "block_reason": Problem("Bitte wählen Sie einen Grund."),
    "admins_only": Problem("Das darf nur die Administration."),
    "released": "Der Fall ist zurück in der Warteschlange.",
    "sent": "Die Nachricht ist unterwegs.",
    "closed": "Der Fall ist abgeschlossen.",
    "taken": Problem("Der Fall ist nicht mehr frei: jemand anderes hat ihn übernommen."),
    "not_yours": Problem("Das geht nur bei einem Fall, den Sie übernommen haben."),
    "empty": Problem("Bitte schreiben Sie eine Nachricht."),
    "too_long": Problem(f"Die Nachricht ist zu lang (höchstens {MAX_TEXT_LENGTH} Zeichen)."),
    "outcome": Problem(
        "Bitte wählen Sie ein Ergebnis; die Kategorien müssen aus der Liste stammen."
    ),
    "noted": "Die Notiz ist gespeichert.",
    "note_empty": Problem("Bitte schreiben Sie eine Notiz."),
    "note_too_long": Problem(f"Die Notiz ist zu lang (höchstens {MAX_TEXT_LENGTH} Zeichen)."),
    "transferred": "Der Fall ist an Ihre Kollegin oder Ihren Kollegen übergeben.",
    "moved": "Der Fall ist in der Warteschlange des anderen Teams.",
    "transfer_failed": Problem(
        "Die Übergabe ist nicht möglich: Der Fall hat sich inzwischen geändert "
        "oder das Ziel ist nicht verfügbar."
    ),
    "incident": "Das Datum des Vorfalls ist berichtigt; die Frist und die Reihenfolge folgen.",
    "incident_invalid": Problem("Bitte ein Datum wählen, das nicht in der Zukunft liegt."),
    "unconfirmed": Problem("Nichts geändert: Bitte bestätigen Sie den Schritt mit dem Häkchen."),
    "logged_out": "Sie sind abgemeldet.",
    "expired": "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich neu an.",
}


Sleep = Callable[[float], Awaitable[None]]
Form = dict[str, list[str]]


class Console:
    """The console's shared plumbing: sessions, the login rate limit, page rendering, the
    session and CSRF checks every page makes, static files and security headers. The pages
    themselves live beside it (login_pages, queue_pages, case_pages and the admin pages)."""

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
        footer_links: Sequence[tuple[str, str, str]] = (),
    ) -> None:
        self.footer_links = tuple(footer_links)
        """(id, label, href) of the links every console page's footer shows: privacy notice,
        imprint, accessibility statement (bot/console/accessibility_page.py)."""
        self.store = store
        self.service = service
        self.timezone = timezone
        self.channels: Mapping[str, Channel] = channels or {}
        """The running channels, for the typing hint (replies go through the outbox)."""
        self.channel_states: dict[str, Callable[[], str]] = {}
        """Channels that depend on a sidecar (Signal): name -> its state now, for the admins."""
        self.settings = settings
        self.clock = clock
        self.live = LiveBus()
        self.sessions = SessionStore(
            timedelta(minutes=settings.idle_minutes),
            clock,
            timedelta(hours=settings.session_max_hours),
        )
        self.sleep = sleep
        """Awaited for the growing delay after a failed login (tests pass a recorder)."""
        self.login_posts = KeyedLimiter(capacity=10, rate=1 / 6, clock=clock.monotonic)
        """Login and setup posts per client address: bursts of 10, then one every 6 s."""
        self.login_guard = LoginGuard(clock.monotonic)
        """Failed logins per (name, client): the growing delay and the lockout."""

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
            footer_links=self.footer_links,
            office_time=self.office_time,
            language_name=language_name,
            **context,
        )
        return web.Response(text=html, content_type="text/html", status=status)

    def office_time(self, moment: datetime) -> str:
        """A stored moment (UTC; naive from SQLite) as the office reads it."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.timezone).strftime("%d.%m.%Y %H:%M")

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
        async with self.store.read(self.clock()) as tx:
            # A colleague closed in another process or replica rotated a team key: this
            # session opens it now, not only at its next login.
            await teams.open_newer_team_keys(tx, session.keys)
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
        if not tokens_match(session.csrf, first_value(form, "csrf")):
            return self.forbidden("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.")
        return form

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
        # A person's file keeps its own, stricter policy (sandbox: nothing in it runs).
        if not h.get("Content-Security-Policy", "").startswith("sandbox"):
            h["Content-Security-Policy"] = (
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                "connect-src 'self'; form-action 'self'; base-uri 'none'; "
                "frame-ancestors 'none'"
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


def first_value(form: dict[str, list[str]], key: str) -> str:
    values = form.get(key, [])
    return values[0] if len(values) == 1 else ""
