"""The HTTP bridge channel: another system (a messenger gateway, an office's own portal) posts
a person's messages to us and receives our replies at its callback URL.

Both directions are JSON signed with HMAC-SHA256 over the raw body in the header
`X-Anlaufstelle-Signature: sha256=<hex>`. We answer an inbound post with 200 only after the
message is durably stored; our replies carry a `delivery_id` that stays the same across
retries, so the receiver can drop duplicates. See docs/bridge-protocol.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

import aiohttp
from aiohttp import web

from bot import bounded_json
from bot.bounded_json import JsonRejected
from bot.channels.base import (
    MAX_TEXT_LENGTH,
    DeliveryFailed,
    InboundMessage,
    InvalidMessage,
    OutboundMessage,
    RecipientUnreachable,
    SlowDown,
    without_lone_surrogates,
)

log = logging.getLogger(__name__)

NAME = "bridge"
SIGNATURE_HEADER = "X-Anlaufstelle-Signature"
MAX_BODY_BYTES = 64 * 1024
MAX_ID_LENGTH = 200


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    # Bytes, not str: compare_digest refuses non-ASCII text, and a forged header may hold any.
    return header is not None and hmac.compare_digest(
        sign(secret, body).encode(), header.encode("utf-8", "replace")
    )


def parse_inbound(data: Any) -> InboundMessage:
    """The bridge's JSON as an InboundMessage; InvalidMessage says what is wrong (no content)."""
    if not isinstance(data, dict):
        raise InvalidMessage("body must be a JSON object")
    allowed = {"contact", "message_id", "text", "choice", "choices", "command", "language"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidMessage(f"unknown fields: {', '.join(unknown)}")
    contact, message_id = data.get("contact"), data.get("message_id")
    for name, value in (("contact", contact), ("message_id", message_id)):
        if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_LENGTH:
            raise InvalidMessage(f"{name} must be a string of 1 to {MAX_ID_LENGTH} characters")
    text, choice, choices = data.get("text"), data.get("choice"), data.get("choices")
    command, language = data.get("command"), data.get("language")
    if text is not None and not isinstance(text, str):
        raise InvalidMessage("text must be a string")
    if isinstance(text, str) and len(text) > MAX_TEXT_LENGTH:
        raise InvalidMessage(f"text longer than {MAX_TEXT_LENGTH} characters")
    if choice is not None and not isinstance(choice, str):
        raise InvalidMessage("choice must be a string")
    if choices is not None and not (
        isinstance(choices, list)
        and all(isinstance(c, str) for c in choices)
        and len(choices) <= 100
    ):
        raise InvalidMessage("choices must be a list of strings")
    if command is not None and command not in ("start", "back", "restart"):
        raise InvalidMessage("command must be start, back or restart")
    if language is not None and not (isinstance(language, str) and len(language) <= 16):
        raise InvalidMessage("language must be a short language code")
    return InboundMessage(
        channel=NAME,
        address=str(contact),
        client_message_id=str(message_id),
        text=text,
        choice=choice,
        choices=tuple(choices) if choices is not None else None,
        command=command,
        language=language,
    )


Handler = Callable[[InboundMessage], Awaitable[Any]]


def inbound_route(secret: str, handle: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        if not signature_ok(secret, body, request.headers.get(SIGNATURE_HEADER)):
            log.warning("bridge: request with a missing or wrong signature refused")
            return web.json_response({"error": "bad signature"}, status=401)
        try:
            msg = parse_inbound(
                without_lone_surrogates(bounded_json.loads(body, max_bytes=MAX_BODY_BYTES))
            )
        except JsonRejected as exc:
            return web.json_response({"error": f"body is {exc}"}, status=400)
        except InvalidMessage as exc:
            return web.json_response({"error": str(exc)}, status=400)
        try:
            handled = await handle(msg)
        except SlowDown:
            # Nothing stored: the bridge sends it again later with the same message id.
            return web.json_response(
                {"error": "too many messages; wait a moment"},
                status=429,
                headers={"Retry-After": "60"},
            )
        return web.json_response({"status": getattr(handled, "status", "processed")})

    return receive


class BridgeChannel:
    """Posts replies to the bridge's callback URL."""

    name = NAME

    def __init__(self, callback_url: str, secret: str, session: aiohttp.ClientSession) -> None:
        self.callback_url = callback_url
        self.secret = secret
        self.session = session

    async def send(self, message: OutboundMessage) -> None:
        payload = {
            "delivery_id": message.delivery_id,
            "contact": message.address,
            "message": {
                k: v for k, v in asdict(message).items() if k not in ("delivery_id", "address")
            },
        }
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, body),
            "Idempotency-Key": message.delivery_id,
        }
        try:
            async with self.session.post(
                self.callback_url,
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=15),
            ) as resp:
                if resp.status < 300:
                    return
                if resp.status == 410:
                    raise RecipientUnreachable("callback answered 410 Gone")
                retry_after = _retry_after(resp.headers.get("Retry-After"))
                raise DeliveryFailed(f"callback answered HTTP {resp.status}", retry_after)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryFailed(f"callback unreachable ({exc.__class__.__name__})") from None


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None
