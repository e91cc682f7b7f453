"""Server-rendered pages: the chat page (with its no-JavaScript path), static files,
the accessibility statement. Registered on the app by `setup_pages`."""

from __future__ import annotations

from aiohttp import web


def setup_pages(app: web.Application) -> None:
    """Add the chat pages, embed.js, static files and the security headers to `app`.

    Called by `bot.app.create_app` after the conversation service is in place; the app keys
    are imported here, not at module level, because bot.app imports this package.
    """
    from bot.app import OFFICE_CONFIG, SERVICE, SETTINGS, WEBCHAT_LIMITS
    from bot.web.pages import ChatPages, add_routes

    pages = ChatPages(
        app[SERVICE],
        app[SETTINGS].webchat,
        app[WEBCHAT_LIMITS],
        origins=app[OFFICE_CONFIG].allowed_origins,
    )
    add_routes(app, pages)
