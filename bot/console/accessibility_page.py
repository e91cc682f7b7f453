"""The console's accessibility statement (NBGG: every public web page of a public body has
one, the counsellors' console included) and the links every console page's footer shows.

Public, like the chat's statement: a counsellor who cannot log in because of a barrier must
still find where to report it.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from bot.console.core import Console
from bot.office import legal
from bot.office.feedback import feedback_mail
from bot.settings import Settings
from bot.web.pages import contact_href
from bot.web.texts import ENFORCEMENT_URL

PATH: Final = "/console/accessibility"
STATEMENT_DATE: Final = "2026-12-05"
"""When the console's statement was last reviewed (ISO date; update on every review)."""


def footer_links(settings: Settings) -> list[tuple[str, str, str]]:
    """(id, label, href): the office's privacy notice and imprint (its URL or the chat's page
    in German, the console's language) and the console's own accessibility statement."""
    names = {"privacy": "Datenschutzerklärung", "imprint": "Impressum"}
    links = [
        (f"{kind}-link", names[kind], legal.href(settings.legal, kind, "de"))
        for kind in legal.KINDS
    ]
    links.append(("accessibility-link", "Erklärung zur Barrierefreiheit", PATH))
    return links


def add_accessibility_route(app: web.Application, console: Console, settings: Settings) -> None:
    contact = settings.webchat.accessibility_contact.strip()
    # The chat statement's form reaches the office too; counsellors may use it as well.
    form = feedback_mail(settings, console.clock) is not None

    async def statement(request: web.Request) -> web.Response:
        return console.page(
            "accessibility.html",
            title="Erklärung zur Barrierefreiheit",
            session=None,
            office=settings.webchat.office_name,
            contact=contact,
            contact_href=contact_href(contact) if contact else None,
            enforcement_url=ENFORCEMENT_URL,
            date=STATEMENT_DATE,
            feedback_form=form,
        )

    app.router.add_get(PATH, statement, name="console-accessibility")
