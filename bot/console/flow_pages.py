"""The admins' flow editor at /console/flows: drafts, validation, diagram, preview, versions.

Admins only: a counsellor gets 403, a request without a session the login (GET) or 403
(POST), like every console page. Every form carries the session's CSRF token.

- A flow has at most one **draft** (storage.flow_drafts). Saving names the revision the admin
  started from; when someone else saved in between the save is refused and the admin's text
  stays in the form (never a silent overwrite).
- Every draft is checked with the same reader and validator as `anlaufstelle flows validate`
  (`dialogs.loader.check_flow`); errors are shown with line:column in the YAML view and,
  through `dialogs.locate`, beside the node and field in the structured view. An invalid draft
  can be saved but never published: publishing re-checks on the server, and also checks that
  every team it hands over to exists (`bot.conversation.flows.check_teams`).
- **Publishing** stores the draft as the next numbered, immutable version with the admin's
  name, the time and a change note. New conversations start on it; running ones keep the
  version they started on (conversations store their `flow_version_id`). **Rollback**
  publishes an earlier version's text again, as a new number.
- The **preview** plays the draft in the chat page on a channel of its own, with every
  handover replaced by an end that says what would happen (see `preview_flow`), so nothing
  from a preview reaches a team's queue or the statistics.

Audit (ids only): draft created/saved/discarded, published, rolled back.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web
from markupsafe import Markup

from bot.console import flow_form
from bot.console.auth import ConsoleSession, tokens_match
from bot.console.core import Console, redirect
from bot.console.flow_diff import counts, diff_rows
from bot.console.flow_messages import german, unknown_team
from bot.console.flow_node_diff import node_changes
from bot.console.language_names import language_name
from bot.conversation import case_texts
from bot.conversation.flows import UnknownTeam, check_teams
from bot.web import texts
from bot.web.pages import BadForm, FormTooLarge, read_form
from bot.web.render import Problem
from dialogs import diagram_svg, translations
from dialogs.errors import FlowError
from dialogs.loader import check_flow
from dialogs.locate import Located, locate
from dialogs.model import EndNode, Flow, HandoverNode
from storage import audit, flow_drafts
from storage import flows as flow_versions
from storage.flow_drafts import FlowDraftRef
from storage.records import FlowVersionRef
from storage.store import Tx

FLOW_ID: Final = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_SOURCE_FORM: Final = 2 * 1024 * 1024
"""A flow's YAML, percent-encoded, is far larger than a chat message: the intake is ~40 KB."""
MAX_NOTE: Final = 500

NOTICES: Final = {
    "created": "Der Entwurf ist angelegt.",
    "saved": "Der Entwurf ist gespeichert.",
    "discarded": "Der Entwurf ist verworfen.",
    "published": "Die neue Version ist veröffentlicht. Neue Gespräche beginnen mit ihr.",
    "rolled_back": "Die frühere Version ist als neue Version veröffentlicht.",
    "unconfirmed": Problem("Nichts geändert: Bitte bestätigen Sie die Rückkehr mit dem Häkchen."),
    "keep": Problem(
        "Nichts verworfen: Bitte bestätigen Sie mit dem Häkchen, dass der Entwurf verloren "
        "gehen soll."
    ),
    "exists": Problem(
        "Es gibt schon einen Entwurf. Bearbeiten Sie diesen oder verwerfen Sie ihn zuerst."
    ),
    "gone": Problem("Der Entwurf ist nicht mehr da: jemand hat ihn veröffentlicht oder verworfen."),
}
CONFLICT: Final = (
    "Jemand anderes hat diesen Entwurf inzwischen gespeichert ({who}, {when}). Ihre Änderungen "
    "sind NICHT gespeichert; sie stehen unten im Feld. Sichern Sie Ihren Text, laden Sie den "
    "neuen Stand und übertragen Sie Ihre Änderungen."
)
DIAGRAM_LABELS: Final = {
    "unreachable": "nicht erreichbar",
    "dead_end": "Sackgasse",
    "missing": "fehlt",
    "start": "Start",
    "title": "Diagramm des Dialogs {flow}",
    "desc": "{nodes} Knoten, {edges} Übergänge, Start bei {start}. {problems}",
    "no_problems": "Jeder Knoten ist erreichbar und führt zu einer Übergabe oder einem Ende.",
    "problems": (
        "Nicht erreichbar: {unreachable}. Sackgassen: {dead_ends}. Fehlende Knoten: {missing}."
    ),
    "none": "keine",
}
PREVIEW_NOTE: Final = (
    "(Vorschau: hier würde der Fall an das Team „{team}“ übergeben. "
    "In der Vorschau wird kein Fall angelegt.)"
)
PREVIEW_CODE: Final = "VORS-CHAU-0000"
BAD_NODE_FORM: Final = "Das Formular passt nicht zu diesem Knoten. Bitte laden Sie die Seite neu."


