"""Routes of the admins' flow editor (bot.console.flow_pages, bot.console.flow_preview)."""

from __future__ import annotations

from aiohttp import web

from bot.console.flow_pages import FlowPages
from bot.console.flow_preview import CHANNEL, DiscardChannel, Previews
from bot.console.pages import Console
from bot.keys import CHANNELS, SETTINGS


def add_flow_routes(app: web.Application, console: Console) -> None:
    """Register /console/flows…; call after the console's own security headers are added."""
    pages = FlowPages(console)
    previews = Previews(pages, console.store, app[SETTINGS])
    app[CHANNELS].setdefault(CHANNEL, DiscardChannel())
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
    app.on_response_prepare.append(previews.referrer_policy)
