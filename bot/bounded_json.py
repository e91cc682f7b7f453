"""JSON from outside, parsed only once it is known to be small and shallow enough.

Python's json parser recurses once per nesting level: ten kilobytes of `[` (5,000 levels)
raise RecursionError, which no caller expects, and a 5,000-digit number raises a plain
ValueError (the int conversion limit) where callers catch only JSONDecodeError. Every route
that takes JSON from outside (web chat frames, the bridge, the Rasa actions, the Telegram
webhook) parses through `loads`, which bounds size and depth *before* parsing and turns
every failure into one `JsonRejected` whose message quotes nothing of the input.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

MAX_DEPTH = 32
"""Deepest nesting of arrays and objects taken. Our own frames need 2, Rasa's tracker and
domain about 8; Python's parser fails near 1,000."""

Reason = Literal["too_large", "too_deep", "not_json"]

# One JSON string, escapes included; an unterminated one runs to the end. Written so that it
# never backtracks (each position is read once), whatever the input.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING = frozenset(b"[{")


class JsonRejected(ValueError):
    """The input was not parsed; `reason` says why, the message is safe to show and log."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


def nesting_depth(data: bytes, stop: int) -> int:
    """How deep arrays and objects nest in `data` (brackets inside strings do not count);
    stops counting once past `stop`."""
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        if byte in _OPENING:
            depth += 1
            if depth > stop:
                return depth
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def loads(raw: bytes | str, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """Parse UTF-8 JSON of at most `max_bytes` bytes and `max_depth` levels, or raise
    JsonRejected."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > max_bytes:
        raise JsonRejected("too_large", f"JSON of more than {max_bytes} bytes")
    try:
        text = raw if isinstance(raw, str) else data.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonRejected("not_json", "not valid JSON (not UTF-8)") from None
    if nesting_depth(data, max_depth) > max_depth:
        raise JsonRejected("too_deep", f"JSON nested more than {max_depth} levels deep")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        # JSONDecodeError, the int-digit limit; RecursionError cannot happen after the depth
        # check, but a crash here would be the one thing worse than a refusal.
        raise JsonRejected("not_json", "not valid JSON") from None
