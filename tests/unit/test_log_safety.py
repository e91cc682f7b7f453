"""A value from outside with CR/LF in it cannot start a second log line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot import log_safety


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    log_safety.install()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("test.log_safety")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield out
    logger.removeHandler(handler)


def test_crlf_in_an_argument_stays_on_one_line(lines: io.StringIO) -> None:
    forged = "private\r\nERROR bot.console: admin logged in\x1b[2J\u2028x"
    logging.getLogger("test.log_safety").info("telegram: declined a %s chat", forged)
    text = lines.getvalue()
    assert text.count("\n") == 1 and "\r" not in text and "\x1b" not in text
    assert "\u2028" not in text
    assert text == (
        "INFO test.log_safety: telegram: declined a private\\r\\nERROR bot.console: "
        "admin logged in\\x1b[2J\\u2028x chat\n"
    )


def test_a_traceback_keeps_its_lines(lines: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("test.log_safety").exception("failed on %s", "a\nb")
    text = lines.getvalue()
    assert text.startswith("ERROR test.log_safety: failed on a\\nb\nTraceback")


def test_installing_twice_wraps_once() -> None:
    log_safety.install()
    first = logging.getLogRecordFactory()
    log_safety.install()
    assert logging.getLogRecordFactory() is first
