"""The person's pages on the app: `setup_pages` registers them."""

from __future__ import annotations

from aiohttp import web

from bot.keys import CLOCK, OFFICE_CONFIG, SERVICE, SETTINGS, WEBCHAT_LIMITS
from bot.office.feedback import feedback_mail
from bot.web.attach import Uploads, add_attach_route
from bot.web.pages import ChatPages, add_routes


def setup_pages(app: web.Application) -> None:
    """Add the chat pages, embed.js, static files and the security headers to `app`.

    Called by `bot.app.create_app` after the conversation service is in place.
    """
    pages = ChatPages(
        app[SERVICE],
        app[SETTINGS].webchat,
        app[WEBCHAT_LIMITS],
        origins=app[OFFICE_CONFIG].allowed_origins,
        legal_settings=app[SETTINGS].legal,
        feedback=feedback_mail(app[SETTINGS], app[CLOCK]),
        attachments=app[SETTINGS].attachments.enabled,
    )
    add_routes(app, pages)
    settings = app[SETTINGS]
    uploads = Uploads(settings.resolved_spool_dir, settings.attachments.uploads_at_once)
    add_attach_route(app, pages, uploads)
