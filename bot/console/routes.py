"""The console's routes: `setup_console` registers every page of /console on the app."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from bot.console.audit_page import add_audit_route
from bot.console.office_pages import add_office_routes
from bot.console.pages import Console, add_routes
from bot.console.settings_pages import add_settings_routes
from bot.console.statistics_pages import add_statistics_routes
from bot.keys import CHANNELS, CLOCK, CONSOLE, OFFICE_CONFIG, SERVICE, SETTINGS, STORE


def setup_console(app: web.Application) -> None:
    """Add the console's routes and security headers to `app`."""

    settings = app[SETTINGS]
    console = Console(
        app[STORE],
        app[SERVICE],
        settings.console,
        timezone=ZoneInfo(settings.office_timezone),
        channels=app[CHANNELS],
        clock=app[CLOCK],
    )
    app[CONSOLE] = console
    add_routes(app, console)
    add_office_routes(app, console)
    add_settings_routes(app, console, app[OFFICE_CONFIG])
    add_audit_route(app, console, ZoneInfo(app[SETTINGS].office_timezone))
    add_statistics_routes(app, console)
