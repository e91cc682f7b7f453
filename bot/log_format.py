"""How log records become lines: plain text (the default) or JSON lines for a log pipeline.

Either way a line carries what the record's message says (ids and counts, never content:
bot/log_safety.py keeps it to one line). JSON lines add the request id of the HTTP request
the line was logged in, so an operator can follow one request across its lines without
anything that points to a person: the id is random per request and stored nowhere.
"""

from __future__ import annotations

import contextvars
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Final

from aiohttp import web

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
PLAIN: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
"""Set for the handling of one HTTP request (and the tasks it starts)."""


class JsonLines(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id if any, and a
    traceback as one escaped string."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, str] = {
            # the record's own time (logging read the clock), as an ISO date in UTC
            "time": (EPOCH + timedelta(seconds=record.created)).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def formatter(kind: str) -> logging.Formatter:
    return JsonLines() if kind == "json" else logging.Formatter(PLAIN)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
def request_ids(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    # aiohttp runs every request in a task of its own with a copy of the context, so the id
    # ends with the request without a reset; and returning the handler's awaitable instead
    # of awaiting it leaves no frame of ours beside every open WebSocket for its lifetime.
    REQUEST_ID.set(secrets.token_hex(6))
    return handler(request)
