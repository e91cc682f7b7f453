"""Verwaltung → Einstellungen (admins): office hours and holidays, the sites that may embed
the web chat, the retention period.

A saved value overrides the settings file's and is in force on this replica at once (other
replicas within bot.office.config.REFRESH_SECONDS); "reset" goes back to the file's value.
Every save and reset is in the audit log under the setting's key, never its value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, cast

from aiohttp import web
from pydantic import ValidationError

from bot.console.auth import ConsoleSession
from bot.console.core import Console, redirect
from bot.console.settings_form import (
    REGIONS,
    WEEK_ERROR,
    WEEKDAY_NAMES,
    Fields,
    errors_by_field,
    fields_of,
    posted,
)
from bot.office import legal
from bot.office.config import KEYS, OfficeConfig, SettingKey, is_key, validated
from storage import audit

PATH: Final = "/console/office/settings"
NOTICES: Final = {
    "saved": "Gespeichert. Der neue Wert gilt ab sofort.",
    "reset": "Zurückgesetzt. Es gilt wieder der Wert aus der Einstellungsdatei.",
    "unchanged": "Dieser Wert kam schon aus der Einstellungsdatei; nichts geändert.",
}
ANCHORS: Final[dict[SettingKey, str]] = {
    "office_hours": "hours-h",
    "allowed_origins": "origins-h",
    "retention_days": "retention-h",
}


@dataclass(frozen=True)
class Source:
    """Where a value in force comes from, for the page."""

    browser: bool
    who: str = ""
    when: str = ""


class SettingsPages:
    def __init__(self, console: Console, config: OfficeConfig) -> None:
        self.console = console
        self.config = config

    async def _admin(self, request: web.Request) -> ConsoleSession | web.Response:
        return await self.console.require_admin(
            request, "Diese Seite ist der Administration vorbehalten."
        )

    def _key(self, request: web.Request) -> SettingKey:
        key = request.match_info["key"]
        if not is_key(key):
            raise web.HTTPNotFound()
        return cast(SettingKey, key)

    async def _render(
        self,
        request: web.Request,
        session: ConsoleSession,
        *,
        typed: Fields | None = None,
        errors: Fields | None = None,
        status: int = 200,
    ) -> web.Response:
        # Re-read, not the cached values: another replica may have saved since our refresh.
        effective = await self.config.refresh()
        async with self.console.store.read(self.console.clock()) as tx:
            names = await audit.actor_names(tx)
        sources = {}
        for key in KEYS:
            stored = effective.overrides.get(key)
            sources[key] = (
                Source(
                    True,
                    names.get(stored.updated_by, stored.updated_by),
                    stored.updated_at.astimezone(self.console.timezone).strftime("%d.%m.%Y %H:%M"),
                )
                if stored is not None
                else Source(False)
            )
        return self.console.page(
            "office_settings.html",
            status=status,
            title=("Fehler: " if errors else "") + "Einstellungen",
            session=session,
            csrf=session.csrf,
            fields={**fields_of(effective), **(typed or {})},
            errors=errors or {},
            week_error=WEEK_ERROR,
            sources=sources,
            weekdays=WEEKDAY_NAMES,
            regions=REGIONS,
            notice=NOTICES.get(request.query.get("notice", "")),
            legal_gaps=legal.gaps(self.config.settings),
        )

    async def get_settings(self, request: web.Request) -> web.Response:
        session = await self._admin(request)
        if isinstance(session, web.Response):
            return session
        return await self._render(request, session)

    async def post_setting(self, request: web.Request) -> web.Response:
        session = await self._admin(request)
        if isinstance(session, web.Response):
            return session
        key = self._key(request)
        form = await self.console.form_for(request, session)
        if isinstance(form, web.Response):
            return form
        raw, typed = posted(key, form)
        try:
            value = validated(key, raw)
        except ValidationError as exc:
            errors = errors_by_field(key, exc, form)
            return await self._render(request, session, typed=typed, errors=errors, status=400)
        await self.config.save(key, value, session.actor, self.console.clock())
        return redirect(f"{PATH}?notice=saved#{ANCHORS[key]}")

    async def post_reset(self, request: web.Request) -> web.Response:
        session = await self._admin(request)
        if isinstance(session, web.Response):
            return session
        key = self._key(request)
        form = await self.console.form_for(request, session)
        if isinstance(form, web.Response):
            return form
        removed = await self.config.reset(key, session.actor, self.console.clock())
        notice = "reset" if removed else "unchanged"
        return redirect(f"{PATH}?notice={notice}#{ANCHORS[key]}")


def add_settings_routes(app: web.Application, console: Console, config: OfficeConfig) -> None:
    pages = SettingsPages(console, config)
    keys = "|".join(KEYS)
    app.router.add_get(PATH, pages.get_settings)
    app.router.add_post(f"{PATH}/{{key:{keys}}}", pages.post_setting)
    app.router.add_post(f"{PATH}/{{key:{keys}}}/reset", pages.post_reset)
