"""The console's route table: `setup_console` builds the `Console` and every page of /console
and registers their routes on the app.

The one module that imports the page modules, so they need not import each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.console.accessibility_page import add_accessibility_route, footer_links
from bot.console.audit_page import add_audit_route
from bot.console.case_pages import CasePages
from bot.console.core import Console
from bot.console.file_pages import add_file_routes
from bot.console.flow_pages import FlowPages
from bot.console.flow_preview import CHANNEL, Previews, preview_channel
from bot.console.live import stream
from bot.console.login_pages import LoginPages
from bot.console.office_pages import add_office_routes
from bot.console.outreach_pages import add_outreach_routes
from bot.console.queue_pages import QueuePages
from bot.console.request_pages import add_request_routes
from bot.console.settings_pages import add_settings_routes
from bot.console.statistics_pages import add_statistics_routes
from bot.console.translation_pages import add_translation_routes
from bot.console.ui_text_pages import add_ui_text_routes
from bot.keys import CHANNELS, CLOCK, CONSOLE, OFFICE_CONFIG, SERVICE, SETTINGS, STORE, TELEGRAM

log = logging.getLogger(__name__)


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
        footer_links=footer_links(settings),
    )
    app[CONSOLE] = console
    console.live.on_typing = console.service.typing.person_typing
    service = console.service
    service.on_activity = console.live.nudge
    service.on_person_typing = console.live.typing
    app.middlewares.append(_nudge_after_case_actions(console))
    app.cleanup_ctx.append(_session_sweeper)
    add_routes(app, console)
    add_office_routes(app, console)
    add_settings_routes(app, console, app[OFFICE_CONFIG])
    add_audit_route(app, console, ZoneInfo(app[SETTINGS].office_timezone))
    add_statistics_routes(app, console)
    add_accessibility_route(app, console, settings)
    add_request_routes(app, console, settings.webchat.office_name)
    add_outreach_routes(app, console, app[OFFICE_CONFIG], settings, lambda: _telegram_name(app))


SESSION_SWEEP_SECONDS = 60.0


def _telegram_name(app: web.Application) -> str | None:
    """The bot's username for its t.me link, once Telegram is running (None before and
    without Telegram)."""
    runtime = app.get(TELEGRAM)
    if runtime is None:
        return None
    try:
        return runtime.bot.username
    except RuntimeError:  # not initialised yet: no getMe answer so far
        return None


def _nudge_after_case_actions(console: Console) -> Middleware:
    """A claim, reply, note, transfer or close changes what other tabs show: nudge them."""

    async def nudging(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if response.status < 400:
            console.live.nudge()
        return response

    @web.middleware
    def nudge(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
        if (
            request.method == "POST"
            and request.path.startswith("/console/cases/")
            and not request.path.endswith("/typing")
        ):
            return nudging(request, handler)
        # Any other request: its handler's awaitable as it is, so no frame of ours waits
        # beside every open WebSocket for its lifetime.
        return handler(request)

    return nudge


async def get_events(request: web.Request) -> web.StreamResponse:
    """The console's live stream (bot/console/live.py): nudges only, for a signed-in tab."""
    console = request.app[CONSOLE]
    session = await console.require(request, touch=False)
    if isinstance(session, web.Response):
        return session
    return await stream(
        request, console.live, lambda: console.session_of(request, False) is not None
    )


async def _session_sweeper(app: web.Application) -> AsyncIterator[None]:
    """End idle and too old console sessions every minute, dropping their team keys."""
    console = app[CONSOLE]

    async def sweep() -> None:
        while True:
            await asyncio.sleep(SESSION_SWEEP_SECONDS)
            if ended := console.sessions.sweep():
                log.info("%s idle console sessions ended", ended)

    task = asyncio.create_task(sweep())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def add_routes(app: web.Application, console: Console) -> None:
    login = LoginPages(console)
    queue = QueuePages(console)
    case = CasePages(console)
    r = app.router
    r.add_get("/console", queue.get_queue, name="console")
    r.add_get("/console/queue.json", queue.get_queue_json)
    r.add_get("/console/next", queue.get_next)
    r.add_get("/console/events", get_events)
    r.add_get("/console/login", login.get_login, name="console-login")
    r.add_post("/console/login", login.post_login)
    r.add_post("/console/logout", login.post_logout)
    r.add_get("/console/setup", login.get_setup_start)
    r.add_post("/console/setup", login.post_setup)
    r.add_get("/console/setup/{token}", login.get_setup_old_link)
    r.add_post("/console/setup/{token}", login.post_setup)
    r.add_get("/console/cases/{case_id}", case.get_case)
    r.add_get("/console/cases/{case_id}/status.json", case.get_case_json)
    r.add_post("/console/cases/{case_id}/typing", case.post_typing)
    r.add_post("/console/cases/{case_id}/code", case.post_new_code)
    r.add_post(
        "/console/cases/{case_id}/{action:claim|release|reply|note|transfer|close|incident|block|unblock}",
        case.post_case_action,
    )
    r.add_get("/console/static/{name}", console.static)
    add_file_routes(app, console)
    add_translation_routes(app, console)
    add_ui_text_routes(app, console)
    app.on_response_prepare.append(console.security_headers)
    add_flow_routes(app, console)


def add_flow_routes(app: web.Application, console: Console) -> None:
    """Register /console/flows…; call after the console's own security headers are added."""
    pages = FlowPages(console)
    channel = preview_channel()
    previews = Previews(pages, console.store, app[SETTINGS], channel)
    app[CHANNELS][CHANNEL] = channel
    base = "/console/flows"
    flow = base + "/{flow_id}"
    r = app.router
    r.add_get(base, pages.get_index)
    r.add_get(flow, pages.get_flow)
    r.add_post(flow + "/draft/new", pages.post_new_draft)
    r.add_get(flow + "/draft", pages.get_draft)
    r.add_post(flow + "/draft/save", pages.post_save)
    r.add_post(flow + "/draft/discard", pages.post_discard)
    r.add_post(flow + "/draft/publish", pages.post_publish)
    r.add_get(flow + "/draft/nodes", pages.get_nodes)
    r.add_get(flow + "/draft/nodes/{index:[0-9]+}", pages.get_node)
    r.add_post(flow + "/draft/nodes/{index:[0-9]+}", pages.post_node)
    r.add_get(flow + "/draft/crisis", pages.get_crisis)
    r.add_post(flow + "/draft/crisis", pages.post_crisis)
    r.add_get(flow + "/diagram", pages.get_diagram)
    r.add_get(flow + "/diff", pages.get_diff)
    r.add_post(flow + "/versions/{number:[0-9]+}/rollback", pages.post_rollback)
    r.add_get(flow + "/preview", previews.get)
    r.add_post(flow + "/preview", previews.post)
    r.add_get(flow + "/preview/ws", previews.socket)
    app.on_response_prepare.append(previews.referrer_policy)
