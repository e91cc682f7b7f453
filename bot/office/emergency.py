"""The emergency numbers as tap-to-call links wherever an automatic text names them.

The crisis message links every number it holds (it holds nothing else). Other texts name the
same numbers in a sentence ("Wenn Sie in Gefahr sind, rufen Sie bitte sofort 110 oder 112
an"), beside dates and counts that are no phone numbers ("zum Beispiel 24.03.2025"), so
there only the numbers the flow's crisis message gives become links: a person in danger
taps, whichever text is on the screen.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from bot.channels.base import Link
from bot.office.contact import numbers
from dialogs.model import Flow


def known_numbers(flow: Flow, language: str) -> tuple[str, ...]:
    """The phone numbers of the flow's crisis message, as they are written there."""
    return _numbers_in(flow.text(flow.crisis.message, language))


# Cached: every bot reply asks, and a flow's crisis message changes only with a new version.
@functools.lru_cache(maxsize=64)
def _numbers_in(message: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(link.text for link in numbers(message)))


@functools.lru_cache(maxsize=64)
def _pattern(known: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first: at one position the alternation takes the longer number.
    ordered = sorted(known, key=len, reverse=True)
    return re.compile(r"(?<!\d)(?:" + "|".join(map(re.escape, ordered)) + r")(?!\d)")


def links(text: str, known: Sequence[str]) -> tuple[Link, ...]:
    """Each of `known` where it stands whole in `text` ("110" not in "30110"), in the order
    they stand, as `bot.web.tel.linked` takes them; a longer number wins over a shorter one
    inside it."""
    if not known or not any(c.isdigit() for c in text):
        return ()
    found: list[tuple[int, int, str]] = []
    for match in _pattern(tuple(known)).finditer(text):
        found.append((match.start(), -len(match.group(0)), match.group(0)))
    taken: list[Link] = []
    end = 0
    for start, length, number in sorted(found):
        if start < end:
            continue
        taken.append(Link(number, "tel:" + number.replace(" ", "")))
        end = start - length
    return tuple(taken)
