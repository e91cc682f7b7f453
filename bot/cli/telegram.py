"""`anlaufstelle telegram set-webhook | delete-webhook`: tell Telegram where updates go.

set-webhook registers `telegram.webhook_url` with the secret token (Telegram then sends it in
every request, and our route refuses requests without it) and the update types we handle.
Errors never quote the bot token: PTB's own message for a rejected token does.
"""

from __future__ import annotations

from typing import TextIO

from telegram.error import InvalidToken, TelegramError

from bot.channels.telegram import ALLOWED_UPDATES, build_bot
from bot.settings import TelegramSettings


class TelegramCommandError(Exception):
    """Printed as one line by the CLI."""


async def set_webhook(settings: TelegramSettings, out: TextIO) -> int:
    if not settings.enabled:
        raise TelegramCommandError("telegram.token (or telegram.token_file) is not set")
    if settings.mode != "webhook":
        raise TelegramCommandError(
            "telegram.mode is polling; set it to webhook first (polling removes any webhook)"
        )
    if not settings.webhook_url or not settings.webhook_url.startswith(("https://", "http://")):
        raise TelegramCommandError("telegram.webhook_url must be the public https URL")
    secret = settings.resolved_secret_token()
    bot = build_bot(settings)
    try:
        async with bot:
            await bot.set_webhook(
                settings.webhook_url,
                secret_token=secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
            info = await bot.get_webhook_info()
    except InvalidToken:
        raise TelegramCommandError("Telegram rejected the bot token") from None
    except TelegramError as exc:
        raise TelegramCommandError(f"Telegram refused ({exc.__class__.__name__})") from None
    out.write(
        f"Telegram sends updates to {info.url or settings.webhook_url} "
        f"({info.pending_update_count} waiting).\n"
    )
    return 0


async def delete_webhook(settings: TelegramSettings, out: TextIO) -> int:
    if not settings.enabled:
        raise TelegramCommandError("telegram.token (or telegram.token_file) is not set")
    bot = build_bot(settings)
    try:
        async with bot:
            await bot.delete_webhook()
    except InvalidToken:
        raise TelegramCommandError("Telegram rejected the bot token") from None
    except TelegramError as exc:
        raise TelegramCommandError(f"Telegram refused ({exc.__class__.__name__})") from None
    out.write("Webhook removed; updates wait for polling.\n")
    return 0
