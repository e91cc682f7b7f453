"""The German source of every text the service shows to a person, by area."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from bot.i18n.sources import case, flyer, messenger, office, rasa, signal, telegram, web
from bot.i18n.text import Text

ALL: Final[tuple[Sequence[Text], ...]] = (
    web.TEXTS,
    messenger.TEXTS,
    telegram.TEXTS,
    signal.TEXTS,
    case.TEXTS,
    office.TEXTS,
    flyer.TEXTS,
    rasa.TEXTS,
)
