"""The Rasa bridge's client: Rasa's REST channel runs the bot phase of our channels' people.

`POST {rest_url}/webhooks/rest/webhook` with `{"sender": <contact pseudonym>, "message": …}`
answers with a list of `{"recipient_id", "text", "buttons": [{"title", "payload"}], …}`.
Rasa runs its dialog, calling our actions (bot.channels.rasa_actions) before it answers.

Best effort, like bot.rasa.nlu: a timeout, an HTTP error, an unreadable answer or a Rasa that
is down all give None, and the conversation service tells the person that the assistant is
unavailable and how to reach the office anyway. The sender is the keyed pseudonym, never the
address; texts are never logged, a failure only by its kind.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from bot.channels.base import MAX_TEXT_LENGTH
from bot.conversation.service import ExternalReply

log = logging.getLogger(__name__)

MAX_REPLIES = 20
"""More answers to one message than any assistant sends; the rest are dropped."""
MAX_BUTTONS = 20
MAX_PAYLOAD = 100
"""Our channels take choice ids up to this length (the web chat's limit)."""


class RasaDriver:
    """The conversation service's `Driver`."""

    def __init__(self, url: str, timeout: float, session: aiohttp.ClientSession) -> None:
        self.url = url.rstrip("/") + "/webhooks/rest/webhook"
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.session = session

    async def send(self, sender: str, message: str) -> tuple[ExternalReply, ...] | None:
        """Rasa's answers to `message`, or None whenever Rasa cannot answer in time."""
        try:
            async with self.session.post(
                self.url, json={"sender": sender, "message": message}, timeout=self.timeout
            ) as resp:
                if resp.status != 200:
                    log.warning("rasa rest channel answered HTTP %s", resp.status)
                    return None
                data = await resp.json(content_type=None)
        except TimeoutError:
            log.warning("rasa rest channel did not answer in time")
            return None
        except (aiohttp.ClientError, ValueError) as exc:
            log.warning("rasa rest channel unreachable or unreadable (%s)", type(exc).__name__)
            return None
        replies = replies_from(data)
        if replies is None:
            log.warning("rasa rest channel answered something that is not a list of messages")
        return replies


def replies_from(data: Any) -> tuple[ExternalReply, ...] | None:
    """Rasa's answer list as replies; answers we cannot show (images, custom) are skipped."""
    if not isinstance(data, list):
        return None
    replies = []
    for item in data[:MAX_REPLIES]:
        if not isinstance(item, dict):
            continue
        text = item.get("text")
        text = text[:MAX_TEXT_LENGTH] if isinstance(text, str) else ""
        buttons = tuple(
            (b["payload"], b["title"])
            for b in (item.get("buttons") or [])[:MAX_BUTTONS]
            if isinstance(b, dict)
            and isinstance(b.get("title"), str)
            and isinstance(b.get("payload"), str)
            and 0 < len(b["payload"]) <= MAX_PAYLOAD
        )
        if text or buttons:
            replies.append(ExternalReply(text, buttons))
    return tuple(replies)
