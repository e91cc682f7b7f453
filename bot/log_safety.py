"""Log lines that a value from outside cannot forge.

A Telegram chat type, a Rasa action name, a header: values we log for operators can carry
CR/LF or terminal escapes, and a line break in one would start a second, made-up log line.
`install()` puts a record factory in front of every logger of the process (ours and
libraries'): each record's message is formatted at once and every control character in it
escaped, so no handler or formatter ever sees a raw one. Tracebacks are not records'
messages and stay multi-line.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """`text` with every control character (and Unicode line/paragraph separator) written as
    a visible escape: "\\n", "\\r", "\\t", else "\\xNN" / "\\uNNNN"."""

    def one(match: re.Match[str]) -> str:
        char = match.group()
        named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
        if named is not None:
            return named
        code = ord(char)
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"

    return _CONTROL.sub(one, text)


class _Escaping:
    """Wraps the previous record factory; marked so `install` never wraps twice."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.inner(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging's own error report
            return record
        escaped = escape_controls(message)
        if escaped != message or record.args:
            record.msg, record.args = escaped, None
        return record


def install() -> None:
    """Escape control characters in every log record of this process from now on; idempotent."""
    current = logging.getLogRecordFactory()
    if not isinstance(current, _Escaping):
        logging.setLogRecordFactory(_Escaping(current))
