"""The audit log for admins at /console/audit: who did what to which case, and when.

Shows ids, account names and actions only: the log holds no content, and this page adds
none (case links lead to the case view, which checks the team as always). Newest first,
100 entries a page, paged by id; filters by case id and by actor. Plain GET links and one
GET form, so it works without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Final
from urllib.parse import urlencode

from aiohttp import web

from bot.console.core import Console
from storage import audit, teams

ADMIN: Final = "admin"

ACTIONS: Final = {
    "login.ok": "Anmeldung",
    "login.failed": "Anmeldung fehlgeschlagen",
    "login.locked": "Anmeldung abgelehnt: Konto gesperrt",
    "logout": "Abmeldung",
    "account.setup": "Konto eingerichtet",
    "audit.viewed": "Protokoll angesehen",
    "case.created": "Fall angelegt (Übergabe an das Team)",
    "case.viewed": "Fall geöffnet (entschlüsselt)",
    "case.file_viewed": "Vorschau einer Datei der Person angesehen (entschlüsselt)",
    "case.file_downloaded": "Datei der Person heruntergeladen (entschlüsselt)",
    "case.claimed": "Fall übernommen",
    "case.released": "Fall zurück in die Warteschlange",
    "case.replied": "Antwort an die Person geschrieben",
    "case.transferred": "Fall an ein anderes Team übergeben",
    "case.closed": "Fall abgeschlossen",
    "case.incident_corrected": "Datum des Vorfalls berichtigt",
    "case.deleted": "Fall gelöscht",
    "case.access_request": "Auskunft an die Person: Fall mit ihrem Fall-Code exportiert",
    "request.code_not_found": "Anfrage von Betroffenen: Fall-Code passt zu keinem Fall",
    "case.resumed": "Fall mit dem Fallcode wieder geöffnet",
    "case.code_replaced": "Fall-Code ersetzt",
    "case.integrity_failed": "Fall nicht lesbar: Prüfung fehlgeschlagen",
    "case.intake_completed": "Restliche Antworten im Fall ergänzt (nach sofortiger Übergabe)",
    "case.noted": "Interne Notiz geschrieben",
    "case.reopened": "Fall wieder geöffnet: die Person hat nach dem Abschluss geschrieben",
    "case.crisis": "Krise: Krisenwörter in einer Nachricht der Person an den Fall",
    "account.invited": "Konto eingeladen",
    "account.second_factor": "Zweiter Faktor eingerichtet",
    "account.second_factor_reset": "Zweiter Faktor zurückgesetzt",
    "account.deactivated": "Konto deaktiviert",
    "team.created": "Team angelegt",
    "team.member_added": "Mitglied zu einem Team hinzugefügt",
    "team.key_rotated": "Schlüssel eines Teams erneuert",
    "flow.draft_created": "Dialog-Entwurf angelegt",
    "flow.draft_saved": "Dialog-Entwurf gespeichert",
    "flow.draft_discarded": "Dialog-Entwurf verworfen",
    "flow.published": "Dialog veröffentlicht",
    "flow.rolled_back": "Dialog auf eine frühere Version zurückgesetzt",
    "flow.translation_imported": "Übersetzung eines Dialogs eingespielt",
    "ui.translation_imported": "Übersetzung der Texte des Dienstes eingespielt",
    "settings.changed": "Einstellung geändert",
    "settings.reset": "Einstellung zurückgesetzt",
    "statistics.exported": "Statistik exportiert",
    "contact.blocked": "Nachrichten einer Person als Missbrauch zurückgehalten",
    "contact.unblocked": "Zurückhalten der Nachrichten einer Person aufgehoben",
}
"""German labels; an action without one is shown by its raw name."""

ACTORS: Final = {
    "system": "System",
    "person": "Ratsuchende Person",
    "anonymous": "Unbekannt (Anmeldeversuch)",
}

DETAILS: Final = {
    "retention": "Aufbewahrungsfrist abgelaufen",
    "spam": "Grund: Spam oder sinnlose Nachrichten",
    "hate": "Grund: Hassnachrichten oder Drohungen gegen die Beratungsstelle",
    "other": "Grund: anderer Missbrauch",
}


@dataclass(frozen=True)
class Entry:
    """One line of the table, ready for the template."""

    id: int
    when: str
    when_iso: str
    who: str
    what: str
    case_id: int | None
    case_link: bool
    detail: str


def actor_label(actor: str, names: dict[str, str]) -> str:
    if actor in names:
        return names[actor]
    if actor in ACTORS:
        return ACTORS[actor]
    if actor.startswith("counsellor:"):
        return f"Konto {actor.removeprefix('counsellor:')} (entfernt)"
    return actor


def detail_label(detail: str, team_names: dict[str, str]) -> str:
    """Details are ids by design; known ones are spelled out, team ids become team names."""
    if detail in DETAILS:
        return DETAILS[detail]
    parts = []
    for part in detail.split():
        key, sep, value = part.partition("=")
        if sep and key in ("team", "from", "to") and value in team_names:
            label = {"team": "Team", "from": "von", "to": "an"}[key]
            parts.append(f"{label}: {team_names[value]}")
        else:
            parts.append(part)
    return " ".join(parts)


def _positive_int(raw: str | None) -> int | None:
    if raw is None or not raw.strip().isdigit():
        return None
    value = int(raw.strip())
    return value if 0 < value < 2**31 else None


class AuditView:
    def __init__(self, console: Console, timezone: tzinfo) -> None:
        self.console = console
        self.timezone = timezone

    async def get(self, request: web.Request) -> web.Response:
        console = self.console
        session = await console.require_admin(
            request, "Das Protokoll sehen nur Administratorinnen und Administratoren."
        )
        if isinstance(session, web.Response):
            return session
        raw_case = request.query.get("case", "").strip()
        case_id = _positive_int(raw_case)
        actor = request.query.get("actor", "").strip()[:64]
        before = _positive_int(request.query.get("before"))
        error = None
        if raw_case and case_id is None:
            error = "Die Fallnummer ist eine Zahl, z. B. 42. Der Filter wurde nicht angewandt."
        async with console.store.tx(console.clock()) as tx:
            found = await audit.page(tx, before=before, case_id=case_id, actor=actor or None)
            names = await audit.actor_names(tx)
            team_names = await teams.team_names(tx)
            own_teams = set(await teams.team_ids_of(tx, session.counsellor_id))
            # Reading the log is itself a sensitive act: it shows who worked on which case.
            await audit.record(tx, session.actor, "audit.viewed")
        rows = [
            Entry(
                r.id,
                r.at.astimezone(self.timezone).strftime("%d.%m.%Y %H:%M:%S"),
                r.at.isoformat(),
                actor_label(r.actor, names),
                ACTIONS.get(r.action, r.action),
                r.case_id,
                r.case_team is not None and r.case_team in own_teams,
                detail_label(r.detail, team_names),
            )
            for r in found.rows
        ]
        filters = {k: v for k, v in (("case", str(case_id or "")), ("actor", actor)) if v}
        older = None
        if found.older is not None:
            older = "/console/audit?" + urlencode({**filters, "before": found.older})
        newest = "/console/audit" + ("?" + urlencode(filters) if filters else "")
        actor_options = [(a, ACTORS[a]) for a in ACTORS]
        actor_options += sorted(names.items(), key=lambda item: item[1].lower())
        return console.page(
            "audit.html",
            status=400 if error else 200,
            title="Protokoll",
            session=session,
            csrf=session.csrf,
            rows=rows,
            error=error,
            case_filter=raw_case if error else (str(case_id) if case_id else ""),
            actor_filter=actor,
            actor_options=actor_options,
            filtered=bool(filters),
            paged=before is not None,
            older=older,
            newest=newest,
        )


def add_audit_route(app: web.Application, console: Console, timezone: tzinfo) -> None:
    app.router.add_get("/console/audit", AuditView(console, timezone).get, name="console-audit")
