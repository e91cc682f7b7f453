"""Where new-case alerts go: the office's SMTP server and a Telegram group per team.

Both only ever carry the short, content-free text that bot.office.new_case_alerts writes. Errors
are reported by class and status only: SMTP and HTTP error texts can repeat addresses, and a
Bot API URL contains the token.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

import aiohttp

from bot.settings import NotificationSettings, SettingsError

SMTP_TIMEOUT = 20.0
HTTP_TIMEOUT = 20.0


class AlertFailed(Exception):
    """Sending failed; the message names the error's kind only, never an address or token."""


class AlertSender(Protocol):
    name: str

    def teams(self) -> set[str]:
        """The team ids this channel has a destination for."""
        ...

    async def send(self, team_id: str, subject: str, text: str) -> None:
        """Deliver one alert to the team's destination; raises AlertFailed."""
        ...


class EmailSender:
    """Plain e-mail over the standard library's smtplib, run in a worker thread.

    Why not an async SMTP library: one short message every few minutes at most does not
    need one, and smtplib's STARTTLS/TLS handling is maintained with Python itself; one
    dependency fewer in a service that handles special-category data.
    """

    name = "email"

    def __init__(self, settings: NotificationSettings, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.clock = clock

    def teams(self) -> set[str]:
        return {team for team, to in self.settings.email_recipients.items() if to}

    async def send(self, team_id: str, subject: str, text: str) -> None:
        recipients = self.settings.email_recipients.get(team_id, [])
        if not recipients:
            return
        await self.send_to(recipients, subject, text)

    async def send_to(self, recipients: list[str], subject: str, text: str) -> None:
        """One plain-text mail to `recipients`; raises AlertFailed (also used by the
        accessibility feedback form, bot/office/feedback.py)."""
        message = EmailMessage()
        message["From"] = self.settings.email_from
        message["To"] = ", ".join(recipients)
        message["Subject"] = subject
        message["Date"] = formatdate(self.clock().timestamp())
        # make_msgid reads the machine's time only to make the id unique, not to date anything.
        message["Message-ID"] = make_msgid(domain=self.settings.email_from.rpartition("@")[2])
        message.set_content(text)
        try:
            await asyncio.to_thread(self._send, message)
        except smtplib.SMTPResponseException as exc:
            raise AlertFailed(f"{type(exc).__name__} {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise AlertFailed(type(exc).__name__) from None

    def _send(self, message: EmailMessage) -> None:
        s = self.settings
        host = s.smtp_host or "localhost"
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.smtp_security == "tls":
            smtp = smtplib.SMTP_SSL(host, s.smtp_port, timeout=SMTP_TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(host, s.smtp_port, timeout=SMTP_TIMEOUT)
        with smtp:
            smtp.ehlo()
            if s.smtp_security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.smtp_username:
                try:
                    password = s.smtp_password() or ""
                except SettingsError:
                    raise AlertFailed("smtp_password_file unreadable") from None
                smtp.login(s.smtp_username, password)
            smtp.send_message(message)


class TelegramGroupSender:
    """A message to the team's Telegram group through the Bot API's sendMessage.

    A plain HTTPS POST: the intake's Telegram channel is a different concern, and an alert
    needs nothing of a bot framework.
    """

    name = "telegram"

    def __init__(self, settings: NotificationSettings, session: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.session = session

    def teams(self) -> set[str]:
        return set(self.settings.telegram_chat_ids)

    async def send(self, team_id: str, subject: str, text: str) -> None:
        chat_id = self.settings.telegram_chat_ids.get(team_id)
        try:
            token = self.settings.resolved_telegram_token()
        except SettingsError:
            raise AlertFailed("telegram_token_file unreadable") from None
        if chat_id is None or not token:
            return
        url = f"{self.settings.telegram_base_url}{token}/sendMessage"
        payload: dict[str, Any] = {
            "chat_id": chat_id,
            "text": text,
            "link_preview_options": {"is_disabled": True},
        }
        try:
            async with self.session.post(
                url, json=payload, timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
            ) as resp:
                body: Any = await resp.json(content_type=None)
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise AlertFailed(type(exc).__name__) from None
        if status != 200 or not isinstance(body, dict) or body.get("ok") is not True:
            code = body.get("error_code", status) if isinstance(body, dict) else status
            raise AlertFailed(f"Bot API error {code}")


def configured_senders(
    settings: NotificationSettings,
    session: aiohttp.ClientSession | None,
    clock: Callable[[], datetime],
) -> list[AlertSender]:
    senders: list[AlertSender] = []
    if settings.email_enabled:
        senders.append(EmailSender(settings, clock))
    if settings.telegram_enabled and session is not None:
        senders.append(TelegramGroupSender(settings, session))
    return senders
