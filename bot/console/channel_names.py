"""Channels by the names counsellors and admins read ("webchat" -> "Web-Chat"): one list for
the queue, the case page and the statistics."""

from __future__ import annotations

from typing import Final

CHANNEL_NAMES: Final = {
    "webchat": "Web-Chat",
    "telegram": "Telegram",
    "signal": "Signal",
    "bridge": "Anderer Messenger (Bridge)",
    "parked": "kein Gerät (getrennt)",
}
"""The internal channel ids with their German names; "parked" is a case whose device was cut
off when its code was replaced."""


def channel_name(channel: str) -> str:
    """A channel by its name in the console; the id itself for a channel not listed."""
    return CHANNEL_NAMES.get(channel, channel)
