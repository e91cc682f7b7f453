"""Operating-system resources the service runs on: the open-files limit, and a quiet log when
it runs out anyway.

Every WebSocket, HTTP connection, database file and log file takes one file descriptor. Many
systems start a service with a soft limit of 1,024 while allowing far more (the hard limit),
and at the soft limit asyncio's accept loop fails on every waiting connection and logs a
traceback for each, megabytes per second. So the soft limit is raised to the hard limit at
start, the web chat keeps its sockets well below whatever limit is in force
(`socket_budget`), and the accept errors are let through once per interval with a count.
"""

from __future__ import annotations

import errno
import logging
import resource
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

RESERVED_MIN = 64
"""Descriptors kept free for everything that is not a WebSocket (database, console, HTTP
requests, Telegram and bridge clients, log files), at least; a quarter of the limit above
256."""


@dataclass(frozen=True)
class FileLimit:
    soft: int
    """The limit in force; RLIM_INFINITY (-1) means none."""
    hard: int
    """The ceiling an unprivileged process may raise its soft limit to."""

    def describe(self) -> str:
        """One line for `anlaufstelle doctor`."""
        return f"open files: limit {_show(self.soft)} (hard limit {_show(self.hard)})"


def _show(value: int) -> str:
    return "unlimited" if value == resource.RLIM_INFINITY else str(value)


def file_limit() -> FileLimit:
    """The process's open-files limit as it is now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return FileLimit(soft, hard)


def raise_file_limit() -> FileLimit:
    """Raise the soft open-files limit to the hard limit where the system allows it.

    Never fails: when the system refuses (some containers, macOS with an infinite hard
    limit), the limit stays as it is and is logged, and the caps derived from it hold.
    """
    before = file_limit()
    if before.soft == before.hard:
        return before
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (before.hard, before.hard))
    except (ValueError, OSError):
        log.warning("open files: could not raise the limit of %s", _show(before.soft))
        return before
    after = file_limit()
    log.info("open files: limit raised from %s to %s", _show(before.soft), _show(after.soft))
    return after


def forbid_core_dumps() -> bool:
    """No core file: a crash must not write the team keys of logged-in counsellors, the case
    codes waiting to be shown or the server key to disk. True if the limit is 0 now."""
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        log.warning("core dumps: could not be switched off")
    return resource.getrlimit(resource.RLIMIT_CORE) == (0, 0)


def socket_budget(limit: FileLimit, wanted: int) -> int:
    """How many WebSockets may be open at once: `wanted`, but never so many that the process
    runs out of descriptors for its database and its other connections."""
    if limit.soft == resource.RLIM_INFINITY:
        return wanted
    reserve = max(RESERVED_MIN, limit.soft // 4)
    return max(1, min(wanted, limit.soft - reserve))


def doctor_line(max_sockets: int) -> str:
    """What `anlaufstelle doctor` says about open files: the limit now, what `serve` will
    raise it to, and how many chat sockets that leaves (webchat.max_sockets at most)."""
    now = file_limit()
    at_start = FileLimit(now.hard, now.hard)
    sockets = socket_budget(at_start, max_sockets)
    line = (
        f"open files: limit {_show(now.soft)}, hard limit {_show(now.hard)}; "
        f"serve raises it to {_show(at_start.soft)}, room for {sockets} chat sockets"
    )
    if sockets < max_sockets:
        line += f" (webchat.max_sockets is {max_sockets}: raise the hard limit, e.g. LimitNOFILE)"
    return line


# ---------------------------------------------------------------- the accept-error log

RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


def is_resource_error(record: logging.LogRecord) -> bool:
    """A log record about running out of descriptors or buffers (asyncio's accept loop)."""
    exc = record.exc_info[1] if record.exc_info else None
    if isinstance(exc, OSError) and exc.errno in RESOURCE_ERRNOS:
        return True
    return record.getMessage().startswith("socket.accept() out of system resource")


class LogThrottle(logging.Filter):
    """Lets one matching record through per `interval` seconds; the next one that passes
    says how many were suppressed in between. Other records pass untouched.

    Ordering: filters run in the thread that logs; the records throttled here are logged
    from the event loop only, so no lock is needed.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        matches: Callable[[logging.LogRecord], bool] = lambda record: True,
        interval: float = 10.0,
    ) -> None:
        super().__init__()
        self.matches = matches
        self.interval = interval
        self.clock = clock
        self.suppressed = 0
        self._next: float | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.matches(record):
            return True
        now = self.clock()
        if self._next is not None and now < self._next:
            self.suppressed += 1
            return False
        self._next = now + self.interval
        if self.suppressed:
            record.msg = f"{record.msg} ({self.suppressed} more suppressed since)"
            self.suppressed = 0
        # One line, no traceback: it is the same every time and says nothing new.
        record.exc_info = None
        record.exc_text = None
        return True


ACCEPT_LOGGERS = ("asyncio",)
"""Where accept errors are logged (asyncio's default exception handler)."""


def throttle_accept_errors(
    clock: Callable[[], float], interval: float = 10.0
) -> Callable[[], None]:
    """Install the throttle on asyncio's logger; returns a function that removes it."""
    throttle = LogThrottle(clock, is_resource_error, interval)
    for name in ACCEPT_LOGGERS:
        logging.getLogger(name).addFilter(throttle)

    def remove() -> None:
        for name in ACCEPT_LOGGERS:
            logging.getLogger(name).removeFilter(throttle)

    return remove
