"""The counsellors' console at /console: login, the team queue, the case view.

Registered on the app by `setup_console`, like the chat pages by `bot.web.setup_pages`.
"""

from __future__ import annotations

from aiohttp import web

from bot.console.pages import CONSOLE, Console, add_routes
from bot.console.statistics_pages import add_statistics_routes

__all__ = ["CONSOLE", "Console", "setup_console"]


def setup_console(app: web.Application) -> None:
    """Add the console's routes and security headers to `app`.

    The app keys are imported here, not at module level, because bot.app imports this package.
    """
    from bot.app import SERVICE, SETTINGS, STORE

    console = Console(app[STORE], app[SERVICE], app[SETTINGS].console)
    app[CONSOLE] = console
    add_routes(app, console)
    add_statistics_routes(app, console)
