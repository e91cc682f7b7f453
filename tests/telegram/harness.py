"""A Telegram peer for the tests: the `telegram-test-api` emulator, a loopback proxy that makes
it speak the Bot API as PTB 22 expects, and a scripted person.

    bot (PTB) ──HTTP──▶ WireProxy ──▶ telegram-test-api ◀── Person (the emulator's client API)
                          │    ▲
    our webhook route ◀───┘    └── the emulator's webhook pushes (relayed with the secret)

The proxy changes nothing of ours; it bridges the emulator's gaps at the wire
(/work/shared/TESTING-TELEGRAM.md):
  1. getMe lacks `is_bot`                          → added
  2. sendMessage returns `date` in milliseconds    → seconds
  3. editMessageText/ReplyMarkup return null       → true (as for any successful edit)
  4. callback queries lack `chat_instance`         → added (getUpdates and webhook pushes)
and answers the methods the emulator lacks (sendChatAction, setMyCommands, getWebhookInfo,
leaveChat, …) as the Bot API documents them. It records every call, can answer a method
with a scripted failure (429 with retry_after, 5xx, 403 blocked), and relays the emulator's
webhook pushes with the `X-Telegram-Bot-Api-Secret-Token` header the emulator never sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels import telegram_texts as texts
from tests.serve import free_port

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
EMULATOR_JS = Path(__file__).resolve().parent / "emulator.js"
TOKEN = "123456:TEST-token-for-the-emulator"
BOT_ID = 666


# ---------------------------------------------------------------- the emulator process


class Emulator:
    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def missing() -> str | None:
        if shutil.which("node") is None:
            return "node is not installed"
        if not (NODE_DIR / "node_modules" / "telegram-test-api").is_dir():
            return "telegram-test-api is not installed in tests/node"
        return None

    def start(self) -> None:
        env = {**os.environ, "NODE_PATH": str(NODE_DIR / "node_modules")}
        self.proc = subprocess.Popen(
            ["node", str(EMULATOR_JS), str(self.port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=None,  # the emulator's own complaints show in the test output
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != b"ready":
            self.stop()
            raise AssertionError("telegram-test-api did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


# ---------------------------------------------------------------- the wire proxy


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    fault: int | None = None


@dataclass
class Fault:
    status: int
    body: dict[str, Any]


def too_many_requests(retry_after: int) -> Fault:
    return Fault(
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after},
        },
    )


def server_error(status: int = 500) -> Fault:
    body = {"ok": False, "error_code": status, "description": "Internal Server Error"}
    return Fault(status, body)


def blocked() -> Fault:
    description = "Forbidden: bot was blocked by the user"
    return Fault(403, {"ok": False, "error_code": 403, "description": description})


LOCAL_ANSWERS: dict[str, Any] = {
    "sendChatAction": True,
    "setMyCommands": True,
    "deleteMyCommands": True,
    "getMyCommands": [],
    "leaveChat": True,
    "setChatMenuButton": True,
}
"""Methods the emulator lacks (it answers 500), answered as the Bot API documents them."""


def _decode(value: str) -> Any:
    if value[:1] in "[{":
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


class WireProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.calls: list[Call] = []
        self.faults: dict[str, list[Fault]] = {}
        self.webhook_target: str | None = None
        self.webhook_secret: str | None = None
        self.relayed: list[int] = []
        self.files: dict[str, tuple[str, bytes]] = {}
        """Files a person sent, by file_id: the path getFile names and the bytes behind it
        (the emulator has neither getFile nor file downloads)."""
        self.downloads: list[str] = []
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """For PTB: `base_url + token` is the bot's API root."""
        return f"{self.url}/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/relay", self._relay)
        app.router.add_get(r"/file/bot{token}/{path:.+}", self._file)
        app.router.add_route("*", r"/bot{token}/{method}", self._bot)
        self._session = aiohttp.ClientSession()
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def fail(self, method: str, *faults: Fault) -> None:
        """Answer the next calls of `method` with these faults, in order."""
        self.faults.setdefault(method, []).extend(faults)

    def offer_file(self, file_id: str, data: bytes, path: str) -> None:
        """What Telegram's servers hold for a file a person sent."""
        self.files[file_id] = (path, data)

    async def _file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        self.downloads.append(path)
        for known, data in self.files.values():
            if known == path and request.match_info["token"] == TOKEN:
                return web.Response(body=data, content_type="application/octet-stream")
        return web.Response(status=404)

    def _get_file(self, params: dict[str, Any]) -> web.Response:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            description = "Bad Request: invalid file_id"
            body = {"ok": False, "error_code": 400, "description": description}
            return web.json_response(body, status=400)
        path, data = self.files[file_id]
        result = {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(data),
            "file_path": path,
        }
        return web.json_response({"ok": True, "result": result})

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data = await request.json()
            return dict(data) if isinstance(data, dict) else {}
        form = await request.post()
        return {k: _decode(v) for k, v in form.items() if isinstance(v, str)}

    async def _bot(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        queued = self.faults.get(method)
        if queued:
            fault = queued.pop(0)
            call.fault = fault.status
            return web.json_response(fault.body, status=fault.status)
        if method in LOCAL_ANSWERS:
            return web.json_response({"ok": True, "result": LOCAL_ANSWERS[method]})
        if method == "getFile":
            return self._get_file(params)
        if method == "getWebhookInfo":
            return web.json_response(
                {
                    "ok": True,
                    "result": {
                        "url": self.webhook_target or "",
                        "has_custom_certificate": False,
                        "pending_update_count": 0,
                    },
                }
            )
        forward = dict(params)
        if method == "setWebhook":
            self.webhook_target = str(params.get("url"))
            self.webhook_secret = params.get("secret_token")
            forward["url"] = f"{self.url}/relay"
        if method == "deleteWebhook":
            self.webhook_target = self.webhook_secret = None
        body = {k: v if isinstance(v, str) else json.dumps(v) for k, v in forward.items()}
        assert self._session is not None
        async with self._session.post(f"{self.upstream}/bot{token}/{method}", data=body) as resp:
            status = resp.status
            data = await resp.json(content_type=None)
        if status == 200 and isinstance(data, dict):
            data = self._complete(method, data)
        return web.json_response(data, status=status)

    @staticmethod
    def _complete(method: str, data: dict[str, Any]) -> dict[str, Any]:
        result = data.get("result")
        if method == "getMe" and isinstance(result, dict):
            result.setdefault("is_bot", True)  # gap 1
        elif method == "sendMessage" and isinstance(result, dict):
            if isinstance(result.get("date"), int) and result["date"] > 10**11:
                result["date"] //= 1000  # gap 2: milliseconds
        elif method in ("editMessageText", "editMessageReplyMarkup") or (
            method in ("answerCallbackQuery", "setWebhook", "deleteMessage") and result is None
        ):
            data["result"] = True  # gap 3
        elif method == "getUpdates" and isinstance(result, list):
            for update in result:
                _complete_update(update)
        return data

    async def _relay(self, request: web.Request) -> web.Response:
        """The emulator's webhook push, sent on as Telegram would: with the secret header."""
        update = _complete_update(await request.json())
        self.relayed.append(int(update.get("update_id", 0)))
        assert self._session is not None and self.webhook_target is not None
        headers = {}
        if self.webhook_secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
        async with self._session.post(self.webhook_target, json=update, headers=headers) as resp:
            return web.Response(status=resp.status)


def _complete_update(update: dict[str, Any]) -> dict[str, Any]:
    query = update.get("callback_query")
    if isinstance(query, dict):
        query.setdefault("chat_instance", "test-chat-instance")  # gap 4
    return update


# ---------------------------------------------------------------- the person


BOT_LABELS = {texts.text("bot", lang) for lang in texts.LANGUAGES}
COUNSELLOR_LABELS = {texts.text("counsellor", lang) for lang in texts.LANGUAGES}


@dataclass
class BotMessage:
    """A message the bot sent. Each must say on its first line who writes: "Automatische
    Antwort" (the program) or the counsellor's label (a person); one without fails every test
    that receives it. `text` is the message without the automatic label, `raw` as sent."""

    message_id: int
    raw: str
    keyboard: list[list[dict[str, Any]]]

    def __post_init__(self) -> None:
        first = self.raw.split("\n", 1)[0]
        assert first in BOT_LABELS | COUNSELLOR_LABELS, f"unlabelled bot message: {self.raw!r}"

    @property
    def sender(self) -> str:
        return "bot" if self.raw.split("\n", 1)[0] in BOT_LABELS else "counsellor"

    @property
    def text(self) -> str:
        return self.raw.split("\n", 1)[1] if self.sender == "bot" else self.raw

    @property
    def raw_data(self) -> list[str]:
        return [b.get("callback_data", "") for row in self.keyboard for b in row]

    @property
    def data(self) -> list[str]:
        """The buttons' data without the question number ("c:accept", not "c:accept@5"):
        what a test names; `raw_data` is what the app sent."""
        return [d.split("@", 1)[0] for d in self.raw_data]

    def raw_of(self, data: str) -> str:
        """The callback data as sent for the button a test names (`data`)."""
        for raw in self.raw_data:
            if raw.split("@", 1)[0] == data:
                return raw
        raise AssertionError(f"no button {data} in {self.data}")

    def label(self, data: str) -> str:
        wanted = self.raw_of(data)
        for row in self.keyboard:
            for b in row:
                if b.get("callback_data") == wanted:
                    return str(b["text"])
        raise AssertionError(f"no button {data} in {self.data}")


def _keyboard(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    markup = message.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    if isinstance(markup, dict):
        return list(markup.get("inline_keyboard", []))
    return []


@dataclass
class Person:
    """Someone writing to the bot, through the emulator's client API."""

    emulator: str
    chat_id: int
    language_code: str = "de"
    chat_type: str = "private"
    received: list[BotMessage] = field(default_factory=list)
    seen: int = 0
    session: aiohttp.ClientSession = field(default_factory=aiohttp.ClientSession)

    @property
    def user(self) -> dict[str, Any]:
        return {
            "id": abs(self.chat_id),
            "is_bot": False,
            "first_name": "Test",
            "language_code": self.language_code,
        }

    @property
    def chat(self) -> dict[str, Any]:
        if self.chat_type == "private":
            return {"id": self.chat_id, "type": "private", "first_name": "Test"}
        return {"id": self.chat_id, "type": self.chat_type, "title": "Eine Gruppe"}

    async def close(self) -> None:
        await self.session.close()

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.session.post(f"{self.emulator}{path}", json=body) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    def _base(self) -> dict[str, Any]:
        return {"botToken": TOKEN, "from": self.user, "chat": self.chat, "date": int(time.time())}

    async def say(self, text: str) -> None:
        await self._post("/sendMessage", {**self._base(), "text": text})

    async def send(self, **fields: Any) -> None:
        """Any message, e.g. a voice message: `send(voice={...})`."""
        await self._post("/sendMessage", {**self._base(), **fields})

    async def command(self, text: str) -> None:
        length = len(text.split(" ", 1)[0])
        entities = [{"type": "bot_command", "offset": 0, "length": length}]
        await self._post("/sendCommand", {**self._base(), "text": text, "entities": entities})

    async def current(self, message: BotMessage) -> BotMessage:
        """The message as it is now in the emulator (after the bot's edits)."""
        history = await self._post("/getUpdatesHistory", {"token": TOKEN})
        for item in history["result"]:
            m = item.get("message") or {}
            if item.get("messageId") == message.message_id and "chat_id" in m:
                return BotMessage(message.message_id, str(m.get("text", "")), _keyboard(m))
        raise AssertionError("message not found")

    async def tap(self, message: BotMessage, data: str, *, as_seen: bool = False) -> None:
        """Press a button as the Telegram app does: the query carries the message as it is.

        `as_seen`: as it was when it arrived, whatever the bot edited since (a second device
        or a client that has not caught up still shows the old keyboard)."""
        if not as_seen:
            message = await self.current(message)
        assert data in message.data, f"{data} not in {message.data}"
        data = message.raw_of(data)
        shown = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self.chat,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"},
            "text": message.raw,
            "reply_markup": {"inline_keyboard": message.keyboard},
        }
        await self._post(
            "/sendCallback", {"botToken": TOKEN, "from": self.user, "message": shown, "data": data}
        )

    async def fetch(self) -> None:
        got = await self._post("/getUpdates", {"token": TOKEN, "chatId": self.chat_id})
        for item in got["result"]:
            m = item["message"]
            self.received.append(
                BotMessage(int(item["messageId"]), str(m.get("text", "")), _keyboard(m))
            )

    async def next(
        self, where: Callable[[BotMessage], bool] = lambda m: True, within: float = 15
    ) -> BotMessage:
        """The next unseen bot message that fits; the ones before it count as seen."""
        deadline = time.monotonic() + within
        while True:
            while self.seen < len(self.received):
                message = self.received[self.seen]
                self.seen += 1
                if where(message):
                    return message
            if time.monotonic() > deadline:
                texts = [m.text[:60] for m in self.received]
                raise AssertionError(f"no fitting bot message; got {texts}")
            await asyncio.sleep(0.05)
            await self.fetch()

    async def prompt(self, within: float = 15) -> BotMessage:
        """The next message with buttons (every question of the flow has some)."""
        return await self.next(lambda m: bool(m.keyboard), within)

    async def quiet(self, seconds: float = 0.5) -> list[BotMessage]:
        """Whatever arrives within `seconds` (for checking that nothing does)."""
        await asyncio.sleep(seconds)
        await self.fetch()
        new = self.received[self.seen :]
        self.seen = len(self.received)
        return new
