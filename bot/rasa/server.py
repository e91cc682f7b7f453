"""`anlaufstelle rasa actions`: rasa-sdk's own Sanic server, serving our actions.

rasa-sdk's `python -m rasa_sdk` listens on all interfaces (0.0.0.0), imports actions by
scanning a package (so they cannot be given the service) and has no authentication. Here
the same server (`rasa_sdk.endpoint.create_app`) gets:

- the listening address from the settings, loopback by default;
- our actions as instances bound to a ConversationService that is opened in the server's
  own event loop (SQLAlchemy's async engine belongs to one loop) and closed with it;
- the action token checked on every request, in constant time, before rasa-sdk's routes;
- no access log: Sanic's would write the request line, and with it the token.
"""

from __future__ import annotations

import json
import logging
import zlib
from typing import Any
from zoneinfo import ZoneInfo

from bot import bounded_json
from bot.channels.base import without_lone_surrogates
from bot.channels.rasa_actions import MAX_BODY_BYTES, build_executor, check_action_call, token_ok
from bot.cli.bootstrap import open_store
from bot.clock import SystemClock
from bot.conversation.flows import FlowCatalog
from bot.conversation.service import ConversationService
from bot.settings import Settings
from storage.store import Store

log = logging.getLogger(__name__)


class _Running:
    """The service once the server's loop has opened the store."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store: Store | None = None
        self.service: ConversationService | None = None

    def get(self) -> ConversationService:
        if self.service is None:
            raise RuntimeError("the action server has not started yet")
        return self.service

    async def open(self, *_: Any) -> None:
        clock = SystemClock()
        store, _first = await open_store(self.settings, create=False, clock=clock)
        self.store = store
        self.service = ConversationService(
            store,
            FlowCatalog("intake"),
            response_time=self.settings.response_time,
            office_contact=self.settings.office_contact,
            office_name=self.settings.webchat.office_name,
            clock=clock,
            timezone=ZoneInfo(self.settings.office_timezone),
        )

    async def close(self, *_: Any) -> None:
        if self.store is not None:
            await self.store.close()


def create_server(settings: Settings) -> Any:
    """The Sanic app (typed Any: Sanic and rasa-sdk ship no usable type hints)."""
    from rasa_sdk.endpoint import create_app
    from sanic import response

    token = settings.rasa.resolved_action_token()
    running = _Running(settings)
    app = create_app(build_executor(running.get), cors_origins=[])

    async def check_request(request: Any) -> Any:
        if request.path == "/health":
            return None
        if not token_ok(token, request.args.get("token")):
            log.warning("rasa actions: request with a missing or wrong token refused")
            return response.json({"error": "unauthorized"}, status=401)
        if request.path == "/webhook" and request.method == "POST":
            # The shape check of our mounted route: a malformed call is a 400 here too, not
            # rasa-sdk's 500 that echoes the whole body (every text the person wrote).
            try:
                call = check_action_call(
                    without_lone_surrogates(
                        bounded_json.loads(_inflated(request), max_bytes=MAX_BODY_BYTES)
                    )
                )
            except (ValueError, zlib.error):
                return response.json({"error": "Invalid body request"}, status=400)
            # rasa-sdk parses the body again: hand it the cleaned call, so a lone surrogate
            # never reaches our actions (it could not be stored, and Rasa would call again).
            request.parsed_json = call
            if request.headers.get("Content-Encoding", "").lower() == "deflate":
                request.body = zlib.compress(json.dumps(call).encode())
        return None

    app.register_middleware(check_request, "request")
    app.register_listener(running.open, "before_server_start")
    app.register_listener(running.close, "after_server_stop")
    return app


def _inflated(request: Any) -> bytes:
    body: bytes = request.body
    if request.headers.get("Content-Encoding", "").lower() == "deflate":
        inflater = zlib.decompressobj()
        body = inflater.decompress(body, MAX_BODY_BYTES)
        if inflater.unconsumed_tail:
            raise ValueError("inflated body too large")
    return body


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Run until SIGINT/SIGTERM (Sanic installs the handlers)."""
    app = create_server(settings)
    host = host or settings.rasa.actions_host
    port = port or settings.rasa.actions_port
    log.info("rasa action server listening on %s:%s", host, port)
    app.run(
        host=host,
        port=port,
        access_log=False,
        single_process=True,
        motd=False,
    )
