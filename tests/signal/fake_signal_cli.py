"""A stand-in for `signal-cli daemon --http` at the wire, for the Signal tests.

signal-cli cannot reach Signal's servers here, so this serves the same three endpoints with
the shapes of signal-cli-jsonrpc(5): JSON-RPC 2.0 at `POST /api/v1/rpc` (`send` answers
`{"timestamp": …, "results": [{"recipientAddress": …, "type": "SUCCESS"}]}`, or a failure
type for an unregistered recipient), incoming envelopes as Server-Sent Events at
`GET /api/v1/events` (each with an `id`; the last 1000 kept and replayed after a client's
`Last-Event-ID`, all of them for an unknown id), and `GET /api/v1/check`.

A test makes a person write (`incoming`) and reads what the service sent (`sent`); it can
stop the daemon and start it again on the same port (the sidecar going away).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

ACCOUNT = "+4951100000000"
KEPT = 1000


@dataclass
class Sent:
    recipient: str
    message: str


@dataclass
class FakeSignalCli:
    port: int = 0
    kept: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    unregistered: set[str] = field(default_factory=set)
    rate_limited: int = 0
    """So many `send` calls from now on fail with Signal's rate limit."""
    fail_once: str | None = None
    """The next `send` fails with this error message ({recipient} filled in, as signal-cli's
    messages name the recipient)."""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _listeners: set[asyncio.Queue[tuple[int, dict[str, Any]]]] = field(default_factory=set)
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        if not self.port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
        app = web.Application()
        app.router.add_post("/api/v1/rpc", self._rpc)
        app.router.add_get("/api/v1/events", self._events)
        app.router.add_get("/api/v1/check", self._check)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        """The daemon goes away: open streams end, the port refuses connections."""
        for queue in list(self._listeners):
            queue.put_nowait((0, {}))  # wakes each stream so it ends
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------ a person writes

    def incoming(
        self,
        aci: str,
        text: str | None = None,
        *,
        number: str | None = None,
        timestamp: int | None = None,
        attachments: list[dict[str, Any]] | None = None,
        group: bool = False,
        typing: bool = False,
    ) -> int:
        """An envelope from `aci` (with its phone number when `number` is given, as from a
        person who shares it); returns the envelope's timestamp."""
        stamp = timestamp or int(time.time() * 1000) + next(self._ids)
        envelope: dict[str, Any] = {
            "source": number or aci,
            "sourceNumber": number,
            "sourceUuid": aci,
            "sourceName": "Anna",
            "sourceDevice": 1,
            "timestamp": stamp,
        }
        if typing:
            envelope["typingMessage"] = {"action": "STARTED", "timestamp": stamp}
        else:
            data: dict[str, Any] = {
                "timestamp": stamp,
                "message": text,
                "expiresInSeconds": 0,
                "viewOnce": False,
                "attachments": attachments or [],
            }
            if group:
                data["groupInfo"] = {"groupId": "R3JvdXBJZA==", "type": "DELIVER"}
            envelope["dataMessage"] = data
        self.publish({"envelope": envelope, "account": ACCOUNT})
        return stamp

    def replay(self, event_id: int) -> None:
        """Send a kept event again (signal-cli does after a reconnect)."""
        for kept_id, event in self.kept:
            if kept_id == event_id:
                for queue in self._listeners:
                    queue.put_nowait((kept_id, event))

    def publish(self, params: dict[str, Any]) -> int:
        event_id = next(self._ids)
        self.kept.append((event_id, params))
        del self.kept[:-KEPT]
        for queue in self._listeners:
            queue.put_nowait((event_id, params))
        return event_id

    def to(self, aci: str) -> list[str]:
        return [s.message for s in self.sent if s.recipient == aci]

    # ------------------------------------------------------------ the endpoints

    async def _check(self, request: web.Request) -> web.Response:
        return web.Response(status=200)

    async def _rpc(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(body)
        method, params, rid = body.get("method"), body.get("params") or {}, body.get("id")
        if method == "send":
            recipients = params.get("recipient") or []
            if isinstance(recipients, str):
                recipients = [recipients]
            if self.fail_once is not None:
                message, self.fail_once = self.fail_once.format(recipient=recipients[0]), None
                return _error(rid, -1, message)
            if self.rate_limited:
                self.rate_limited -= 1
                limited = {"type": "RATE_LIMIT_FAILURE", "retryAfterSeconds": 1}
                return _error(
                    rid,
                    -5,
                    "Failed to send message due to rate limiting",
                    {"response": {"results": [limited]}},
                )
            results = []
            for recipient in recipients:
                gone = recipient in self.unregistered
                if not gone:
                    self.sent.append(Sent(recipient, str(params.get("message"))))
                results.append(
                    {
                        "recipientAddress": {"uuid": recipient, "number": None},
                        "type": "UNREGISTERED_FAILURE" if gone else "SUCCESS",
                    }
                )
            return _result(rid, {"timestamp": int(time.time() * 1000), "results": results})
        if method in ("sendTyping", "sendReceipt"):
            return _result(rid, {})
        return _error(rid, -32601, "Method not implemented")

    async def _events(self, request: web.Request) -> web.StreamResponse:
        queue: asyncio.Queue[tuple[int, dict[str, Any]]] = asyncio.Queue()
        last = request.headers.get("Last-Event-ID")
        known = {str(i) for i, _ in self.kept}
        if last is not None:
            # After an id it knows, what came later; after one it does not know, all it kept.
            for event_id, event in self.kept:
                if last not in known or event_id > int(last):
                    queue.put_nowait((event_id, event))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        self._listeners.add(queue)
        try:
            while True:
                event_id, event = await queue.get()
                if not event:
                    break
                line = json.dumps(event)
                await response.write(f"id:{event_id}\nevent:receive\ndata:{line}\n\n".encode())
        finally:
            self._listeners.discard(queue)
        return response


def _result(rid: Any, result: Any) -> web.Response:
    return web.json_response({"jsonrpc": "2.0", "result": result, "id": rid})


def _error(rid: Any, code: int, message: str, data: Any = None) -> web.Response:
    return web.json_response(
        {"jsonrpc": "2.0", "error": {"code": code, "message": message, "data": data}, "id": rid}
    )