@dataclass(frozen=True)
class ErrorView:
    line: int
    column: int
    message: str
    node_index: int | None
    node_id: str | None
    field: str

    @property
    def where(self) -> str:
        if self.node_index is None:
            return f"Feld {self.field}" if self.field else "Ablauf"
        name = self.node_id or f"nodes[{self.node_index}]"
        return f"Knoten {name}" + (f", Feld {self.field}" if self.field else "")


@dataclass(frozen=True)
class Checked:
    """A source with what the validator says about it."""

    flow: Flow | None
    errors: list[ErrorView]

    @property
    def ok(self) -> bool:
        return self.flow is not None and not self.errors


def check(source: str, flow_id: str) -> Checked:
    flow, errors = check_flow(source, f"{flow_id}.yaml")
    return Checked(flow, [_error_view(x) for x in locate(source, f"{flow_id}.yaml", errors)])


_CHECKED: OrderedDict[tuple[str, str], Checked] = OrderedDict()
_CHECKED_KEPT: Final = 16


async def checked_source(source: str, flow_id: str) -> Checked:
    """`check`, on a worker thread and kept for the last few texts: validating the shipped
    intake takes a third of a second, which on the event loop every person connected to
    this process would wait for, at every view of a draft or version page."""
    key = (flow_id, hashlib.sha256(source.encode()).hexdigest())
    found = _CHECKED.get(key)
    if found is None:
        found = await asyncio.to_thread(check, source, flow_id)
        _CHECKED[key] = found
        while len(_CHECKED) > _CHECKED_KEPT:
            _CHECKED.popitem(last=False)
    _CHECKED.move_to_end(key)
    return found


def _error_view(located: Located) -> ErrorView:
    e: FlowError = located.error
    return ErrorView(
        e.line, e.column, german(e), located.node_index, located.node_id, located.field
    )


STATE_WORDS: Final = {
    translations.Status.MISSING: "fehlt",
    translations.Status.OUTDATED: "veraltet",
    translations.Status.UNREVIEWED: "nicht geprüft",
}


def _text_states(
    flow: Flow | None, node: dict[str, Any], form: flow_form.NodeForm
) -> dict[str, dict[str, str]]:
    """Field path -> language -> what is wrong with that translation ("veraltet" after the
    source text changed), as the translations table says it; empty where all is well."""
    if flow is None:
        return {}
    by_id = {e.id: e for e in translations.entries(flow)}
    states: dict[str, dict[str, str]] = {}
    for field in form.texts:
        entry = by_id.get(flow_form.text_id(node, field.path))
        if entry is None:
            continue
        for lang in translations.translated_languages(flow):
            word = STATE_WORDS.get(translations.status(flow, entry, lang))
            if word:
                states.setdefault(field.path, {})[lang] = word
    return states


@dataclass(frozen=True)
class GapWarning:
    """What the publish step says when translations are outdated or missing."""

    summary: str
    languages: list[str]
    """One line per language: "Türkisch: 3 veraltet, 1 fehlt"."""


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def gap_warning(flow: Flow | None) -> GapWarning | None:
    """None when every translation of `flow` is up to date and present."""
    if flow is None:
        return None
    found = translations.gaps(flow)
    if not found:
        return None
    outdated = any(c[translations.Status.OUTDATED] for c in found.languages.values())
    missing = any(c[translations.Status.MISSING] for c in found.languages.values())
    verb_many = (
        "sind veraltet oder fehlen"
        if outdated and missing
        else ("sind veraltet" if outdated else "fehlen")
    )
    verb_one = (
        "ist veraltet oder fehlt"
        if outdated and missing
        else ("ist veraltet" if outdated else "fehlt")
    )
    verb = verb_one if found.texts == 1 else verb_many
    default = language_name(flow.default_language)
    see = []
    if outdated:
        see.append("den alten Text, der nicht mehr zum neuen passt (veraltet)")
    if missing:
        see.append(f"den Text auf {default} (fehlt)")
    summary = (
        f"{_n(found.texts, 'Text', 'Texte')} in "
        f"{_n(len(found.languages), 'Sprache', 'Sprachen')} {verb}. "
        f"Personen in diesen Sprachen sehen nach dem Veröffentlichen {' oder '.join(see)}."
    )
    lines = []
    for lang, per in found.languages.items():
        old, absent = per[translations.Status.OUTDATED], per[translations.Status.MISSING]
        parts = [f"{old} veraltet"] if old else []
        if absent:
            parts.append(f"{absent} {'fehlt' if absent == 1 else 'fehlen'}")
        lines.append(f"{language_name(lang)}: {', '.join(parts)}")
    return GapWarning(summary, lines)


