"""The console's login, logout and account setup pages.

A login needs name, password and the current code of the authenticator app; failures are
answered after a growing delay and lock the account for a while. Before login the forms carry
a token from a short-lived cookie instead of the session's CSRF token.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime, timedelta
from typing import Final

import pyotp
import segno
from aiohttp import web
from markupsafe import Markup

from bot.console.auth import client_of, tokens_match
from bot.console.core import NOTICES, Console, first_value, redirect
from bot.console.login_guard import LOCK_AFTER
from bot.web.pages import BadForm, FormTooLarge, read_form
from storage import audit, cases, teams

log = logging.getLogger(__name__)

MIN_PASSWORD: Final = 12
MAX_PASSWORD: Final = 1024
PRE_COOKIE_SECONDS: Final = 1800
_CODE = re.compile(r"^[0-9]{6}$")
_TOTP_SECRET = re.compile(r"^[A-Z2-7]{32}$")


class LoginPages:
    """Login, logout and account setup (also the second-factor re-enrolment)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def _pre_token(self, request: web.Request) -> str:
        return request.cookies.get(self.console.policy(request).pre_name) or secrets.token_urlsafe(
            32
        )

    def _with_pre(self, request: web.Request, response: web.Response, token: str) -> web.Response:
        policy = self.console.policy(request)
        policy.set(response, policy.pre_name, token, PRE_COOKIE_SECONDS)
        return response

    def _pre_ok(self, request: web.Request, form: dict[str, list[str]]) -> bool:
        cookie = request.cookies.get(self.console.policy(request).pre_name, "")
        return tokens_match(cookie, first_value(form, "csrf"))

    async def get_login(self, request: web.Request) -> web.Response:
        if not self.console.transport_ok(request):
            return self.console.forbidden("Die Beratungskonsole ist nur über https erreichbar.")
        if self.console.session_of(request) is not None:
            return redirect("/console")
        token = self._pre_token(request)
        notice = NOTICES.get(request.query.get("notice", ""))
        resp = self.console.page(
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
        resp = self.console.page(
            "login.html",
            status=status,
            title="Fehler: Anmelden",
            csrf=token,
            username=username,
            notice=None,
            session=None,
            error=(
                "Die Anmeldung hat nicht geklappt. Prüfen Sie Name, Passwort und Code. "
                "Nach mehreren Fehlversuchen ist die Anmeldung von diesem Gerät aus für eine Weile "
                "gesperrt."
            ),
        )
        return self._with_pre(request, resp, token)

    async def post_login(self, request: web.Request) -> web.Response:
        if not self.console.transport_ok(request):
            return self.console.forbidden("Die Beratungskonsole ist nur über https erreichbar.")
        try:
            form = await read_form(request)
        except (BadForm, FormTooLarge):
            return self.console.forbidden(
                "Das Formular war ungültig. Bitte laden Sie die Seite neu."
            )
        if not self._pre_ok(request, form):
            return self.console.forbidden(
                "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu."
            )
        username = first_value(form, "username")[:64]
        password = first_value(form, "password")[:MAX_PASSWORD]
        code = first_value(form, "code").replace(" ", "")
        client = client_of(request)
        if not self.console.login_posts.take(client):
            return self._login_error(request, username, 429)
        guard = self.console.login_guard
        # Locked out for this name from this client only; the password is still checked
        # (and answered after the same delay) so the answer looks like any wrong login and
        # says nothing about whether the name exists.
        locked = guard.locked(username, client)
        now = self.console.clock()
        store = self.console.store
        async with store.read(now) as tx:
            found = await teams.login_rows(tx, username)
        # The password check and key derivation (about 0.4 s) outside any transaction: on
        # SQLite no person's message waits for a counsellor's login, not even a checkpoint.
        unlocked = await teams.open_keys(found, username, password, store.kdf)
        async with store.tx(now) as tx:
            keys = None if unlocked is None else await teams.keep(tx, unlocked)
            # Read here, not with the keys: a second factor reset meanwhile counts.
            account = await teams.login_account(tx, username)
            step = None
            if keys is not None and account is not None and account.totp_secret is not None:
                step = totp_step(account.totp_secret, code, now)
            if (
                not locked
                and keys is not None
                and step is not None
                and account is not None
                and await teams.record_login_success(tx, account.counsellor_id, step)
            ):
                await audit.record(tx, f"counsellor:{account.counsellor_id}", "login.ok")
                if moved := await cases.rewrap_for_current_keys(tx, keys.team_keys):
                    log.info("%s open cases moved to their team's current key", moved)
                guard.succeeded(username, client)
                session = self.console.sessions.create(keys)
                resp = redirect("/console")
                policy = self.console.policy(request)
                policy.set(
                    resp,
                    policy.session_name,
                    session.id,
                    int(self.console.settings.idle_minutes * 60) + 60,
                )
                policy.clear(resp, policy.pre_name)
                return resp
            if keys is not None:
                keys.forget()
            failures = LOCK_AFTER if locked else guard.failed(username, client)
            actor = "anonymous" if account is None else f"counsellor:{account.counsellor_id}"
            await audit.record(tx, actor, "login.locked" if locked else "login.failed")
            if account is not None and not locked:
                await teams.record_login_failure(tx, account.counsellor_id)
        await self.console.sleep(login_delay(failures))
        return self._login_error(request, username, 401)

    async def post_logout(self, request: web.Request) -> web.Response:
        session = await self.console.require(request)
        if isinstance(session, web.Response):
            return session
        form = await self.console.form_for(request, session)
        if isinstance(form, web.Response):
            return form
        async with self.console.store.tx(self.console.clock()) as tx:
            await audit.record(tx, session.actor, "logout")
        self.console.sessions.drop(session.id)
        resp = redirect("/console/login?notice=logged_out")
        policy = self.console.policy(request)
        policy.clear(resp, policy.session_name)
        return resp

    async def get_setup_start(self, request: web.Request) -> web.Response:
        """Where a setup link leads: the token is in the link's fragment (never sent to the
        server, so never in a proxy's log); the page's script or the person puts it into the
        form."""
        if not self.console.transport_ok(request):
            return self.console.forbidden("Die Beratungskonsole ist nur über https erreichbar.")
        return self._start_page(request, None, 200)

    def _start_page(self, request: web.Request, error: str | None, status: int) -> web.Response:
        token = self._pre_token(request)
        resp = self.console.page(
            "setup_start.html",
            status=status,
            title=("Fehler: " if error else "") + "Konto einrichten",
            csrf=token,
            error=error,
            session=None,
        )
        return self._with_pre(request, resp, token)

    async def get_setup_old_link(self, request: web.Request) -> web.Response:
        """A link from before tokens moved into the fragment: on to the same page with the
        token where it belongs (this request is in the logs already, later ones are not)."""
        raise web.HTTPSeeOther(f"/console/setup#{request.match_info['token']}")

    def _setup_gone(self) -> web.Response:
        return self.console.page(
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
        setup_token: str,
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
        resp = self.console.page(
            "setup.html",
            status=status,
            title=("Fehler: " if error else "")
            + ("Zwei-Faktor neu einrichten" if reenrol else "Konto einrichten"),
            reenrol=reenrol,
            username=username,
            secret=secret,
            setup_token=setup_token,
            secret_groups=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            qr=Markup(qr),  # noqa: S704 - segno's own SVG markup, built from our URI only
            csrf=token,
            error=error,
            min_password=MIN_PASSWORD,
            session=None,
        )
        return self._with_pre(request, resp, token)

    async def post_setup(self, request: web.Request) -> web.Response:
        if not self.console.transport_ok(request):
            return self.console.forbidden("Die Beratungskonsole ist nur über https erreichbar.")
        try:
            form = await read_form(request)
        except (BadForm, FormTooLarge):
            return self.console.forbidden(
                "Das Formular war ungültig. Bitte laden Sie die Seite neu."
            )
        if not self._pre_ok(request, form):
            return self.console.forbidden(
                "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu."
            )
        if not self.console.login_posts.take(client_of(request)):
            return self.console.forbidden("Zu viele Versuche. Bitte warten Sie eine Minute.")
        token = first_value(form, "token").strip() or request.match_info.get("token", "")
        now = self.console.clock()
        async with self.console.store.read(now) as tx:
            username = await teams.setup_username(tx, token)
            reenrol = await teams.needs_password(tx, token)
        if username is None:
            return self._setup_gone()
        secret = first_value(form, "secret")
        if not secret:  # the token came from the start page: now the setup itself
            return self._setup_page(
                request, token, username, pyotp.random_base32(), None, 200, reenrol
            )
        if not _TOTP_SECRET.match(secret):
            secret = pyotp.random_base32()
            return self._setup_page(
                request, token, username, secret, "Bitte neu beginnen.", 400, reenrol
            )
        password = first_value(form, "password")[:MAX_PASSWORD]
        repeat = first_value(form, "password2")
        code = first_value(form, "code").replace(" ", "")
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
            return self._setup_page(request, token, username, secret, error, 400)
        store = self.console.store
        # The password's hash and key (about half a second) before the write transaction.
        made = await teams.new_password(password, store.kdf)
        async with store.tx(self.console.clock()) as tx:
            counsellor_id = await teams.complete_setup(tx, token, made, secret)
            if counsellor_id is None:
                return self._setup_gone()
            await audit.record(tx, f"counsellor:{counsellor_id}", "account.setup")
        return self.console.page(
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
        now = self.console.clock()
        if totp_step(secret, code, now) is None:
            error = "Der Code aus der Authenticator-App stimmt nicht. Bitte erneut versuchen."
            return self._setup_page(request, token, username, secret, error, 400, True)
        store = self.console.store
        async with store.read(now) as tx:
            found = await teams.login_rows(tx, username)
        # The password check and key derivation outside any transaction, as at a login.
        unlocked = await teams.open_keys(found, username, password, store.kdf)
        try:
            # Now again: the derivation took a while, and a link may have expired meanwhile.
            async with store.tx(self.console.clock()) as tx:
                counsellor_id = await teams.reenrol_second_factor(tx, token, unlocked, secret)
                if counsellor_id is not None:
                    await audit.record(tx, f"counsellor:{counsellor_id}", "account.second_factor")
        finally:
            if unlocked is not None:  # the team keys, not needed beyond the check
                unlocked.keys.forget()
        if counsellor_id is None:
            # As slow whether the password was wrong or the link went during the check.
            await self.console.sleep(login_delay(1))
            if unlocked is not None:  # the password fit: the link was used or withdrawn
                return self._setup_gone()
            error = "Das Passwort stimmt nicht. Bitte erneut versuchen."
            return self._setup_page(request, token, username, secret, error, 400, True)
        return self.console.page(
            "message.html",
            title="Zwei-Faktor eingerichtet",
            message="Die neue Authenticator-App ist eingerichtet. Sie können sich jetzt anmelden.",
            link=("/console/login", "Zur Anmeldung"),
            session=None,
        )


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
