"""Running the office (admins): counsellors and teams.

Admins invite counsellors (a one-time setup link), close accounts, reset a lost second
factor, create teams and put counsellors into them. Putting someone into a team wraps the
team's key for them, which needs the key itself: from the admin's own session when the admin
is a member, otherwise from the team's recovery key typed into the form (used for this request
only, never stored). Every change is in the audit log (ids only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Final

from aiohttp import web

from bot.console.auth import ConsoleSession, is_https
from bot.console.core import Console, Form, redirect
from bot.web.render import Problem
from storage import audit, contacts, conversations, teams
from storage.store import Tx
from storage.teams import TeamError

_USERNAME: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_TEAM_ID: Final = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")
ROLES: Final = {"counsellor": "Beratung", "admin": "Administration"}
NOTICES: Final = {
    "deactivated": "Das Konto ist geschlossen; es öffnet keinen Fall mehr.",
    "member": "Die Person ist jetzt Mitglied des Teams.",
    "already": "Die Person ist schon Mitglied dieses Teams.",
    "failed": Problem(
        "Das ging nicht: Die Angaben passen nicht (oder der Wiederherstellungsschlüssel "
        "gehört nicht zum Team)."
    ),
}


@dataclass(frozen=True)
class Invite:
    """The invitation form as the admin left it, and why it was refused (`field` names the
    input at fault: username, role, teams or recovery-<team>)."""

    username: str = ""
    role: str = "counsellor"
    teams: tuple[str, ...] = ()
    field: str = ""
    error: str = ""

    def __bool__(self) -> bool:
        return bool(self.error)

    def refused(self, field: str, error: str) -> Invite:
        return replace(self, field=field, error=error)


class OfficePages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def _admin(self, request: web.Request) -> ConsoleSession | web.Response:
        return await self.console.require_admin(
            request, "Diese Seite ist der Administration vorbehalten."
        )

    async def _admin_form(self, request: web.Request) -> tuple[ConsoleSession, Form] | web.Response:
        session = await self._admin(request)
        if isinstance(session, web.Response):
            return session
        form = await self.console.form_for(request, session)
        if isinstance(form, web.Response):
            return form
        return session, form

    def _link(self, request: web.Request, token: str) -> str:
        settings = self.console.settings
        scheme = "https" if is_https(request, settings.trust_forwarded_proto) else "http"
        base = settings.public_url or f"{scheme}://{request.host}"
        return f"{base.rstrip('/')}/console/setup#{token}"

    def _result(
        self, session: ConsoleSession, title: str, message: str, secret: str | None = None
    ) -> web.Response:
        extra: dict[str, Any] = {} if secret is None else {"secret": secret}
        return self.console.page(
            "message.html",
            title=title,
            message=message,
            link=("/console/office", "Zurück zur Verwaltung"),
            session=session,
            csrf=session.csrf,
            **extra,
        )

    def _refused(self, session: ConsoleSession, message: str) -> web.Response:
        page = self._result(session, "Nicht möglich", message)
        page.set_status(400)
        return page

    # ------------------------------------------------------------ the overview

    async def get_office(self, request: web.Request) -> web.Response:
        session = await self._admin(request)
        if isinstance(session, web.Response):
            return session
        return await self._office(request, session)

    async def _office(
        self, request: web.Request, session: ConsoleSession, invite: Invite | None = None
    ) -> web.Response:
        async with self.console.store.read(self.console.clock()) as tx:
            people = await teams.counsellors(tx)
            names = await teams.team_names(tx)
            mine = set(await teams.team_ids_of(tx, session.counsellor_id))
            unrotatable = await teams.teams_without_sealed_recovery(tx)
            forged = await teams.forged_keys(tx)
            held = [
                (await conversations.last_case_of(tx, contact_id), since)
                for contact_id, since in await contacts.blocked(tx)
            ]
        page = self.console.page(
            "office.html",
            unrotatable=[(t, names.get(t, t)) for t in unrotatable],
            forged=[(key.kind, names.get(key.name, key.name)) for key in forged],
            title=("Fehler: " if invite else "") + "Verwaltung",
            session=session,
            csrf=session.csrf,
            people=people,
            teams=names,
            my_teams=mine,
            roles=ROLES,
            notice=NOTICES.get(request.query.get("notice", "")),
            invite=invite or Invite(),
            now=self.console.clock(),
            held=[(case_id, self.console.office_time(since)) for case_id, since in held if case_id],
            channel_states={name: state() for name, state in self.console.channel_states.items()},
        )
        if invite:
            page.set_status(400)
        return page

    # ------------------------------------------------------------ counsellors

    async def post_invite(self, request: web.Request) -> web.Response:
        got = await self._admin_form(request)
        if isinstance(got, web.Response):
            return got
        session, form = got
        username = _one(form, "username").strip().lower()
        role = _one(form, "role")
        chosen = form.get("teams", [])
        # A refusal shows the form again as the admin left it (recovery keys aside: a secret
        # is not sent back into a page), the reason beside the field at fault.
        typed = Invite(username=_one(form, "username"), role=role, teams=tuple(chosen))
        if not _USERNAME.match(username):
            return await self._office(
                request,
                session,
                typed.refused(
                    "username",
                    "Benutzernamen bestehen aus 2 bis 64 Kleinbuchstaben, Ziffern, Punkt, "
                    "Binde- oder Unterstrich.",
                ),
            )
        if role not in ROLES:
            return await self._office(
                request,
                session,
                typed.refused("role", "Die Rolle ist Beratung oder Administration."),
            )
        if role == "counsellor" and not chosen:
            # Without a team the account opens no case: it would log in to an empty queue.
            return await self._office(
                request,
                session,
                typed.refused(
                    "teams",
                    "Wer berät, braucht mindestens ein Team: Ohne Team sieht das Konto keinen "
                    "Fall. Bitte wählen Sie ein Team und laden Sie noch einmal ein.",
                ),
            )
        outcome = await self._invite(session, form, typed)
        if isinstance(outcome, Invite):
            # Rendered after the write transaction: the page reads in one of its own.
            return await self._office(request, session, outcome)
        return self._result(
            session,
            "Einladung erstellt",
            f"Geben Sie {username} diesen Einrichtungslink persönlich. Er gilt 72 Stunden "
            "und nur einmal; er wird nicht noch einmal angezeigt.",
            self._link(request, outcome),
        )

    async def _invite(self, session: ConsoleSession, form: Form, typed: Invite) -> str | Invite:
        """The new account's setup token, or the form refused at the field at fault."""
        async with self.console.store.tx(self.console.clock()) as tx:
            keys: dict[str, dict[int, bytes]] = {}
            for team_id in typed.teams:
                try:
                    keys[team_id] = await self._team_keys(tx, session, team_id, form)
                except TeamError as exc:
                    return typed.refused(f"recovery-{team_id}", _german(exc))
            username = typed.username.strip().lower()
            try:
                token = await teams.invite_counsellor(tx, username, typed.role, keys)
            except TeamError as exc:
                field = "username" if "exists already" in str(exc) else "teams"
                return typed.refused(field, _german(exc))
            await audit.record(tx, session.actor, "account.invited", detail=f"role:{typed.role}")
        return token

    async def post_counsellor(self, request: web.Request) -> web.Response:
        got = await self._admin_form(request)
        if isinstance(got, web.Response):
            return got
        session, _ = got
        try:
            counsellor_id = int(request.match_info["counsellor_id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        action = request.match_info["action"]
        if counsellor_id == session.counsellor_id:
            return self._refused(session, "Das eigene Konto ändert eine andere Administratorin.")
        async with self.console.store.tx(self.console.clock()) as tx:
            rotations: list[teams.Rotation] = []
            if action == "deactivate":
                closed = await teams.deactivate(tx, counsellor_id)
                ok = closed is not None
                if closed is not None:
                    rotations = closed
                    await audit.record(
                        tx, session.actor, "account.deactivated", detail=f"id:{counsellor_id}"
                    )
                    for rotation in rotations:
                        await audit.record(
                            tx, session.actor, "team.key_rotated", detail=f"team:{rotation.team_id}"
                        )
                token = None
            else:
                token = await teams.reset_second_factor(tx, counsellor_id)
                ok = token is not None
                if ok:
                    await audit.record(
                        tx,
                        session.actor,
                        "account.second_factor_reset",
                        detail=f"id:{counsellor_id}",
                    )
        if not ok:
            return self._refused(
                session, "Dieses Konto gibt es nicht (mehr) oder es ist noch nicht eingerichtet."
            )
        self.console.sessions.drop_counsellor(counsellor_id)
        for rotation in rotations:
            self.console.sessions.add_team_key(
                rotation.member_ids, rotation.key_id, rotation.private
            )
        if token is None:
            return redirect("/console/office?notice=deactivated")
        return self._result(
            session,
            "Zwei-Faktor zurückgesetzt",
            "Die bisherige Authenticator-App gilt nicht mehr. Mit diesem Link richtet die Person "
            "mit ihrem Passwort eine neue ein (72 Stunden gültig, nur einmal, wird nicht noch "
            "einmal angezeigt).",
            self._link(request, token),
        )

    # ------------------------------------------------------------ teams

    async def post_team(self, request: web.Request) -> web.Response:
        got = await self._admin_form(request)
        if isinstance(got, web.Response):
            return got
        session, form = got
        team_id = _one(form, "team_id").strip().lower()
        name = _one(form, "name").strip()
        if not _TEAM_ID.match(team_id) or not 2 <= len(name) <= 120:
            return self._refused(
                session,
                "Die Kennung besteht aus 2 bis 32 Kleinbuchstaben, Ziffern, Binde- oder "
                "Unterstrich und beginnt mit einem Buchstaben; der Name hat 2 bis 120 Zeichen.",
            )
        async with self.console.store.tx(self.console.clock()) as tx:
            try:
                created = await teams.create_team(tx, team_id, name)
            except TeamError as exc:
                return self._refused(session, _german(exc))
            await audit.record(tx, session.actor, "team.created", detail=f"team:{team_id}")
        return self._result(
            session,
            "Team angelegt",
            f"Das ist der Wiederherstellungsschlüssel des Teams {name}. Schreiben Sie ihn auf "
            "Papier und bewahren Sie ihn offline auf: Er wird nie wieder angezeigt, und ohne "
            "ihn sind die Fälle verloren, wenn alle Passwörter des Teams vergessen sind. "
            "Mit ihm nehmen Sie auch die ersten Mitglieder ins Team auf.",
            created.recovery_key,
        )

    async def post_member(self, request: web.Request) -> web.Response:
        got = await self._admin_form(request)
        if isinstance(got, web.Response):
            return got
        session, form = got
        team_id = request.match_info["team_id"]
        try:
            counsellor_id = int(_one(form, "counsellor"))
        except ValueError:
            return redirect("/console/office?notice=failed")
        async with self.console.store.tx(self.console.clock()) as tx:
            try:
                keys = await self._team_keys(tx, session, team_id, form)
                added = await teams.add_member(tx, team_id, counsellor_id, keys)
            except TeamError:
                return redirect("/console/office?notice=failed#teams-h")
            if added:
                await audit.record(
                    tx,
                    session.actor,
                    "team.member_added",
                    detail=f"team:{team_id} id:{counsellor_id}",
                )
        return redirect(f"/console/office?notice={'member' if added else 'already'}#teams-h")

    async def _team_keys(
        self, tx: Tx, session: ConsoleSession, team_id: str, form: Form
    ) -> dict[int, bytes]:
        """The team's private keys: the admin's own if a member, else from the recovery key."""
        if team_id in await teams.team_ids_of(tx, session.counsellor_id):
            return dict(session.keys.team_keys)
        recovery = _one(form, f"recovery-{team_id}") or _one(form, "recovery")
        if not recovery.strip():
            raise TeamError(
                f"Für das Team {team_id} wird sein Wiederherstellungsschlüssel gebraucht."
            )
        return await teams.unlock_with_recovery_key(tx, team_id, recovery.strip())


def _one(form: Form, key: str) -> str:
    values = form.get(key, [])
    return values[0] if len(values) == 1 else ""


def _german(exc: TeamError) -> str:
    text = str(exc)
    if "exists already" in text:
        return "Diesen Namen gibt es schon."
    if "recovery key" in text:
        return "Der Wiederherstellungsschlüssel gehört nicht zu diesem Team."
    if "does not exist" in text:
        return "Dieses Team gibt es nicht."
    return (
        text if text.startswith("Für das Team") else "Das ging nicht. Bitte prüfen Sie die Angaben."
    )


def add_office_routes(app: web.Application, console: Console) -> None:
    pages = OfficePages(console)
    r = app.router
    r.add_get("/console/office", pages.get_office)
    r.add_post("/console/office/invite", pages.post_invite)
    r.add_post(
        "/console/office/counsellors/{counsellor_id}/{action:deactivate|reset-second-factor}",
        pages.post_counsellor,
    )
    r.add_post("/console/office/teams", pages.post_team)
    r.add_post("/console/office/teams/{team_id}/members", pages.post_member)
