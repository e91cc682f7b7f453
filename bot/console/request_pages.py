"""Verwaltung → Anfragen von Betroffenen (admins): answer an access or deletion request
(DSGVO Art. 15, 17) for the one case whose case code the person gave the office.

The code is the person's proof and the only way in: it opens that case's key (Argon2id, as
when the person resumes), so the admin reads exactly this case and nothing else, whatever
teams they belong to. Access is a text file of the transcript in German; deletion
crypto-shreds the case like a deletion by the person. Both are audited with the case id,
never the code or any content; a code that fits no case is audited too.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from bot.console.auth import ConsoleSession
from bot.console.core import Console, first_value, redirect
from bot.conversation.history import History
from bot.ratelimit import KeyedLimiter
from bot.web import texts
from bot.web.export import export_text
from bot.web.pages import transcript
from storage import audit, cases
from storage.crypto import CryptoError

PATH: Final = "/console/office/requests"
NOTICES: Final = {
    "deleted": "Der Fall ist gelöscht: Alle Schlüssel und Inhalte sind vernichtet. Die Löschung "
    "steht im Protokoll.",
}


class RequestPages:
    def __init__(self, console: Console, office_name: str) -> None:
        self.console = console
        self.office_name = office_name
        self.tries = KeyedLimiter(capacity=10, rate=1 / 60, clock=console.clock.monotonic)
        """Codes per admin: each try costs Argon2id; 10, then one a minute."""

    async def _admin(self, request: web.Request) -> ConsoleSession | web.Response:
        return await self.console.require_admin(
            request, "Diese Seite ist der Administration vorbehalten."
        )

    def _page(
        self,
        session: ConsoleSession,
        *,
        error: str | None = None,
        status: int = 200,
        notice: str | None = None,
    ) -> web.Response:
        return self.console.page(
            "requests.html",
            status=status,
            title=("Fehler: " if error else "") + "Anfragen von Betroffenen",
            session=session,
            csrf=session.csrf,
            error=error,
            notice=notice,
        )

    async def get_requests(self, request: web.Request) -> web.Response:
        session = await self._admin(request)
        if isinstance(session, web.Response):
            return session
        return self._page(session, notice=NOTICES.get(request.query.get("notice", "")))

    async def post_request(self, request: web.Request) -> web.StreamResponse:
        session = await self._admin(request)
        if isinstance(session, web.Response):
            return session
        form = await self.console.form_for(request, session)
        if isinstance(form, web.Response):
            return form
        op = first_value(form, "op")
        code = first_value(form, "code")[:40]
        if op not in ("access", "delete"):
            return self._page(session, error="Bitte wählen Sie Auskunft oder Löschung.", status=400)
        if op == "delete" and first_value(form, "confirm") != "yes":
            return self._page(
                session,
                error="Bitte bestätigen Sie, dass der Fall gelöscht werden soll.",
                status=400,
            )
        if not self.tries.take(session.actor):
            return self._page(
                session, error="Zu viele Versuche. Bitte warten Sie eine Minute.", status=429
            )
        store, now = self.console.store, self.console.clock()
        tampered = False
        content = None
        # The code's Argon2id derivation outside any transaction and the export's decryption
        # in a read transaction: on SQLite nobody else's message waits for them. The write
        # transaction after them only audits and deletes.
        async with store.read(now) as tx:
            wraps = await cases.code_wraps(tx, code)
        found = await cases.open_with_code(wraps, store.kdf)
        if found is not None and op == "access":
            async with store.read(now) as tx:
                if await cases.opened_by(tx, *found, lock=False):  # not deleted meanwhile
                    try:
                        content = await cases.read(tx, found[0], found[1])
                    except CryptoError:
                        tampered = True
        pseudonym = None
        async with store.tx(now) as tx:
            if found is not None and not await cases.opened_by(tx, *found):
                # Deleted meanwhile (by the person, another admin, retention); on SQLite its
                # id may already be a new case's, which this code does not open.
                found, content, tampered = None, None, False
            if found is None:
                await audit.record(tx, session.actor, "request.code_not_found")
            else:
                case_id = found[0]
                if op == "delete":
                    pseudonym = await cases.pseudonym_of(tx, case_id)
                    await cases.delete_case(tx, case_id)
                    await audit.record(tx, session.actor, "case.deleted", case_id, "request")
                elif tampered:
                    await audit.record(tx, session.actor, "case.integrity_failed", case_id)
                else:
                    await audit.record(tx, session.actor, "case.access_request", case_id)
        if tampered:
            return self._page(
                session,
                error="Der Inhalt dieses Falls wurde in der Datenbank verändert (eine Zeile oder "
                "Antwort stammt nicht von diesem Dienst oder fehlt); er wird nicht ausgegeben. "
                "Bitte klären Sie das mit dem Betrieb; das Protokoll nennt den Fall.",
                status=500,
            )
        if found is None:
            return self._page(
                session,
                error="Zu diesem Fall-Code gibt es keinen Fall (mehr). Bitte prüfen Sie die "
                "Schreibweise; ein gelöschter Fall lässt sich nicht mehr finden.",
                status=404,
            )
        if op == "delete":
            if pseudonym is not None:  # Rasa's copy, once ours is gone
                await self.console.service.forget_in_driver([pseudonym])
            return redirect(f"{PATH}?notice=deleted")
        assert content is not None  # read above for an access request whose case was found
        t = texts.texts_for("de")
        lines, _ = transcript(History("closed", tuple(content.transcript), case_id), t)
        return web.Response(
            text=export_text(lines, t, self.office_name),
            content_type="text/plain",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="fall-{case_id}.txt"'},
        )


def add_request_routes(app: web.Application, console: Console, office_name: str) -> None:
    pages = RequestPages(console, office_name)
    app.router.add_get(PATH, pages.get_requests)
    app.router.add_post(PATH, pages.post_request)
