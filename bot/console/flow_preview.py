"""The admins' preview: the draft played in the real chat page, before it is published.

A preview is an ordinary conversation of the conversation service on a channel of its own
("preview"), started on the draft's text (stored as an unnumbered flow version, as
`anlaufstelle flows simulate` does). Its flow has every handover turned into an end that says
what would happen (`flow_pages.preview_flow`), so the service never creates a case: nothing
reaches a team's queue, and statistics, which are counted only when a counsellor closes a
case, never see it. Replies go through the outbox like all replies; the preview channel
drops them, because the page shows the transcript.

The page is the real chat page with chat.js, on a socket of its own
(`/console/flows/{id}/preview/ws`) and its own channel, so replies are pushed live as on the
public chat; without JavaScript its forms post to the console's preview URL. Only a logged-in
admin reaches either; the page says on top, all the time, that it is a preview, and Escape
does not leave the console there.
"""

from __future__ import annotations

from typing import Final
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.channels import webchat
from bot.console.flow_pages import FlowPages, checked_source, preview_flow
from bot.conversation.flows import FlowCatalog, NoPublishedFlow
from bot.conversation.service import ConversationService
from bot.keys import CLOCK, WEBCHAT_LIMITS
from bot.settings import Settings
from bot.web.pages import ChatPages
from dialogs.model import Flow
from storage import flow_drafts
from storage import flows as flow_versions
from storage.flows import digest
from storage.records import FlowVersionRef
from storage.store import Store, Tx

CHANNEL: Final = "preview"
BANNER: Final = (
    "Sie testen den aktuellen Entwurf des Dialogs „{flow}“. Nichts davon erreicht die "
    "Warteschlange oder die Statistik; eine Übergabe wird nur angekündigt."
)


def preview_channel() -> webchat.WebChatChannel:
    """Where preview replies are delivered: the preview page's socket, if it has one (the
    plain-form page reads the transcript instead)."""
    channel = webchat.WebChatChannel()
    channel.name = CHANNEL
    return channel


class DraftCatalog(FlowCatalog):
    """New conversations start on the flow's current draft, with handovers made harmless."""

    async def current(self, tx: Tx) -> FlowVersionRef:
        draft = await flow_drafts.get(tx, self.flow_id)
        if draft is None:
            raise NoPublishedFlow(f"flow {self.flow_id!r} has no draft")
        return await flow_versions.draft(tx, self.flow_id, draft.source, "preview", "preview")

    async def flow(self, tx: Tx, version_id: int) -> Flow:
        return preview_flow(await super().flow(tx, version_id))


class Previews:
    def __init__(
        self,
        pages: FlowPages,
        store: Store,
        settings: Settings,
        channel: webchat.WebChatChannel,
    ) -> None:
        self.pages = pages
        self.store = store
        self.settings = settings
        self.channel = channel
        self._chats: dict[str, ChatPages] = {}
        self._sockets: dict[str, webchat.Route] = {}
        # Flow id -> digest of the draft last found valid. The page, its socket and every
        # plain-form post ask again; validating the whole intake is a third of a second of
        # the event loop each time, for a text that rarely changes between them.
        self._valid: dict[str, str] = {}

    def _chat(self, request: web.Request, flow_id: str) -> ChatPages:
        if WEBCHAT_LIMITS not in request.app:
            raise web.HTTPNotFound()  # the web chat is switched off: nothing to preview in
        chat = self._chats.get(flow_id)
        if chat is None:
            service = ConversationService(
                self.store,
                DraftCatalog(flow_id),
                response_time=self.settings.response_time,
                office_contact=self.settings.office_contact,
                office_name=self.settings.webchat.office_name,
                clock=request.app[CLOCK],
                timezone=ZoneInfo(self.settings.office_timezone),
            )
            chat = ChatPages(
                service,
                self.settings.webchat,
                request.app[WEBCHAT_LIMITS],
                channel=CHANNEL,
                path=f"/console/flows/{flow_id}/preview",
                preview=(BANNER.format(flow=flow_id), f"/console/flows/{flow_id}/draft"),
                legal_settings=self.settings.legal,
            )
            self._chats[flow_id] = chat
        return chat

    async def _ready(self, request: web.Request) -> ChatPages | web.Response:
        session = await self.pages.admin(request)
        if isinstance(session, web.Response):
            return session
        flow_id = self.pages.flow_id(request)
        async with self.store.read() as tx:
            draft = await flow_drafts.get(tx, flow_id)
        if draft is None:
            raise web.HTTPNotFound()
        checked = digest(draft.source)
        if self._valid.get(flow_id) != checked:
            if not (await checked_source(draft.source, flow_id)).ok:
                return self.pages.console.page(
                    "message.html",
                    status=409,
                    title="Vorschau nicht möglich",
                    message="Der Entwurf hat Fehler. Beheben Sie sie zuerst im Editor.",
                    link=(f"/console/flows/{flow_id}/draft", "Zum Entwurf"),
                    session=session,
                    csrf=session.csrf,
                )
            self._valid[flow_id] = checked
        chat = self._chat(request, flow_id)
        # A new draft starts at revision 1 again: its time tells it from a discarded one.
        chat.preview_draft = f"{draft.revision}-{draft.updated_at.isoformat()}"
        return chat

    async def get(self, request: web.Request) -> web.Response:
        chat = await self._ready(request)
        if isinstance(chat, web.Response):
            return chat
        return await chat.get_chat(request)

    async def post(self, request: web.Request) -> web.Response:
        chat = await self._ready(request)
        if isinstance(chat, web.Response):
            return chat
        return await chat.post_chat(request)

    async def socket(self, request: web.Request) -> web.StreamResponse:
        """The preview page's WebSocket: the web chat's protocol, on the draft's service.
        Only from the console's own origin (no other site may drive an admin's preview)."""
        chat = await self._ready(request)
        if isinstance(chat, web.Response):
            return chat
        flow_id = self.pages.flow_id(request)
        route = self._sockets.get(flow_id)
        if route is None:
            route = webchat.ws_route(
                chat.service,
                self.channel,
                lambda: (),
                request.app[WEBCHAT_LIMITS],
                case_codes=False,
            )
            self._sockets[flow_id] = route
        return await route(request)

    async def referrer_policy(self, request: web.Request, response: web.StreamResponse) -> None:
        """The chat's own-site check needs the real Origin on its form posts, which browsers
        replace by "null" under the console's no-referrer policy; same-origin still sends
        nothing to other sites. Runs after the console's security headers."""
        if request.path.startswith("/console/flows/") and request.path.endswith("/preview"):
            response.headers["Referrer-Policy"] = "same-origin"
