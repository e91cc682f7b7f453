"""Admin pages for the service's own texts (web chat page, Telegram, Signal, office hours,
flyers): the table per language with missing, outdated and unreviewed ones, PO download and
import. Admins only, like the flow's translations (bot/console/translation_pages.py), whose
upload handling this shares. An import takes effect at once here and, through the
database, on every replica (bot/ui_texts.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from aiohttp import web

from bot import ui_texts
from bot.console.auth import ConsoleSession
from bot.console.core import Console
from bot.console.flow_messages import german
from bot.console.translation_pages import PoRefusal, checked_upload, po_download, po_text
from bot.i18n import po_files
from bot.i18n.catalog import TRANSLATED, UI, Status
from bot.i18n.languages import SOURCE_LANGUAGE, html_lang
from dialogs.po import PoErrors
from storage import audit

log = logging.getLogger(__name__)

PATH: Final = "/console/translations/texts"
LABELS: Final = {
    Status.MISSING: "fehlt",
    Status.OUTDATED: "veraltet",
    Status.UNREVIEWED: "nicht geprüft",
}
AREAS: Final = {
    "web": "Web-Chat",
    "messenger": "Messenger",
    "telegram": "Telegram",
    "signal": "Signal",
    "case": "Fall",
    "office": "Bürozeiten",
    "flyer": "Flyer",
}


@dataclass(frozen=True)
class Cell:
    language: str
    status: Status
    text: str


@dataclass(frozen=True)
class Row:
    key: str
    area: str
    source: str
    cells: tuple[Cell, ...]

    @property
    def has_problem(self) -> bool:
        return any(c.status is not Status.OK for c in self.cells)


def rows() -> list[Row]:
    found = []
    for key, text in UI.texts.items():
        source = (
            text.source if text.source_plural is None else f"{text.source} | {text.source_plural}"
        )
        cells = []
        for lang in TRANSLATED:
            translation = UI.translation(lang, key)
            shown = " | ".join(translation.forms) if translation is not None else ""
            cells.append(Cell(lang, UI.status(lang, key), shown))
        found.append(Row(key, AREAS.get(key.split(".")[0], ""), source, tuple(cells)))
    return found


class UiTextPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def _admin(self, request: web.Request) -> ConsoleSession | web.Response:
        return await self.console.require_admin(request, "Übersetzungen verwalten nur Admins.")

    def _page(
        self,
        session: ConsoleSession,
        *,
        only_problems: bool = False,
        notice: str | None = None,
        errors: list[str] | None = None,
        chosen: str | None = None,
        status: int = 200,
    ) -> web.Response:
        table = rows()
        summary = {
            lang: tuple(
                sum(1 for r in table for c in r.cells if c.language == lang and c.status is s)
                for s in (Status.MISSING, Status.OUTDATED, Status.UNREVIEWED)
            )
            for lang in TRANSLATED
        }
        return self.console.page(
            "ui_texts.html",
            status=status,
            title=("Fehler: " if errors else "") + "Texte des Dienstes übersetzen",
            session=session,
            csrf=session.csrf,
            languages=TRANSLATED,
            source_language=SOURCE_LANGUAGE,
            summary=summary,
            total=len(table),
            rows=[r for r in table if r.has_problem] if only_problems else table,
            only_problems=only_problems,
            labels=LABELS,
            html_lang={lang: html_lang(lang) for lang in TRANSLATED},
            notice=notice,
            errors=errors or [],
            chosen=chosen or TRANSLATED[0],
        )

    async def get_table(self, request: web.Request) -> web.Response:
        session = await self._admin(request)
        if isinstance(session, web.Response):
            return session
        notice = None
        if request.query.get("notice") == "imported":
            lang, changed = request.query.get("lang", ""), request.query.get("changed", "")
            if lang in TRANSLATED and changed.isdigit():
                notice = (
                    f"Übersetzung {lang} importiert: {changed} Texte geändert. Sie gilt sofort."
                )
        return self._page(
            session, only_problems=request.query.get("problems") == "1", notice=notice
        )

    async def get_po(self, request: web.Request) -> web.StreamResponse:
        session = await self._admin(request)
        if isinstance(session, web.Response):
            return session
        lang = request.match_info["lang"]
        if lang not in TRANSLATED:
            raise web.HTTPNotFound()
        return po_download(po_files.export_po(UI, lang), f"anlaufstelle-{lang}.po")

    async def post_import(self, request: web.Request) -> web.Response:
        session = await self._admin(request)
        if isinstance(session, web.Response):
            return session
        fields = await checked_upload(self.console, request, session)
        if isinstance(fields, web.Response):
            return fields
        lang = fields.get("lang", b"").decode("utf-8", errors="replace")
        if lang not in TRANSLATED:
            return self._refused(session, lang, ["Bitte wählen Sie eine Sprache."])
        text = po_text(fields)
        if isinstance(text, PoRefusal):
            return self._refused(session, lang, [text.message])
        try:
            imported = po_files.import_po(UI, lang, text, f"{lang}.po")
        except PoErrors as exc:
            return self._refused(
                session, lang, [f"Zeile {e.line}: {german(e)}" for e in exc.errors]
            )
        changed = await ui_texts.save(self.console.store, lang, imported, session.actor)
        async with self.console.store.tx(self.console.clock()) as tx:
            await audit.record(
                tx, session.actor, "ui.translation_imported", detail=f"{lang} {changed}"
            )
        log.info("service texts: translation %s imported (%s changed)", lang, changed)
        return web.Response(
            status=303,
            headers={"Location": f"{PATH}?notice=imported&lang={lang}&changed={changed}"},
        )

    def _refused(self, session: ConsoleSession, lang: str, errors: list[str]) -> web.Response:
        return self._page(session, errors=errors, chosen=lang, status=400)


def add_ui_text_routes(app: web.Application, console: Console) -> None:
    pages = UiTextPages(console)
    r = app.router
    r.add_get(PATH, pages.get_table)
    r.add_get(PATH + "/{lang:[A-Za-z_-]{2,12}}.po", pages.get_po)
    r.add_post(PATH + "/import", pages.post_import)
