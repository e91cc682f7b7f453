"""Server-rendered pages: the chat page (with its no-JavaScript path), static files,
the accessibility statement. Registered on the app by `setup_pages`."""

from __future__ import annotations

from aiohttp import web


def setup_pages(app: web.Application) -> None:
    """Add the page routes to `app` (filled in by bot/web/pages.py)."""
