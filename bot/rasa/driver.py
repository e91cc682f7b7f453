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
from urllib.parse import quote

import aiohttp

from bot.channels.base import MAX_TEXT_LENGTH
from bot.conversation.driven_turn import ExternalReply

log = logging.getLogger(__name__)

MAX_REPLIES = 20
"""More answers to one message than any assistant sends; the rest are dropped."""
MAX_BUTTONS = 20
MAX_PAYLOAD = 100
"""Our channels take choice ids up to this length (the web chat's limit)."""


class RasaDriver:
    """The conversation service's `Driver`."""

    def __init__(
        self,
        url: str,
        timeout: float,
        session: aiohttp.ClientSession,
        api_token: str | None = None,
    ) -> None:
        self.base = url.rstrip("/")
        self.url = self.base + "/webhooks/rest/webhook"
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.session = session
        self.params = {"token": api_token} if api_token else {}
        """Rasa's HTTP API (trackers) wants the server's --auth-token as ?token=."""

    async def forget(self, sender: str) -> bool:
        """Delete Rasa's tracker of this conversation, with the case (docs/threat-model.md).

        `DELETE /conversations/{sender}/tracker` where Rasa has it (Rasa Pro); a server
        without it (Rasa Open Source answers 404 or 405) gets the documented fallback: its
        events replaced by none (`PUT …/tracker/events` with `[]`), which empties an in-memory
        or Redis tracker store; an SQL tracker store keeps its old rows. True when Rasa
        confirmed one of the two; failures are logged by kind only, never the pseudonym.
        """
        tracker = f"{self.base}/conversations/{quote(sender, safe='')}/tracker"
        try:
            async with self.session.delete(
                tracker, params=self.params, timeout=self.timeout
            ) as resp:
                if resp.status in (200, 204):
                    return True
                if resp.status not in (404, 405):
                    log.warning("rasa: deleting a tracker answered HTTP %s", resp.status)
                    return False
            async with self.session.put(
                tracker + "/events", json=[], params=self.params, timeout=self.timeout
            ) as resp:
                if resp.status == 200:
                    return True
                log.warning("rasa: emptying a tracker answered HTTP %s", resp.status)
                return False
        except TimeoutError:
            log.warning("rasa: deleting a tracker did not finish in time")
        except aiohttp.ClientError as exc:
            log.warning("rasa: deleting a tracker failed (%s)", type(exc).__name__)
        return False

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
