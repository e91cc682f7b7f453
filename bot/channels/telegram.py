"""The Telegram channel: python-telegram-bot as a transport only (docs/telegram.md).

Updates arrive by webhook (our aiohttp route checks Telegram's secret token header) or by
polling (a background task calling getUpdates). Either way each update is translated into an
`InboundMessage` and handed to the conversation service; a webhook request is answered 200
and a polled update is confirmed (the offset advanced) only after the service committed it,
so Telegram sends again whatever we could not store. Replies leave through the outbox and
`TelegramChannel.send`.

No PTB `Application`, handlers, persistence or ConversationHandler: `Application.process_update`
hands handler errors to error handlers instead of raising them, and we must know whether an
update was stored before we acknowledge it. A plain `telegram.Bot` sends and parses.

Some messages are the adapter's own and never pass the service or the database: the privacy
notice at the first contact, the reply to voice messages, stickers and locations (whose content
is dropped unread), the refusal of groups, /help, the /language and /delete keyboards. Photos
and documents are fetched (getFile) and handed to the service as a file.

Privacy: the address given to the service is the chat id as a string; the service stores it
only encrypted and looks it up by a keyed hash. Nothing here logs a chat id, a name or a text,
and the HTTP client's request log (which names the bot token in every URL) is silenced.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import math
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO, Final, Protocol, cast

from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot import bounded_json
from bot.bounded_json import JsonRejected
from bot.channels import telegram_render as render
from bot.channels import telegram_texts as texts
from bot.channels.base import (
    SOURCE_TAG,
    DeliveryFailed,
    FileRefused,
    InboundMessage,
    InvalidMessage,
    OutboundMessage,
    RecipientUnreachable,
    SlowDown,
    without_lone_surrogates,
)
from bot.channels.received import ReceivedNotices
from bot.clock import Clock, SystemClock
from bot.evidence.limits import Limits
from bot.evidence.refusals import refusal_text
from bot.office import legal
from bot.settings import LegalSettings, TelegramSettings
from storage.spool import Spool, TooLarge

log = logging.getLogger(__name__)

NAME: Final = "telegram"
WEBHOOK_PATH: Final = "/telegram/webhook"
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  # a header name
MAX_UPDATE_BYTES: Final = 64 * 1024
"""Largest webhook body taken (the app's own request limit); a text update is a few KiB."""
ALLOWED_UPDATES: Final = (
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
    "channel_post",
)
COMMANDS: Final = ("start", "help", "language", "restart", "delete")
MEMORY_CHATS: Final = 10_000
"""Chats whose last prompt and language the adapter remembers (least recently used go)."""
RETRY_PAUSE_SECONDS: Final = (1.0, 2.0, 5.0, 10.0, 30.0)


class Backend(Protocol):
    """The conversation service as the Telegram adapter uses it."""

    async def handle(
        self, msg: InboundMessage, committed: Callable[[Any], Awaitable[None]] | None = None
    ) -> Any: ...

    async def history(self, channel: str, address: str, token: bytes | None) -> Any: ...

    async def forget(self, channel: str, address: str) -> int: ...


def app_language(code: str | None) -> str | None:
    """The language of the person's Telegram app (`language_code`, "en-GB" → "en"), or None
    when Telegram does not say. Only a hint: the service takes it where the flow speaks it."""
    base = (code or "").split("-")[0].lower()
    return base if base.isascii() and base.isalpha() else None


Languages = Callable[[], Awaitable[Sequence[str]]]
"""The languages the current flow speaks, for the /language buttons."""


@dataclass(frozen=True)
class SentFile:
    file_id: str
    size: int | None
    """As Telegram announces it (None when it does not say)."""


def sent_file(message: Message) -> SentFile | None:
    """The file of a photo (its largest size), a document or a voice message (taken as a
    file, never transcribed); None for anything else (stickers, videos, locations)."""
    if message.photo:
        largest = max(message.photo, key=lambda p: p.width * p.height)
        return SentFile(largest.file_id, largest.file_size)
    if message.document is not None:
        return SentFile(message.document.file_id, message.document.file_size)
    if message.voice is not None:
        return SentFile(message.voice.file_id, message.voice.file_size)
    return None


def quiet_http_logs() -> None:
    """httpx logs every request URL at INFO, and Bot API URLs contain the bot token; PTB logs
    request parameters (texts, chat ids) at DEBUG. Neither may reach our logs."""
    for name in ("httpx", "httpcore", "telegram"):
        logging.getLogger(name).setLevel(logging.WARNING)


def build_bot(settings: TelegramSettings) -> Bot:
    quiet_http_logs()
    return Bot(
        settings.resolved_token(),
        base_url=settings.base_url,
        # Files come from ".../file/bot<token>/<path>" beside ".../bot<token>/<method>".
        base_file_url=settings.base_url.removesuffix("bot") + "file/bot",
        request=HTTPXRequest(connect_timeout=10, read_timeout=20, write_timeout=20),
        get_updates_request=HTTPXRequest(
            connect_timeout=10, read_timeout=settings.poll_timeout_seconds + 10
        ),
    )


def retry_seconds(exc: RetryAfter) -> float:
    """Telegram's retry_after in seconds, whichever type this PTB version hands out."""
    with warnings.catch_warnings():
        # PTB 22 warns that the int will become a timedelta; both are handled here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return max(0.0, seconds) if math.isfinite(seconds) else 0.0


# ---------------------------------------------------------------- what the adapter remembers


@dataclass
class _Chat:
    language: str | None = None
    prompt_id: int | None = None
    """The message id of the newest prompt that still shows its keyboard."""
    seen: bool = False
    """The chat is known to have a conversation (so no privacy notice is due)."""


class ChatMemory:
    """Per chat, in this process only: the newest prompt with a keyboard and the language.

    Losing it (a restart, another replica) is harmless by design: without it an old keyboard
    is not cleared and its buttons still answer (the dialog engine refuses a choice that does
    not fit the current question), the adapter's own texts fall back to the Telegram client's
    language, and the first-contact check asks the database once more.
    """

    def __init__(self, size: int = MEMORY_CHATS) -> None:
        self._chats: OrderedDict[int, _Chat] = OrderedDict()
        self._size = size

    def get(self, chat_id: int) -> _Chat:
        chat = self._chats.pop(chat_id, None) or _Chat()
        self._chats[chat_id] = chat
        while len(self._chats) > self._size:
            self._chats.popitem(last=False)
        return chat

    def forget(self, chat_id: int) -> None:
        self._chats.pop(chat_id, None)


# ---------------------------------------------------------------- sending


class TelegramChannel:
    """Delivers outbox replies with sendMessage; maps Telegram's errors for the worker."""

    name = NAME

    def __init__(self, bot: Bot, memory: ChatMemory) -> None:
        self.bot = bot
        self.memory = memory

    async def send(self, message: OutboundMessage) -> None:
        try:
            chat_id = int(message.address)
        except ValueError:
            raise RecipientUnreachable("not a Telegram chat id") from None
        rendered = render.render(message)
        chat = self.memory.get(chat_id)
        if chat.prompt_id is not None:
            # Whatever the bot says next follows an answer: the keyboard of a question
            # answered by typing goes (also the last one, before the handover's text).
            await self._clear_keyboard(chat_id, chat.prompt_id)
            chat.prompt_id = None
        try:
            for chunk in rendered.chunks[:-1]:
                await self.bot.send_message(chat_id, chunk)
            sent = await self.bot.send_message(
                chat_id, rendered.chunks[-1], reply_markup=rendered.keyboard
            )
        except RetryAfter as exc:
            raise DeliveryFailed("Telegram flood control", retry_seconds(exc)) from None
        except Forbidden:
            # Blocked by the person, or their account is gone.
            raise RecipientUnreachable("Telegram: forbidden") from None
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise RecipientUnreachable("Telegram: chat not found") from None
            raise DeliveryFailed("Telegram refused the request (BadRequest)") from None
        except InvalidToken:
            raise DeliveryFailed("Telegram rejected the bot token") from None
        except (NetworkError, TelegramError) as exc:
            # Includes TimedOut and every 5xx: try again later.
            raise DeliveryFailed(f"Telegram unavailable ({exc.__class__.__name__})") from None
        chat.language = message.language
        if rendered.keyboard is not None:
            chat.prompt_id = sent.message_id

    async def typing(self, address: str) -> None:
        """Telegram's "typing …" line in the person's chat while a counsellor writes."""
        with contextlib.suppress(TelegramError, ValueError):
            await self.bot.send_chat_action(int(address), ChatAction.TYPING)

    async def _clear_keyboard(self, chat_id: int, message_id: int) -> None:
        with contextlib.suppress(TelegramError):
            await self.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)