def preview_langs(checked: Checked) -> list[tuple[str, str]]:
    """The draft's languages that the chat page offers, for the preview links, by their
    German names like every language in the console ("Englisch", not "English")."""
    return [
        (lang, language_name(lang))
        for lang in (checked.flow.languages if checked.flow else [])
        if texts.is_language(lang)
    ]


def preview_flow(flow: Flow) -> Flow:
    """The flow with every handover turned into an end that says it is a preview.

    The conversation service stays the one that decides what happens; it simply never meets a
    handover in a preview, so it cannot create a case (no queue entry, no statistics)."""
    nodes: list[Any] = []
    for node in flow.nodes:
        if isinstance(node, HandoverNode):
            note = PREVIEW_NOTE.format(team=node.team.default)
            text = {lang: f"{_preview_text(value)}\n\n{note}" for lang, value in node.text.items()}
            nodes.append(EndNode(id=node.id, kind="end", text=text))
        else:
            nodes.append(node)
    return flow.model_copy(update={"nodes": nodes})


@dataclass(frozen=True)
class FieldError:
    """An error shown beside a field of the node editor, with the id its input names in
    aria-describedby; `lang` is the language it concerns (None: the whole field)."""

    id: str
    error: ErrorView
    lang: str | None


def field_slug(path: str) -> str:
    return path.replace("[", "-").replace("]", "").replace(".", "-")


def _field_errors(errors: list[ErrorView], paths: list[str]) -> dict[str, list[FieldError]]:
    """Field path -> the errors shown beside it (each error beside the first path it is in)."""
    out: dict[str, list[FieldError]] = {}
    for e in errors:
        path = next((p for p in paths if _within(e.field, p)), None)
        if path is None:
            continue
        found = out.setdefault(path, [])
        rest = e.field[len(path) + 1 :] if e.field != path else ""
        lang = rest if rest and "." not in rest and "[" not in rest else None
        found.append(FieldError(f"err-{field_slug(path)}-{len(found) + 1}", e, lang))
    return out


def _within(field: str, path: str) -> bool:
    return field == path or field.startswith((path + ".", path + "["))


def _version_label(v: FlowVersionRef) -> str:
    return f"Version {v.number}" if v.number is not None else "Entwurf"


