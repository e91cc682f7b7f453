"""Outreach material (admins): the motion asks the office to go where people are. An admin
names a place by a source tag (`moschee-linden`, `jobcenter-garbsen`) and gets a print-ready
flyer (A6) or poster (A4) in the chosen languages: the promise of anonymity, the office
hours, and QR codes for the web chat (`/chat?src=TAG&lang=…`) and the Telegram bot
(`https://t.me/BOT?start=TAG`). A chat started by such a link counts once under its tag in
the anonymous monthly statistics, as a Telegram `/start TAG` does; nothing else is kept.

Everything is drawn here (segno's SVG, a print stylesheet): no external service sees the
links or the places.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

import segno
from aiohttp import web
from markupsafe import Markup

from bot.channels.base import SOURCE_TAG
from bot.console.auth import is_https
from bot.console.core import Console
from bot.console.language_names import language_name
from bot.i18n.languages import direction, html_lang
from bot.office.config import OfficeConfig
from bot.office.flyer_texts import LANGUAGES, FlyerText, flyer_text, unreviewed
from bot.office.hours_text import weekly_hours
from bot.settings import Settings
from bot.web.render import render

FORMATS: Final = {"a6": "Flyer (A6)", "a4": "Plakat (A4)"}


@dataclass(frozen=True)
class Sheet:
    """One printed page: a flyer or poster in one language."""

    language: str
    html_lang: str
    dir: str
    text: FlyerText
    hours: list[str]
    web_url: str
    web_qr: Markup
    telegram_url: str | None
    telegram_qr: Markup | None


def qr_svg(url: str, title: str) -> Markup:
    """The link as a QR code in SVG, sized by the stylesheet (print: millimetres)."""
    svg = segno.make(url, error="m").svg_inline(
        dark="#000", light="#fff", omitsize=True, title=title, border=4
    )
    return Markup(svg)  # noqa: S704 - segno's own SVG markup, built from our URL only


class OutreachPages:
    def __init__(
        self,
        console: Console,
        config: OfficeConfig,
        settings: Settings,
        telegram_name: Callable[[], str | None],
    ) -> None:
        self.console = console
        self.config = config
        self.office = settings.webchat.office_name
        self.public_url = settings.legal.public_url or settings.console.public_url
        """Where people reach the chat; this request's host when not configured."""
        self.telegram_name = telegram_name
        """The Telegram bot's username, once the bot is running; None without Telegram."""

    async def get_form(self, request: web.Request) -> web.Response:
        return await self._form(request, error=None, status=200)

    async def _form(self, request: web.Request, error: str | None, status: int) -> web.Response:
        session = await self.console.require_admin(request)
        if isinstance(session, web.Response):
            return session
        return self.console.page(
            "outreach.html",
            status=status,
            title=("Fehler: " if error else "") + "Flyer und Plakate",
            session=session,
            csrf=session.csrf,
            error=error,
            formats=FORMATS,
            languages=[(code, language_name(code), unreviewed(code)) for code in LANGUAGES],
            telegram=self.telegram_name() is not None,
            tag=request.query.get("tag", ""),
        )

    async def get_flyer(self, request: web.Request) -> web.Response:
        session = await self.console.require_admin(request)
        if isinstance(session, web.Response):
            return session
        tag = request.query.get("tag", "")
        kind = request.query.get("format", "a6")
        languages = [code for code in request.query.getall("lang", []) if code in LANGUAGES]
        if not SOURCE_TAG.fullmatch(tag):
            return await self._form(
                request, "Der Ort braucht 1 bis 32 Buchstaben, Ziffern, - oder _.", 400
            )
        if kind not in FORMATS or not languages:
            return await self._form(
                request, "Bitte Format und mindestens eine Sprache wählen.", 400
            )
        base = self._public_base(request)
        bot = self.telegram_name()
        hours = self.config.current.schedule
        sheets = []
        for code in languages:
            web_url = f"{base}/chat?{urlencode({'src': tag, 'lang': code})}"
            telegram_url = f"https://t.me/{bot}?start={tag}" if bot else None
            sheets.append(
                Sheet(
                    language=code,
                    html_lang=html_lang(code),
                    dir=direction(code),
                    text=flyer_text(code),
                    hours=weekly_hours(hours, code),
                    web_url=web_url,
                    web_qr=qr_svg(web_url, web_url),
                    telegram_url=telegram_url,
                    telegram_qr=qr_svg(telegram_url, telegram_url) if telegram_url else None,
                )
            )
        html = render(
            "console/flyer.html",
            static=lambda name: f"/console/static/{name}",
            office=self.office,
            tag=tag,
            format=kind,
            format_name=FORMATS[kind],
            sheets=sheets,
        )
        return web.Response(text=html, content_type="text/html")

    def _public_base(self, request: web.Request) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        https = is_https(request, self.console.settings.trust_forwarded_proto)
        return f"{'https' if https else 'http'}://{request.host}"


def add_outreach_routes(
    app: web.Application,
    console: Console,
    config: OfficeConfig,
    settings: Settings,
    telegram_name: Callable[[], str | None],
) -> None:
    pages = OutreachPages(console, config, settings, telegram_name)
    app.router.add_get("/console/outreach", pages.get_form)
    app.router.add_get("/console/outreach/flyer", pages.get_flyer)
