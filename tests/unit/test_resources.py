"""The open-files limit and the throttle on asyncio's accept-error log."""

from __future__ import annotations

import asyncio
import errno
import logging
import resource

import pytest

from bot import resources


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def accept_error() -> logging.LogRecord:
    """The record asyncio's default exception handler writes when accept() hits EMFILE."""
    exc = OSError(errno.EMFILE, "Too many open files")
    return logging.LogRecord(
        "asyncio",
        logging.ERROR,
        __file__,
        1,
        "socket.accept() out of system resource\nsocket: <TransportSocket fd=10>",
        None,
        (OSError, exc, None),
    )


def test_accept_errors_pass_once_per_interval_with_a_count() -> None:
    clock = Clock()
    throttle = resources.LogThrottle(clock, resources.is_resource_error, interval=10)
    first = accept_error()
    assert throttle.filter(first)
    assert first.exc_info is None  # one line, not 25 lines of the same traceback
    assert [throttle.filter(accept_error()) for _ in range(1000)] == [False] * 1000
    clock.now += 10
    later = accept_error()
    assert throttle.filter(later)
    assert "(1000 more suppressed since)" in later.getMessage()
    other = logging.LogRecord("asyncio", logging.ERROR, __file__, 1, "other", None, None)
    assert throttle.filter(other)  # anything else is not touched


def test_the_installed_throttle_keeps_an_accept_storm_to_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    remove = resources.throttle_accept_errors(lambda: 0.0)  # time stands still: one line
    try:
        loop = asyncio.new_event_loop()
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            for _ in range(500):
                loop.call_exception_handler(
                    {
                        "message": "socket.accept() out of system resource",
                        "exception": OSError(errno.EMFILE, "Too many open files"),
                    }
                )
        loop.close()
    finally:
        remove()
    assert len(caplog.records) == 1


def test_the_socket_budget_leaves_room_under_the_file_limit() -> None:
    assert resources.socket_budget(resources.FileLimit(1024, 1024), 2000) == 768
    assert resources.socket_budget(resources.FileLimit(256, 256), 2000) == 192
    assert resources.socket_budget(resources.FileLimit(100, 100), 2000) == 36
    assert resources.socket_budget(resources.FileLimit(1 << 20, 1 << 20), 2000) == 2000
    unlimited = resources.FileLimit(resource.RLIM_INFINITY, resource.RLIM_INFINITY)
    assert resources.socket_budget(unlimited, 2000) == 2000


def test_doctor_can_say_what_the_limit_is() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    line = resources.file_limit().describe()
    assert line.startswith(f"open files: limit {soft}")
    assert str(hard) in line or "unlimited" in line


def test_doctor_says_what_serve_will_have() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    line = resources.doctor_line(max_sockets=10)
    assert "room for 10 chat sockets" in line
    assert f"hard limit {'unlimited' if hard == resource.RLIM_INFINITY else hard}" in line
    if hard != resource.RLIM_INFINITY:
        assert "raise the hard limit" in resources.doctor_line(max_sockets=hard + 1)
