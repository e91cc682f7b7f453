"""The counsellors' console at /console: login, the team queue, the case view.

Registered on the app by `setup_console`, like the chat pages by `bot.web.setup_pages`.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from bot.console.audit_page import add_audit_route
from bot.console.office_pages import add_office_routes
from bot.console.pages import CONSOLE, Console, add_routes
from bot.console.settings_pages import add_settings_routes
from bot.console.statistics_pages import add_statistics_routes

__all__ = ["CONSOLE", "Console", "setup_console"]


def setup_console(app: web.Application) -> None:
    """Add the console's routes and security headers to `app`.

    The app keys are imported here, not at module level, because bot.app imports this package.
    """
    from bot.app import CHANNELS, CLOCK, OFFICE_CONFIG, SERVICE, SETTINGS, STORE

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
