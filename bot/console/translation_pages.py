"""Admin pages for translations: the table of every text per language, PO download and import.

Admins only (a counsellor gets 403, a request without a session the login, as everywhere in
the console). The pages show the *published* version of the app's flow; an import makes a
new published version with the note "Übersetzung <lang> importiert". It is refused when
another version was published while the import was checked, because importing onto the
older text would silently undo that change.

The upload is a multipart form, so it works without JavaScript; its CSRF token is checked
before the file is parsed. Messages of the PO check come from dialogs.po (in English, like
the validator's), framed in German here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from aiohttp import BodyPartReader, web

from bot.console.auth import ConsoleSession, tokens_match
from bot.console.core import Console
from bot.console.flow_messages import german, unknown_team
from bot.conversation.flows import UnknownTeam, check_teams
from dialogs import po
from dialogs import translations as tr
from dialogs.errors import FlowErrors
from dialogs.model import Flow
from storage import audit
from storage import flows as flow_versions
from storage.records import FlowVersionRef

log = logging.getLogger(__name__)

MAX_PO_BYTES: Final = 1024 * 1024
"""The intake's PO file has ~30 KiB; anything near a megabyte is not a translation."""
MAX_PARTS: Final = 4
_LANGUAGE: Final = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})?$")

STATUS_LABELS: Final = {
    tr.Status.MISSING: "fehlt",
    tr.Status.OUTDATED: "veraltet",
    tr.Status.UNREVIEWED: "nicht geprüft",
}
HTML_LANGUAGE: Final = {"ls": "de"}
"""Flow codes that are no BCP 47 language: Leichte Sprache is German."""


class BadUpload(Exception):
    pass


@dataclass(frozen=True)
class Published:
    version: FlowVersionRef
    flow: Flow


class TranslationPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    @property
    def flow_id(self) -> str:
        return self.console.service.catalog.flow_id

    async def _admin(self, request: web.Request) -> ConsoleSession | web.Response:
        return await self.console.require_admin(request, "Übersetzungen verwalten nur Admins.")

    async def _published(self) -> Published | None:
        async with self.console.store.read(self.console.clock()) as tx:
            version = await flow_versions.current(tx, self.flow_id)
            if version is None:
                return None
            flow = await self.console.service.catalog.flow(tx, version.id)
        return Published(version, flow)

    def _page(
        self,
        session: ConsoleSession,
        published: Published,
        *,
        only_problems: bool = False,
        notice: str | None = None,
        errors: list[str] | None = None,
        error_intro: str = "",
        chosen: str | None = None,
        status: int = 200,
    ) -> web.Response:
        flow = published.flow
        rows = tr.table(flow)
        languages = tr.translated_languages(flow)
        summary = tr.counts(rows)
        return self.console.page(
            "translations.html",
            status=status,
            title=("Fehler: " if errors else "") + "Übersetzungen",
            session=session,
            csrf=session.csrf,
            flow=flow,
            flow_title=flow.text(flow.title, flow.default_language),
            version=published.version,
            languages=languages,
            summary={
                lang: (
                    summary.get(lang, {}).get(tr.Status.MISSING, 0),
                    summary.get(lang, {}).get(tr.Status.OUTDATED, 0),
                    summary.get(lang, {}).get(tr.Status.UNREVIEWED, 0),
                )
                for lang in languages
            },
            total=len(rows),
            rows=[r for r in rows if r.has_problem] if only_problems else rows,
            only_problems=only_problems,
            labels=STATUS_LABELS,
            html_lang={lang: HTML_LANGUAGE.get(lang, lang) for lang in flow.languages},
            notice=notice,
            errors=errors or [],
            error_intro=error_intro,
            chosen=chosen or (languages[0] if languages else ""),
        )

    def _no_flow(self, session: ConsoleSession) -> web.Response:
        return self.console.page(
            "message.html",
            status=404,
            title="Kein Ablauf veröffentlicht",
            message=f"Vom Ablauf „{self.flow_id}“ ist noch keine Version veröffentlicht.",
            session=session,
            csrf=session.csrf,
        )

    # ------------------------------------------------------------ routes

    async def get_table(self, request: web.Request) -> web.Response:
        session = await self._admin(request)
        if isinstance(session, web.Response):
            return session
        published = await self._published()
        if published is None:
            return self._no_flow(session)
        notice = None
        if request.query.get("notice") == "imported":
            notice = _imported_notice(request.query)
        elif request.query.get("notice") == "unchanged":
            notice = "Die Datei enthielt keine Änderung; es wurde keine neue Version erstellt."
        return self._page(
            session,
            published,
            only_problems=request.query.get("problems") == "1",
            notice=notice,
        )

    async def get_po(self, request: web.Request) -> web.StreamResponse:
        session = await self._admin(request)
        if isinstance(session, web.Response):
            return session
        published = await self._published()
        if published is None:
            return self._no_flow(session)
        lang = request.match_info["lang"]
        if lang not in tr.translated_languages(published.flow):
            raise web.HTTPNotFound()
        return po_download(po.export_po(published.flow, lang), f"{published.flow.id}-{lang}.po")

    async def post_import(self, request: web.Request) -> web.Response:
        session = await self._admin(request)
        if isinstance(session, web.Response):
            return session
        fields = await checked_upload(self.console, request, session)
        if isinstance(fields, web.Response):
            return fields
        published = await self._published()
        if published is None:
            return self._no_flow(session)
        lang = fields.get("lang", b"").decode("utf-8", errors="replace")
        if not _LANGUAGE.match(lang) or lang not in tr.translated_languages(published.flow):
            return self._refused(session, published, lang, ["Bitte wählen Sie eine Sprache."])
        text = po_text(fields)
        if isinstance(text, PoRefusal):
            return self._refused(session, published, lang, [text.message])
        source_name = f"{published.flow.id} (Version {published.version.number})"
        try:
            done = po.import_po(published.version.source, source_name, text, f"{lang}.po", lang)
        except po.PoErrors as exc:
            return self._refused(
                session, published, lang, [f"Zeile {e.line}: {german(e)}" for e in exc.errors]
            )
        except FlowErrors as exc:
            return self._refused(
                session,
                published,
                lang,
                [f"{e.file}, Zeile {e.line}, Spalte {e.column}: {german(e)}" for e in exc.errors],
                intro="Nach dem Import wäre der Ablauf ungültig:",
            )
        if done.source == published.version.source:
            return _redirect("/console/translations?notice=unchanged")
        async with self.console.store.tx(self.console.clock()) as tx:
            latest = await flow_versions.current(tx, self.flow_id)
            if latest is None or latest.id != published.version.id:
                # Someone published meanwhile: importing onto the old text would undo that.
                return self._refused(
                    session,
                    published,
                    lang,
                    ["Inzwischen wurde eine neue Version veröffentlicht. Bitte erneut hochladen."],
                )
            try:
                await check_teams(tx, done.flow)
            except UnknownTeam as exc:
                return self._refused(session, published, lang, [unknown_team(exc)])
            version = await flow_versions.publish(
                tx, self.flow_id, done.source, session.actor, note=f"Übersetzung {lang} importiert"
            )
            await audit.record(
                tx, session.actor, "flow.translation_imported", detail=f"{version.number} {lang}"
            )
        log.info(
            "flow %s: version %s published (translation %s)", self.flow_id, version.number, lang
        )
        return _redirect(
            f"/console/translations?notice=imported&lang={lang}&version={version.number}"
            f"&changed={done.changed}&added={done.added}"
        )

    def _refused(
        self,
        session: ConsoleSession,
        published: Published,
        lang: str,
        errors: list[str],
        *,
        intro: str = "Die Datei wurde nicht übernommen. Nichts wurde geändert.",
    ) -> web.Response:
        return self._page(
            session,
            published,
            errors=errors,
            error_intro=intro,
            chosen=lang,
            status=400,
        )


