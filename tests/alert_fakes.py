"""Stand-ins for the far ends of new-case alerts: a tiny SMTP server and a Bot API endpoint.

Just enough of each protocol for the real clients (smtplib, aiohttp) to talk to them, on
loopback only.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert body is not None
        content: str = body.get_content()
        return content


@dataclass
class TinySmtp:
    """EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; `fail_next` refuses that many MAILs
    with a temporary error (451), as a mail server that is briefly unwell does."""

    mails: list[Mail] = field(default_factory=list)
    fail_next: int = 0
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        say("220 tiny.test ESMTP")
        sender, recipients = "", list[str]()
        try:
            while raw := await reader.readline():
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                verb = line[:4].upper()
                if verb == "EHLO":
                    say("250-tiny.test")
                    say("250 8BITMIME")
                elif verb == "HELO":
                    say("250 tiny.test")
                elif verb == "MAIL":
                    if self.fail_next:
                        self.fail_next -= 1
                        say("451 4.3.0 Temporary failure, try again later")
                        continue
                    sender, recipients = _address(line), []
                    say("250 OK")
                elif verb == "RCPT":
                    recipients.append(_address(line))
                    say("250 OK")
                elif verb == "DATA":
                    say("354 End data with <CR><LF>.<CR><LF>")
                    await writer.drain()
                    lines = []
                    while (chunk := await reader.readline()) not in (b".\r\n", b""):
                        lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                    parsed = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
                    assert isinstance(parsed, EmailMessage)
                    self.mails.append(Mail(sender, recipients, parsed))
                    say("250 OK queued")
                elif verb in ("RSET", "NOOP"):
                    say("250 OK")
                elif verb == "QUIT":
                    say("221 Bye")
                    break
                else:
                    say("502 Command not implemented")
                await writer.drain()
        finally:
            writer.close()


def _address(line: str) -> str:
    return line.partition("<")[2].partition(">")[0]


class FakeBotApi:
    """POST /bot<token>/sendMessage as the Bot API documents it: JSON in, {"ok": true,
    "result": Message} out; a wrong token gets 401 {"ok": false, ...}."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.sent: list[dict[str, Any]] = []
        self.fail_next = 0
        app = web.Application()
        app.router.add_post("/bot{token}/sendMessage", self._send_message)
        self.server = TestServer(app, host="127.0.0.1")

    @property
    def base_url(self) -> str:
        return str(self.server.make_url("/bot"))

    async def _send_message(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        if self.fail_next:
            self.fail_next -= 1
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                },
                status=429,
            )
        body = await request.json()
        self.sent.append(body)
        message = {
            "message_id": len(self.sent),
            "date": 0,
            "chat": {"id": int(body["chat_id"]), "type": "group", "title": "Team"},
            "text": body["text"],
        }
        return web.json_response({"ok": True, "result": message})