# ---------------------------------------------------------------- receiving


@dataclass(frozen=True)
class _Command:
    name: str
    payload: str


def parse_command(text: str) -> _Command | None:
    """`/name[@bot] [payload]` → the command; None for ordinary text."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, payload = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    return _Command(name, payload.strip())


def source_tag(payload: str) -> str | None:
    """A /start deep-link payload as an anonymous source tag, if it looks like one."""
    return payload if SOURCE_TAG.fullmatch(payload) else None


class TelegramReceiver:
    """Turns one update into what it means: a message for the service or an adapter reply.

    `process` raises when the update could not be handled; the caller then does not
    acknowledge it (webhook: HTTP 500; polling: the offset stays), so Telegram sends it again.
    """

    def __init__(
        self,
        bot: Bot,
        backend: Backend,
        memory: ChatMemory,
        languages: Languages,
        webchat_url: str | None = None,
        legal_settings: LegalSettings | None = None,
        file_limits: Limits | None = None,
        spool_dir: Path | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.bot = bot
        self.backend = backend
        self.clock = clock or SystemClock()
        self.received = ReceivedNotices(self.clock)
        self.memory = memory
        self.languages = languages
        self.file_limits = file_limits or Limits()
        """The office's file limits: a larger file is not even downloaded."""
        self.spool_dir = spool_dir
        """Where a fetched file waits, encrypted, until the service has cleaned it."""
        self.webchat_url = webchat_url
        self.legal = legal_settings or LegalSettings()
        """The office's privacy notice and imprint, linked in the first-contact notice."""

    async def process(self, update: Update) -> None:
        if update.my_chat_member is not None:
            member = update.my_chat_member
            if member.chat.type != ChatType.PRIVATE:
                await self._decline(
                    member.chat.id, member.chat.type, member.from_user.language_code
                )
            return
        if update.channel_post is not None:
            await self._leave(update.channel_post.chat.id)
            return
        chat = update.effective_chat
        if chat is None:
            return  # nothing we subscribed to
        if chat.type != ChatType.PRIVATE:
            if update.message is not None:
                user = update.message.from_user
                await self._decline(chat.id, chat.type, user.language_code if user else None)
            return
        if update.callback_query is not None:
            await self._callback(chat.id, update.callback_query)
        elif update.message is not None:
            await self._message(chat.id, update.message)
        # Edited messages are not taken: the answer was already stored as first sent.

    # -- helpers

    def _language(self, chat_id: int, hint: str | None) -> str:
        return texts.language_of(self.memory.get(chat_id).language or hint)

    async def _say(
        self, chat_id: int, key: str, language: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        values = {}
        if key == "privacy":
            link = texts.text("webchat_link", language, url=self.webchat_url or "")
            values["webchat"] = link if self.webchat_url else ""
            values["legal"] = "".join(
                texts.text(f"{kind}_link", language, url=url)
                for kind in legal.KINDS
                if (url := legal.public_link(self.legal, kind, language)) is not None
            )
        await self._tell(chat_id, language, texts.text(key, language, **values), markup)

    async def _tell(
        self,
        chat_id: int,
        language: str,
        body: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        # The adapter's own messages are automatic too, and say so like the bot's.
        text = f"{texts.text('bot', language)}\n{body}"
        await self.bot.send_message(chat_id, text, reply_markup=markup)

    async def _decline(self, chat_id: int, chat_type: str, hint: str | None) -> None:
        """Groups and channels: say why once, then leave; nothing is stored."""
        log.info("telegram: declined a %s chat", chat_type)
        if chat_type != ChatType.CHANNEL:
            with contextlib.suppress(TelegramError):
                await self._say(chat_id, "group_decline", texts.language_of(hint))
        await self._leave(chat_id)

    async def _leave(self, chat_id: int) -> None:
        with contextlib.suppress(TelegramError):
            await self.bot.leave_chat(chat_id)

    async def _deliver(
        self, msg: InboundMessage, committed: Callable[[Any], Awaitable[None]] | None = None
    ) -> str:
        """Hand the message to the service; its status ("stale" for an old button,
        "throttled" when it was refused for now and the person asked to wait). `committed`
        runs once it is stored, before its replies go out."""
        handled = await self._handed(msg, committed)
        return "throttled" if handled is None else str(getattr(handled, "status", "processed"))

    async def _handed(
        self, msg: InboundMessage, committed: Callable[[Any], Awaitable[None]] | None = None
    ) -> Any:
        """The service's outcome of the message; None when it was refused for now (the
        person was asked to wait)."""
        try:
            handled = await self.backend.handle(msg, committed)
        except SlowDown:
            # Answered, not raised: a raised error would make Telegram send the update again
            # and again. Nothing was stored; the person may send it again later.
            chat_id = int(msg.address)
            await self._say(chat_id, "slow_down", self._language(chat_id, None))
            return None
        self.memory.get(int(msg.address)).seen = True
        return handled

    async def _received(self, chat_id: int, language: str, handled: Any) -> None:
        """Tell a person whose case waits that their message arrived and is kept for the
        counsellor, when that is due (bot/channels/received.py)."""
        if self.received.due(str(chat_id), handled):
            await self._say(chat_id, "received", language)

    async def _first_contact(self, chat_id: int, language: str) -> None:
        """The privacy notice, once, before the first message of a conversation is stored."""
        chat = self.memory.get(chat_id)
        if chat.seen:
            return
        history = await self.backend.history(NAME, str(chat_id), None)
        if history.owner is None:
            await self._say(chat_id, "privacy", language)
        chat.seen = True

    # -- messages

    async def _message(self, chat_id: int, message: Message) -> None:
        user = message.from_user
        hint = user.language_code if user else None
        language = self._language(chat_id, hint)
        if message.text is None:
            sent = sent_file(message)
            if sent is None:
                # Voice, sticker, location, video …: not read, not stored.
                log.info("telegram: a non-text message was declined")
                await self._say(chat_id, "non_text", language)
                return
            await self._file(chat_id, message, sent, language)
            return
        address, client_id = str(chat_id), f"m{message.message_id}"
        command = parse_command(message.text)
        fields: dict[str, Any]
        if command is None:
            # The app's language goes with every message, not only /start: a person whose
            # first message is "Hello" starts in English (the service takes it only for a
            # conversation this message begins).
            fields = {"text": message.text, "language": app_language(hint)}
        elif command.name == "start":
            # The app's language is only a guess: pre-selected at the language question.
            base = app_language(hint)
            flow_language = base if base in await self.languages() else None
            fields = {
                "command": "start",
                "language": flow_language,
                "source": source_tag(command.payload),
            }
        elif command.name in ("restart", "back"):
            fields = {"command": command.name, "language": app_language(hint)}
        elif command.name == "language":
            offered = [code for code in await self.languages() if code in texts.LANGUAGE_NAMES]
            await self._say(chat_id, "language_prompt", language, render.language_keyboard(offered))
            return
        elif command.name == "delete":
            await self._say(chat_id, "delete_confirm", language, render.delete_keyboard(language))
            return
        else:  # /help and anything we do not know
            await self._say(chat_id, "help", language)
            return
        try:
            msg = InboundMessage(NAME, address, client_id, **fields)
        except InvalidMessage:
            await self._say(chat_id, "help", language)
            return
        await self._first_contact(chat_id, language)
        await self._received(chat_id, language, await self._handed(msg))

    async def _file(self, chat_id: int, message: Message, sent: SentFile, language: str) -> None:
        """A photo or document: fetched through the Bot API (getFile) and handed to the
        service as it came; the service checks and cleans it before anything is stored."""
        limits = self.file_limits
        if sent.size is not None and sent.size > limits.max_bytes:
            await self._tell(chat_id, language, refusal_text("too_large", language, limits))
            return
        with Spool(limits.max_bytes, self.spool_dir) as spool:
            try:
                found = await self.bot.get_file(sent.file_id)
                # Into the spool (sealed, on disk) at once: the download's buffer is the
                # only copy in memory until the service cleans the file in its turn.
                await found.download_to_memory(cast(BinaryIO, spool))
            except BadRequest:
                # Telegram gives bots files up to 20 MB only ("file is too big").
                log.info("telegram: a file could not be fetched (refused by the Bot API)")
                await self._tell(chat_id, language, refusal_text("too_large", language, limits))
                return
            except TooLarge:
                await self._tell(chat_id, language, refusal_text("too_large", language, limits))
                return
            # The caption describes the file ("das ist der Brief"); it is kept with it and
            # never answers the open question, which the service asks again.
            msg = InboundMessage(
                NAME,
                str(chat_id),
                f"m{message.message_id}",
                attachment=spool,
                caption=message.caption or None,
            )
            await self._first_contact(chat_id, language)

            async def stored(_handled: Any) -> None:
                # Before the replies the file causes (the question asked again), so the
                # question is the last thing in the chat.
                said = texts.text("file_received", language)
                if message.caption:
                    said = f"{said} {texts.text('caption_kept', language)}"
                await self._tell(chat_id, language, said)

            try:
                await self._deliver(msg, stored)
            except FileRefused as refused:
                await self._tell(chat_id, language, refusal_text(refused.reason, language, limits))
                return

    # -- buttons

    async def _callback(self, chat_id: int, query: CallbackQuery) -> None:
        cb = render.parse_callback(query.data)
        message = query.message if isinstance(query.message, Message) else None
        language = self._language(chat_id, query.from_user.language_code)
        chat = self.memory.get(chat_id)
        if cb is None:
            await self._answer(query)
            return
        if (
            cb.kind in ("c", "t", "a")
            and message is not None
            and chat.prompt_id is not None
            and message.message_id != chat.prompt_id
        ):
            # A button of an earlier question: it must not answer the current one.
            await self._answer(query, texts.text("stale_button", language))
            await self._edit(message, None)
            return
        markup = message.reply_markup if message is not None else None
        if cb.kind == "t":
            if message is not None and markup is not None:
                with contextlib.suppress(TelegramError):
                    await message.edit_reply_markup(render.toggled(markup, cb.value))
            await self._answer(query)
            return
        if cb.kind == "x":
            await self._delete(chat_id, query, message, language, confirmed=cb.value == "yes")
            return
        fields: dict[str, Any]
        shown: str | None
        if cb.kind == "c":
            fields = {"choice": cb.value}
            shown = render.label_of(markup, query.data or "")
        elif cb.kind == "l":
            fields = {"language": cb.value}
            shown = texts.LANGUAGE_NAMES.get(cb.value, cb.value)
        elif cb.value == "done":
            picked = render.selection(markup)
            fields = {"choices": tuple(i for i, _ in picked)}
            pressed = render.label_of(markup, query.data or "")
            shown = ", ".join(label for _, label in picked) or pressed
        elif cb.value == "skip":
            fields = {"choice": "skip"}
            shown = render.label_of(markup, query.data or "")
        else:  # back, restart
            fields = {"command": cb.value}
            shown = render.label_of(markup, query.data or "")
        if cb.question is not None and cb.kind != "l":
            fields["in_reply_to"] = cb.question
        msg = InboundMessage(NAME, str(chat_id), f"c{query.id}", **fields)
        await self._first_contact(chat_id, language)
        settled = False

        async def show_answer() -> None:
            nonlocal settled
            settled = True
            await self._answer(query)
            if message is not None:
                if chat.prompt_id == message.message_id:
                    chat.prompt_id = None
                await self._edit(message, shown)

        async def settle(handled: Any) -> None:
            # Stored: the question shows its answer before the next question arrives.
            if str(getattr(handled, "status", "processed")) == "processed":
                await show_answer()

        status = await self._deliver(msg, settle)
        if status == "throttled":
            await self._answer(query)
            return
        if status == "stale":
            # A button of an earlier question (after a restart the adapter's memory cannot
            # tell; the service can): it answers nothing, and its keyboard goes.
            await self._answer(query, texts.text("stale_button", language))
            if message is not None:
                await self._edit(message, None)
            return
        if not settled:  # a turn an external dialog manager drove
            await show_answer()

    async def _answer(self, query: CallbackQuery, note: str | None = None) -> None:
        """Stops the button's spinner; a failure here loses nothing."""
        with contextlib.suppress(TelegramError):
            await query.answer(note)

    async def _edit(self, message: Message, shown: str | None) -> None:
        """Show the chosen answer under the question and remove the keyboard.

        Best effort: when it fails the keyboard stays, and the answer is stored anyway."""
        with contextlib.suppress(TelegramError):
            if shown and message.text:
                await message.edit_text(render.answered(message.text, shown), reply_markup=None)
            else:
                await message.edit_reply_markup(reply_markup=None)

    async def _delete(
        self,
        chat_id: int,
        query: CallbackQuery,
        message: Message | None,
        language: str,
        *,
        confirmed: bool,
    ) -> None:
        if confirmed:
            gone = await self.backend.forget(NAME, str(chat_id))
            log.info("telegram: a person deleted their data (%s conversations)", gone)
            self.memory.forget(chat_id)
            self.received.forget(str(chat_id))
        await self._answer(query)
        # Edited into the question, it is still one of the adapter's automatic messages.
        said = texts.text("deleted" if confirmed else "kept", language)
        note = f"{texts.text('bot', language)}\n{said}"
        edited = False
        if message is not None:
            with contextlib.suppress(TelegramError):
                await message.edit_text(note, reply_markup=None)
                edited = True
        if not edited:
            await self.bot.send_message(chat_id, note)


# ---------------------------------------------------------------- webhook and polling


def secret_ok(secret: str, header: str | None) -> bool:
    # Bytes, not str: compare_digest refuses non-ASCII text, and a forged header may hold any.
    return header is not None and hmac.compare_digest(
        secret.encode(), header.encode("utf-8", "replace")
    )


def webhook_route(
    secret: str, receiver: TelegramReceiver
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def receive(request: web.Request) -> web.Response:
        if not secret_ok(secret, request.headers.get(SECRET_HEADER)):
            log.warning("telegram: webhook request with a missing or wrong secret token refused")
            return web.Response(status=403, text="forbidden")
        try:
            body = bounded_json.loads(await request.read(), max_bytes=MAX_UPDATE_BYTES)
        except JsonRejected as exc:
            return web.Response(status=400, text=f"not an update: {exc}")
        try:
            update = Update.de_json(without_lone_surrogates(body), receiver.bot)
        except Exception:
            # No detail: PTB's and json's messages may quote the body.
            log.warning("telegram: webhook body is not a Telegram update")
            return web.Response(status=400, text="not an update")
        try:
            await receiver.process(update)
        except Exception as exc:
            log.error(
                "telegram: update %s not handled (%s); Telegram will send it again",
                update.update_id,
                exc.__class__.__name__,
            )
            return web.Response(status=500, text="not handled")
        return web.Response(status=200)

    return receive


class Poller:
    """getUpdates in a loop; an update's offset is confirmed only after it was handled.

    Ordering: updates are handled one at a time, in Telegram's order. An update that fails is
    tried again (with a growing pause) before any later one, so nothing is skipped.
    """

    def __init__(self, bot: Bot, receiver: TelegramReceiver, settings: TelegramSettings) -> None:
        self.bot = bot
        self.receiver = receiver
        self.settings = settings
        self._stopping = False
        self._fetch: asyncio.Future[tuple[Update, ...]] | None = None
        self.offset: int | None = None

    def stop(self) -> None:
        """Leave after the update in hand; a pending getUpdates is cancelled."""
        self._stopping = True
        if self._fetch is not None and not self._fetch.done():
            self._fetch.cancel()

    async def _pause(self, failures: int) -> None:
        await asyncio.sleep(RETRY_PAUSE_SECONDS[min(failures, len(RETRY_PAUSE_SECONDS) - 1)])

    async def run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                await self.bot.delete_webhook()
                break
            except TelegramError as exc:
                log.warning("telegram: cannot reach the Bot API (%s)", exc.__class__.__name__)
                await self._pause(failures)
                failures += 1
        failures = 0
        while not self._stopping:
            self._fetch = asyncio.ensure_future(
                self.bot.get_updates(
                    offset=self.offset,
                    timeout=self.settings.poll_timeout_seconds,
                    allowed_updates=list(ALLOWED_UPDATES),
                )
            )
            try:
                updates = await self._fetch
            except asyncio.CancelledError:
                if self._stopping:
                    break
                raise
            except RetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc))
                continue
            except Conflict:
                log.error("telegram: another process polls this bot, or a webhook is set")
                await self._pause(failures)
                failures += 1
                continue
            except TelegramError as exc:
                log.warning("telegram: getUpdates failed (%s)", exc.__class__.__name__)
                await self._pause(failures)
                failures += 1
                continue
            failures = 0
            for update in updates:
                await self._handle(update)
                self.offset = update.update_id + 1
                if self._stopping:
                    break
            if not updates and not self._stopping:
                await asyncio.sleep(self.settings.poll_pause_seconds)
        await self._confirm()

    async def _handle(self, update: Update) -> None:
        failures = 0
        while True:
            try:
                await self.receiver.process(update)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error(
                    "telegram: update %s not handled (%s); trying again",
                    update.update_id,
                    exc.__class__.__name__,
                )
            await self._pause(failures)
            failures += 1

    async def _confirm(self) -> None:
        """Tell Telegram which updates are done, so a restart does not fetch them again."""
        if self.offset is None:
            return
        with contextlib.suppress(TelegramError, TimeoutError):
            async with asyncio.timeout(5):
                await self.bot.get_updates(offset=self.offset, timeout=0)


# ---------------------------------------------------------------- the running channel


def menu_commands(language: str) -> list[BotCommand]:
    return [BotCommand(name, texts.text(f"cmd_{name}", language)) for name in COMMANDS]


class TelegramRuntime:
    """Everything the app runs for Telegram: the bot, the outbox channel, the receiver and,
    in polling mode, the poller. `start`/`stop` belong in the app's cleanup context."""

    def __init__(
        self,
        settings: TelegramSettings,
        backend: Backend,
        languages: Languages,
        legal_settings: LegalSettings | None = None,
        file_limits: Limits | None = None,
        spool_dir: Path | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.bot = build_bot(settings)
        self.memory = ChatMemory()
        self.channel = TelegramChannel(self.bot, self.memory)
        self.receiver = TelegramReceiver(
            self.bot,
            backend,
            self.memory,
            languages,
            settings.webchat_url,
            legal_settings,
            file_limits,
            spool_dir,
            clock,
        )
        self.poller = (
            Poller(self.bot, self.receiver, settings) if settings.mode == "polling" else None
        )
        self.secret = settings.resolved_secret_token() if settings.mode == "webhook" else None
        self._task: asyncio.Task[None] | None = None

    def route(self) -> Callable[[web.Request], Awaitable[web.Response]]:
        assert self.secret is not None, "webhook mode only"
        return webhook_route(self.secret, self.receiver)

    async def start(self) -> None:
        try:
            await self.bot.initialize()
        except InvalidToken:
            # PTB's own message quotes the token; never log it.
            log.error("telegram: the Bot API rejected the bot token; check telegram.token")
        except TelegramError as exc:
            log.warning("telegram: Bot API not reachable at start (%s)", exc.__class__.__name__)
        else:
            await self._set_commands()
        if self.poller is not None:
            self._task = asyncio.create_task(self.poller.run(), name="telegram-poller")
        log.info("telegram: started (%s)", self.settings.mode)

    async def _set_commands(self) -> None:
        """The command menu in the client, per language; nice to have, so failures pass."""
        with contextlib.suppress(TelegramError):
            await self.bot.set_my_commands(menu_commands(texts.DEFAULT_LANGUAGE))
            for language in texts.LANGUAGES:
                if language not in (texts.DEFAULT_LANGUAGE, "ls"):  # Telegram has no "ls"
                    await self.bot.set_my_commands(menu_commands(language), language_code=language)

    async def stop(self) -> None:
        if self.poller is not None and self._task is not None:
            self.poller.stop()
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except TimeoutError:
                log.warning("telegram: poller did not stop in time; cancelled")
        with contextlib.suppress(TelegramError):
            await self.bot.shutdown()
        log.info("telegram: stopped")