class FlowPages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.store = console.store

    # ------------------------------------------------------------ plumbing

    async def admin(self, request: web.Request) -> ConsoleSession | web.Response:
        return await self.console.require_admin(
            request, "Den Dialog-Editor können nur Admins öffnen."
        )

    @staticmethod
    def flow_id(request: web.Request) -> str:
        flow_id = request.match_info["flow_id"]
        if not FLOW_ID.match(flow_id):
            raise web.HTTPNotFound()
        return flow_id

    async def _form(
        self, request: web.Request, session: ConsoleSession
    ) -> dict[str, list[str]] | web.Response:
        """The posted form (up to MAX_SOURCE_FORM bytes) once its CSRF token matched."""
        try:
            form = await read_form(request, MAX_SOURCE_FORM)
        except FormTooLarge:
            return self.console.forbidden("Der Text ist zu groß.")
        except BadForm:
            return self.console.forbidden(
                "Das Formular war ungültig. Bitte laden Sie die Seite neu."
            )
        given = form.get("csrf", [""])
        if len(given) != 1 or not tokens_match(session.csrf, given[0]):
            return self.console.forbidden(
                "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu."
            )
        return form

    def _page(
        self, template: str, session: ConsoleSession, status: int = 200, **ctx: Any
    ) -> web.Response:
        return self.console.page(
            f"flows/{template}", status=status, session=session, csrf=session.csrf, **ctx
        )

    @staticmethod
    def _one(form: dict[str, list[str]], key: str) -> str:
        values = form.get(key, [])
        return values[0] if len(values) == 1 else ""

    # ------------------------------------------------------------ list and overview

    async def get_index(self, request: web.Request) -> web.Response:
        session = await self.admin(request)
        if isinstance(session, web.Response):
            return session
        async with self.store.read(self.console.clock()) as tx:
            ids = await flow_versions.flow_ids(tx)
            drafts = {d.flow_id: d for d in await flow_drafts.all_drafts(tx)}
            rows = []
            for flow_id in sorted(set(ids) | set(drafts)):
                rows.append(
                    (flow_id, await flow_versions.current(tx, flow_id), drafts.get(flow_id))
                )
        return self._page("index.html", session, title="Dialoge", rows=rows)

    async def get_flow(self, request: web.Request) -> web.Response:
        session = await self.admin(request)
        if isinstance(session, web.Response):
            return session
        flow_id = self.flow_id(request)
        async with self.store.read(self.console.clock()) as tx:
            versions = await flow_versions.versions(tx, flow_id)
            draft = await flow_drafts.get(tx, flow_id)
        if not versions and draft is None:
            raise web.HTTPNotFound()
        checked = await checked_source(draft.source, flow_id) if draft else None
        return self._page(
            "flow.html",
            session,
            title=f"Dialog {flow_id}",
            flow_id=flow_id,
            versions=versions,
            draft=draft,
            checked=checked,
            preview_langs=preview_langs(checked) if checked else [],
            gaps=gap_warning(checked.flow) if checked else None,
            notice=NOTICES.get(request.query.get("notice", "")),
            error=None,
        )

    # ------------------------------------------------------------ drafts

    async def post_new_draft(self, request: web.Request) -> web.Response:
        """Start the draft from the current version (or from the number posted as `from`)."""
        session = await self.admin(request)
        if isinstance(session, web.Response):
            return session
        flow_id = self.flow_id(request)
        form = await self._form(request, session)
        if isinstance(form, web.Response):
            return form
        number = self._one(form, "from")
        async with self.store.tx(self.console.clock()) as tx:
            if number.isdigit():
                base = await flow_versions.by_number(tx, flow_id, int(number))
            else:
                base = await flow_versions.current(tx, flow_id)
            if base is None:
                raise web.HTTPNotFound()
            made = await flow_drafts.create(
                tx, flow_id, base.source, base.id, session.keys.username
            )
            if made is None:
                return redirect(f"/console/flows/{flow_id}/draft?notice=exists")
            await audit.record(tx, session.actor, "flow.draft_created", None, f"flow={flow_id}")
        return redirect(f"/console/flows/{flow_id}/draft?notice=created")

    async def get_draft(self, request: web.Request) -> web.Response:
        session = await self.admin(request)
        if isinstance(session, web.Response):
            return session
        flow_id = self.flow_id(request)
        async with self.store.read(self.console.clock()) as tx:
            draft = await flow_drafts.get(tx, flow_id)
        if draft is None:
            return redirect(f"/console/flows/{flow_id}?notice=gone")
        return await self._draft_page(
            session, flow_id, draft, draft.source, NOTICES.get(request.query.get("notice", ""))
        )

    async def _draft_page(
        self,
        session: ConsoleSession,
        flow_id: str,
        draft: FlowDraftRef,
        source: str,
        notice: str | None,
        *,
        conflict: str | None = None,
        theirs: FlowDraftRef | None = None,
        status: int = 200,
        publish_error: str | None = None,
        note: str = "",
    ) -> web.Response:
        checked = await checked_source(source, flow_id)
        rows = diff_rows(theirs.source, source) if theirs is not None else []
        return self._page(
            "draft.html",
            session,
            status=status,
            title=("Fehler: " if conflict or publish_error else "") + f"Entwurf {flow_id}",
            flow_id=flow_id,
            draft=draft,
            source=source,
            checked=checked,
            notice=notice,
            conflict=conflict,
            publish_error=publish_error,
            conflict_rows=rows,
            note=note,
            lines=source.splitlines(),
            preview_langs=preview_langs(checked),
            gaps=gap_warning(checked.flow),
        )

    async def post_save(self, request: web.Request) -> web.Response:
        session = await self.admin(request)
        if isinstance(session, web.Response):
            return session
        flow_id = self.flow_id(request)
        form = await self._form(request, session)
        if isinstance(form, web.Response):
            return form
        source = self._one(form, "source").replace("\r\n", "\n")
        return await self._save(session, flow_id, form, source, f"/console/flows/{flow_id}/draft")

    async def _save(
        self,
        session: ConsoleSession,
        flow_id: str,
        form: dict[str, list[str]],
        source: str,
        back: str,
    ) -> web.Response:
        seen = self._one(form, "revision")
        if not seen.isdigit():
            return self.console.forbidden(
                "Das Formular war ungültig. Bitte laden Sie die Seite neu."
            )
        async with self.store.tx(self.console.clock()) as tx:
            saved = await flow_drafts.save(tx, flow_id, source, int(seen), session.keys.username)
            if saved is not None:
                await audit.record(
                    tx,
                    session.actor,
                    "flow.draft_saved",
                    None,
                    f"flow={flow_id} revision={saved.revision}",
                )
            current = await flow_drafts.get(tx, flow_id) if saved is None else saved
        if saved is not None:
            return redirect(f"{back}?notice=saved")
        if current is None:
            return redirect(f"/console/flows/{flow_id}?notice=gone")
        message = CONFLICT.format(
            who=current.updated_by, when=current.updated_at.strftime("%d.%m.%Y %H:%M UTC")
        )
        # The admin keeps their text and the revision they started from; the page shows what
        # the other save changed against it, so nothing is lost and nothing is overwritten.
        stale = FlowDraftRef(
            flow_id,
            source,
            current.base_version_id,
            int(seen),
            session.keys.username,
            current.updated_at,
        )
        return await self._draft_page(
            session, flow_id, stale, source, None, conflict=message, theirs=current, status=409
        )

    async def post_discard(self, request: web.Request) -> web.Response:
        session = await self.admin(request)
        if isinstance(session, web.Response):
            return session
        flow_id = self.flow_id(request)
        form = await self._form(request, session)
        if isinstance(form, web.Response):
            return form
        seen = self._one(form, "revision")
        if self._one(form, "confirm") != "yes":
            # The required checkbox stops a browser; this stops the rest.
            return redirect(f"/console/flows/{flow_id}/draft?notice=keep#discard")
        async with self.store.tx(self.console.clock()) as tx:
            done = seen.isdigit() and await flow_drafts.remove(tx, flow_id, int(seen))
            if done:
                await audit.record(
                    tx, session.actor, "flow.draft_discarded", None, f"flow={flow_id}"
                )
        return redirect(f"/console/flows/{flow_id}?notice={'discarded' if done else 'gone'}")

    # ------------------------------------------------------------ publish and rollback

    async def post_publish(self, request: web.Request) -> web.Response:
        session = await self.admin(request)
        if isinstance(session, web.Response):
            return session
        flow_id = self.flow_id(request)
        form = await self._form(request, session)
        if isinstance(form, web.Response):
            return form
        seen = self._one(form, "revision")
        note = self._one(form, "note").strip()
        # The draft is validated (a third of a second for the shipped intake) in a read
        # transaction: on SQLite nobody's message waits for it. The write transaction
        # publishes it only if it is still the draft that was validated.
        async with self.store.read(self.console.clock()) as tx:
            draft = await flow_drafts.get(tx, flow_id)
            if draft is None:
                return redirect(f"/console/flows/{flow_id}?notice=gone")
            problem, flow = await self._publish_problem(tx, flow_id, draft.source, note)
        gaps = gap_warning(flow) if problem is None else None
        if gaps is not None and self._one(form, "outdated_ok") != "yes":
            problem = (
                f"{gaps.summary} Bitte bestätigen Sie mit dem Häkchen, dass Sie trotzdem "
                "veröffentlichen wollen, oder aktualisieren Sie zuerst die Übersetzungen."
            )
        if problem is None and (not seen.isdigit() or int(seen) != draft.revision):
            problem = CONFLICT.format(
                who=draft.updated_by, when=draft.updated_at.strftime("%d.%m.%Y %H:%M UTC")
            )
        if problem is None:
            async with self.store.tx(self.console.clock()) as tx:
                if await flow_drafts.remove(tx, flow_id, draft.revision):
                    version = await flow_versions.publish(
                        tx, flow_id, draft.source, session.keys.username, note[:MAX_NOTE]
                    )
                    await audit.record(
                        tx,
                        session.actor,
                        "flow.published",
                        None,
                        f"flow={flow_id} version={version.number}",
                    )
                else:
                    version = None
            if version is not None:
                self._parsed(version.id, flow)
                return redirect(f"/console/flows/{flow_id}?notice=published#versions")
        return await self._draft_page(
            session,
            flow_id,
            draft,
            draft.source,
            None,
            status=409,
            publish_error=problem or "Der Entwurf wurde inzwischen geändert.",
            note=note,
        )

    def _parsed(self, version_id: int, flow: Flow | None) -> None:
        """The service's flows know the new version already: its first conversation need
        not parse it again inside its write transaction."""
        if flow is not None:
            self.console.service.catalog.remember(version_id, flow)

    async def _publish_problem(
        self, tx: Tx, flow_id: str, source: str, note: str
    ) -> tuple[str | None, Flow | None]:
        """Why `source` cannot be published now (None: it can), and the flow it makes."""
        if not note:
            return "Bitte beschreiben Sie die Änderung in einer Notiz.", None
        checked = await checked_source(source, flow_id)
        if not checked.ok or checked.flow is None:
            n = len(checked.errors)
            return (
                f"Der Entwurf hat {n} Fehler und kann nicht "
                "veröffentlicht werden. Er bleibt als Entwurf gespeichert."
            ), None
        if checked.flow.id != flow_id:
            return (
                f"Die id im Text ({checked.flow.id}) ist nicht die dieses Dialogs ({flow_id}).",
                None,
            )
        try:
            await check_teams(tx, checked.flow)
        except UnknownTeam as exc:
            return unknown_team(exc), None
        return None, checked.flow

    async def post_rollback(self, request: web.Request) -> web.Response:
        session = await self.admin(request)
        if isinstance(session, web.Response):
            return session
        flow_id = self.flow_id(request)
        form = await self._form(request, session)
        if isinstance(form, web.Response):
            return form
        try:
            number = int(request.match_info["number"])
        except ValueError:
            raise web.HTTPNotFound() from None
        if self._one(form, "confirm") != "yes":
            # The required checkbox stops a browser without JavaScript; this stops the rest.
            return redirect(f"/console/flows/{flow_id}?notice=unconfirmed#versions")
        extra = self._one(form, "note").strip()
        note = f"Rückkehr zu Version {number}" + (f": {extra}" if extra else "")
        # Validated in a read transaction, as a draft is (see `post_publish`); a version
        # never changes, so nothing can come between.
        async with self.store.read(self.console.clock()) as tx:
            old = await flow_versions.by_number(tx, flow_id, number)
            if old is None:
                raise web.HTTPNotFound()
            problem, flow = await self._publish_problem(tx, flow_id, old.source, note)
        if problem is None:
            async with self.store.tx(self.console.clock()) as tx:
                version = await flow_versions.publish(
                    tx, flow_id, old.source, session.keys.username, note[:MAX_NOTE]
                )
                await audit.record(
                    tx,
                    session.actor,
                    "flow.rolled_back",
                    None,
                    f"flow={flow_id} from={number} version={version.number}",
                )
            self._parsed(version.id, flow)
            return redirect(f"/console/flows/{flow_id}?notice=rolled_back#versions")
        async with self.store.read(self.console.clock()) as tx:
            versions = await flow_versions.versions(tx, flow_id)
            draft = await flow_drafts.get(tx, flow_id)
        checked = await checked_source(draft.source, flow_id) if draft else None
        return self._page(
            "flow.html",
            session,
            status=409,
            title=f"Fehler: Dialog {flow_id}",
            flow_id=flow_id,
            versions=versions,
            draft=draft,
            checked=checked,
            preview_langs=preview_langs(checked) if checked else [],
            gaps=gap_warning(checked.flow) if checked else None,
            notice=None,
            error=problem,
        )

    # ------------------------------------------------------------ diff

    async def get_diff(self, request: web.Request) -> web.Response:
        session = await self.admin(request)
        if isinstance(session, web.Response):
            return session
        flow_id = self.flow_id(request)
        async with self.store.read(self.console.clock()) as tx:
            versions = await flow_versions.versions(tx, flow_id)
            draft = await flow_drafts.get(tx, flow_id)
        sources: dict[str, tuple[str, str]] = {
            str(v.number): (_version_label(v), v.source) for v in versions
        }
        if draft is not None:
            sources["draft"] = (f"Entwurf (Revision {draft.revision})", draft.source)
        if not sources:
            raise web.HTTPNotFound()
        keys = list(sources)
        new = request.query.get("to") or keys[0]
        old = request.query.get("from") or (keys[1] if len(keys) > 1 else keys[0])
        if old not in sources or new not in sources:
            raise web.HTTPNotFound()
        rows = diff_rows(sources[old][1], sources[new][1])
        added, removed = counts(rows)
        by_node = node_changes(sources[old][1], sources[new][1])
        return self._page(
            "diff.html",
            session,
            title=f"Unterschiede {flow_id}",
            flow_id=flow_id,
            choices=[(k, label) for k, (label, _) in sources.items()],
            old=old,
            new=new,
            old_label=sources[old][0],
            new_label=sources[new][0],
            rows=rows,
            added=added,
            removed=removed,
            by_node=by_node,
        )

    # ------------------------------------------------------------ diagram

    async def get_diagram(self, request: web.Request) -> web.Response:
        session = await self.admin(request)
        if isinstance(session, web.Response):
            return session
        flow_id = self.flow_id(request)
        which = request.query.get("version", "draft")
        async with self.store.read(self.console.clock()) as tx:
            versions = await flow_versions.versions(tx, flow_id)
            draft = await flow_drafts.get(tx, flow_id)
        if which == "draft" and draft is not None:
            source, label = draft.source, f"Entwurf (Revision {draft.revision})"
        else:
            found = [v for v in versions if str(v.number) == which] or versions[:1]
            if not found:
                raise web.HTTPNotFound()
            which, source, label = str(found[0].number), found[0].source, _version_label(found[0])
        checked = await checked_source(source, flow_id)
        flow = checked.flow
        lang = request.query.get("lang", "")
        if flow is not None and lang not in flow.languages:
            lang = flow.default_language
        drawing = diagram_svg.svg(flow, lang, labels=DIAGRAM_LABELS) if flow else None
        outline = diagram_svg.outline(flow, lang) if flow else []
        return self._page(
            "diagram.html",
            session,
            title=f"Diagramm {flow_id}",
            flow_id=flow_id,
            which=which,
            label=label,
            lang=lang,
            flow=flow,
            checked=checked,
            # Our own SVG: every text in it went through xml escaping in diagram_svg.
            drawing=Markup(drawing) if drawing else None,  # noqa: S704
            outline=outline,
            versions=versions,
            draft=draft,
        )

    # ------------------------------------------------------------ structured editor

    async def get_nodes(self, request: web.Request) -> web.Response:
        session = await self.admin(request)
        if isinstance(session, web.Response):
            return session
        flow_id = self.flow_id(request)
        async with self.store.read(self.console.clock()) as tx:
            draft = await flow_drafts.get(tx, flow_id)
        if draft is None:
            return redirect(f"/console/flows/{flow_id}?notice=gone")
        checked = await checked_source(draft.source, flow_id)
        try:
            data = flow_form.load(draft.source)
        except flow_form.NotEditable:
            data = None
        nodes = []
        if data is not None:
            for i, node in enumerate(data["nodes"]):
                node_id = (
                    str(node.get("id", f"nodes[{i}]")) if isinstance(node, dict) else f"nodes[{i}]"
                )
                kind = str(node.get("kind", "")) if isinstance(node, dict) else ""
                nodes.append((i, node_id, kind, [e for e in checked.errors if e.node_index == i]))
        return self._page(
            "nodes.html",
            session,
            title=f"Knoten {flow_id}",
            flow_id=flow_id,
            draft=draft,
            nodes=nodes,
            editable=data is not None,
            checked=checked,
            flow_errors=[e for e in checked.errors if e.node_index is None],
            notice=NOTICES.get(request.query.get("notice", "")),
            preview_langs=preview_langs(checked),
            gaps=gap_warning(checked.flow),
            kind_names=flow_form.KIND_NAMES,
        )

    async def get_node(self, request: web.Request) -> web.Response:
        session = await self.admin(request)
        if isinstance(session, web.Response):
            return session
        return await self._node_page(request, session, None, None)

    async def _node_page(
        self,
        request: web.Request,
        session: ConsoleSession,
        override: tuple[str, FlowDraftRef] | None,
        conflict: str | None,
        status: int = 200,
        form_error: str | None = None,
    ) -> web.Response:
        flow_id = self.flow_id(request)
        try:
            index = int(request.match_info["index"])
        except ValueError:
            raise web.HTTPNotFound() from None
        async with self.store.read(self.console.clock()) as tx:
            draft = await flow_drafts.get(tx, flow_id)
        if draft is None:
            return redirect(f"/console/flows/{flow_id}?notice=gone")
        source, shown = (override[0], override[1]) if override else (draft.source, draft)
        try:
            data = flow_form.load(source)
            if not 0 <= index < len(data["nodes"]):
                raise web.HTTPNotFound()
            node = flow_form.node_form(data, index)
        except flow_form.NotEditable:
            return redirect(f"/console/flows/{flow_id}/draft")
        checked = await checked_source(source, flow_id)
        states = _text_states(checked.flow, data["nodes"][index], node)
        errors = [e for e in checked.errors if e.node_index == index]
        paths = [f.path for f in node.texts] + [f.path for f in node.nexts]
        paths += [f.path for f in node.conditions]
        other = [e for e in errors if not any(_within(e.field, p) for p in paths)]
        node_ids = [str(n.get("id")) for n in data["nodes"] if isinstance(n, dict) and n.get("id")]
        store_keys = sorted(
            {
                str(n.get("store") or n.get("id"))
                for n in data["nodes"]
                if isinstance(n, dict)
                and n.get("kind") not in ("message", "branch", "handover", "end")
            }
        )
        notice = NOTICES.get(request.query.get("notice", ""))
        # Saved, but this node has errors: said as an error (role=alert, the first faulty
        # field focused), never as the green "gespeichert" alone.
        saved_with_errors = notice == NOTICES["saved"] and bool(errors) and override is None
        if saved_with_errors:
            notice = None
        shown_errors = _field_errors(errors, paths)
        # The first faulty input (a text or a "Weiter zu") gets the focus after such a save.
        focus_id = next(
            (
                shown_errors[p][0].id
                for p in [f.path for f in node.texts] + [f.path for f in node.nexts]
                if p in shown_errors
            ),
            None,
        )
        return self._page(
            "node.html",
            session,
            status=status,
            title=("Fehler: " if conflict or form_error or saved_with_errors else "")
            + f"Knoten {node.node_id}",
            flow_id=flow_id,
            draft=shown,
            node=node,
            kind_name=flow_form.KIND_NAMES.get(node.kind, node.kind),
            field_errors=shown_errors,
            focus_id=focus_id,
            saved_with_errors=saved_with_errors,
            checked=checked,
            preview_langs=preview_langs(checked),
            gaps=gap_warning(checked.flow),
            states=states,
            errors=errors,
            other=other,
            node_ids=node_ids,
            store_keys=store_keys,
            operators=flow_form.OPERATORS,
            conflict=conflict,
            form_error=form_error,
            notice=notice,
        )

    async def post_node(self, request: web.Request) -> web.Response:
        session = await self.admin(request)
        if isinstance(session, web.Response):
            return session
        flow_id = self.flow_id(request)
        form = await self._form(request, session)
        if isinstance(form, web.Response):
            return form
        index = int(request.match_info["index"])
        async with self.store.read(self.console.clock()) as tx:
            draft = await flow_drafts.get(tx, flow_id)
        if draft is None:
            return redirect(f"/console/flows/{flow_id}?notice=gone")
        seen = self._one(form, "revision")
        if not seen.isdigit() or int(seen) != draft.revision:
            # Somebody saved after this form was loaded: apply nothing, say so.
            message = CONFLICT.format(
                who=draft.updated_by, when=draft.updated_at.strftime("%d.%m.%Y %H:%M UTC")
            )
            return await self._node_page(request, session, None, message, status=409)
        try:
            data = flow_form.load(draft.source)
            if not 0 <= index < len(data["nodes"]):
                raise web.HTTPNotFound()
            flow_form.apply_node_form(data, index, form)
        except (flow_form.NotEditable, ValueError, KeyError, IndexError, TypeError):
            return await self._node_page(
                request,
                session,
                None,
                None,
                status=400,
                form_error=BAD_NODE_FORM,
            )
        return await self._save(
            session,
            flow_id,
            form,
            flow_form.dump(data),
            f"/console/flows/{flow_id}/draft/nodes/{index}",
        )

    async def get_crisis(self, request: web.Request) -> web.Response:
        session = await self.admin(request)
        if isinstance(session, web.Response):
            return session
        flow_id = self.flow_id(request)
        async with self.store.read(self.console.clock()) as tx:
            draft = await flow_drafts.get(tx, flow_id)
        if draft is None:
            return redirect(f"/console/flows/{flow_id}?notice=gone")
        try:
            data = flow_form.load(draft.source)
        except flow_form.NotEditable:
            return redirect(f"/console/flows/{flow_id}/draft")
        checked = await checked_source(draft.source, flow_id)
        errors = [
            e for e in checked.errors if e.node_index is None and e.field.startswith("crisis")
        ]
        return self._page(
            "crisis.html",
            session,
            title=f"Krisenwörter {flow_id}",
            flow_id=flow_id,
            draft=draft,
            words=flow_form.crisis_words(data),
            message=flow_form.crisis_message(data),
            errors=errors,
            notice=NOTICES.get(request.query.get("notice", "")),
        )

    async def post_crisis(self, request: web.Request) -> web.Response:
        session = await self.admin(request)
        if isinstance(session, web.Response):
            return session
        flow_id = self.flow_id(request)
        form = await self._form(request, session)
        if isinstance(form, web.Response):
            return form
        async with self.store.read(self.console.clock()) as tx:
            draft = await flow_drafts.get(tx, flow_id)
        if draft is None:
            return redirect(f"/console/flows/{flow_id}?notice=gone")
        try:
            data = flow_form.load(draft.source)
            flow_form.apply_crisis_words(data, form)
        except (flow_form.NotEditable, ValueError):
            return self.console.forbidden(
                "Das Formular war ungültig. Bitte laden Sie die Seite neu."
            )
        return await self._save(
            session, flow_id, form, flow_form.dump(data), f"/console/flows/{flow_id}/draft/crisis"
        )


def _preview_text(value: str) -> str:
    """A handover text as the preview (a web chat) shows it, with the sample code."""
    note = case_texts.code_note("other", PREVIEW_CODE, "de")
    return value.replace("{case_code_note}", note).replace("{case_code}", PREVIEW_CODE).rstrip()