def po_download(text: str, name: str) -> web.Response:
    return web.Response(
        body=text.encode("utf-8"),
        headers={
            "Content-Type": "text/x-gettext-translation; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


async def checked_upload(
    console: Console, request: web.Request, session: ConsoleSession
) -> dict[str, bytes] | web.Response:
    """The fields of an upload form whose CSRF token is the session's, or the refusal."""
    try:
        fields = await read_upload(request)
    except BadUpload:
        return console.forbidden(
            "Das Formular war ungültig oder die Datei zu groß. Bitte laden Sie die Seite neu."
        )
    csrf = fields.get("csrf", b"").decode("ascii", errors="replace")
    if not tokens_match(session.csrf, csrf):
        return console.forbidden("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.")
    return fields


@dataclass(frozen=True)
class PoRefusal:
    message: str


def po_text(fields: Mapping[str, bytes]) -> str | PoRefusal:
    """The uploaded PO file as text, or what is wrong with it (said to the admin)."""
    raw = fields.get("po", b"")
    if not raw.strip():
        return PoRefusal("Bitte wählen Sie eine PO-Datei.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return PoRefusal(f"Zeile {line}: Die Datei ist kein UTF-8-Text.")


def _imported_notice(query: Mapping[str, str]) -> str | None:
    lang = query.get("lang", "")
    numbers = [query.get(k, "") for k in ("version", "changed", "added")]
    if not _LANGUAGE.match(lang) or not all(n.isdigit() for n in numbers):
        return None
    version, changed, added = numbers
    return (
        f"Übersetzung {lang} importiert und als Version {version} veröffentlicht: "
        f"{changed} Texte geändert, {added} ergänzt."
    )


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


async def read_upload(request: web.Request) -> dict[str, bytes]:
    """The parts of a multipart form, each at most MAX_PO_BYTES; nested parts refused."""
    if request.content_type != "multipart/form-data":
        raise BadUpload
    if request.content_length is not None and request.content_length > MAX_PO_BYTES + 16384:
        raise BadUpload
    try:
        reader = await request.multipart()
        fields: dict[str, bytes] = {}
        for _ in range(MAX_PARTS + 1):
            part = await reader.next()
            if part is None:
                return fields
            if not isinstance(part, BodyPartReader) or part.name is None or part.name in fields:
                raise BadUpload
            data = bytearray()
            while chunk := await part.read_chunk(64 * 1024):
                data.extend(chunk)
                if len(data) > MAX_PO_BYTES:
                    raise BadUpload
            fields[part.name] = bytes(data)
    except (ValueError, AssertionError):
        # aiohttp's multipart reader raises these on a body that is not multipart.
        raise BadUpload from None
    raise BadUpload  # more parts than the form has


def add_translation_routes(app: web.Application, console: Console) -> None:
    pages = TranslationPages(console)
    r = app.router
    r.add_get("/console/translations", pages.get_table)
    r.add_get("/console/translations/{lang:[A-Za-z_-]{2,12}}.po", pages.get_po)
    r.add_post("/console/translations/import", pages.post_import)
