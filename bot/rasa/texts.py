"""What the service itself says in a conversation that Rasa drives (rasa.drive_conversations).

Rasa's own texts come from its domain; these are the few the service needs when Rasa cannot
or must not answer. They live in the catalog (bot/i18n/sources/rasa.py, bot/i18n/po/); a
language the service does not speak gets German.
"""

from __future__ import annotations

from typing import Final

from bot.i18n.catalog import UI

UNAVAILABLE: Final = "rasa.unavailable"
AFTER_CRISIS: Final = "rasa.after_crisis"
DISCLOSURE: Final = "rasa.disclosure"
"""Said once at the start of every conversation Rasa drives (AI Act Art. 50), before
Rasa's first answer; Rasa's own texts cannot be relied on to say it."""
TALK_TO_COUNSELLOR: Final = "rasa.talk_to_counsellor"


def text(key: str, language: str) -> str:
    return UI.get(language, key)
