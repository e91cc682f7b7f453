"""The `slow` marker means "starts a process", and the suite checks that it does.

`scripts/test -m "not slow"` is the quick local loop (docs/development.md). It is only quick,
and only runs everywhere without Chromium, node or a free port range, if every test that
starts a process (a service, Chromium, the Bot API emulator, Rasa's action server, the
command line in a subprocess) carries the marker. Tests that use one of the fixtures that
start such a process get it automatically (`mark_slow`); for everything else a Python audit
hook sees each process a test starts, in any thread, and `check` fails a test without the
marker that started one, naming the command.

The throwaway PostgreSQL server is left out: it starts once per run for whichever test asks
first, and those tests carry the `postgres` marker (`-m "not slow and not postgres"` leaves
them out as well).
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

import pytest

PROCESS_FIXTURES = frozenset(
    {"server", "rtl_server", "make_server", "browser", "emulator", "sdk_server"}
)
"""Fixtures that start a process: a test using one is slow whatever else it does."""

_SPAWN_EVENTS = frozenset(
    {"subprocess.Popen", "os.posix_spawn", "os.exec", "os.spawn", "os.system", "os.fork"}
)
# where the command line is among each event's arguments (the audit events table of the
# Python docs); os.fork has none
_ARGV_AT = {"subprocess.Popen": 1, "os.posix_spawn": 1, "os.exec": 1, "os.spawn": 2, "os.system": 0}
_POSTGRES_TOOL = re.compile(r"(?:^|/)(?:initdb|pg_ctl|pg_config)$")

_running: list[pytest.Item] = []
_started: dict[str, str] = {}  # test id -> the first process it started


def mark_slow(items: list[pytest.Item]) -> None:
    for item in items:
        if PROCESS_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def _command(event: str, args: tuple[Any, ...]) -> list[str]:
    index = _ARGV_AT.get(event)
    argv: Any = [event] if index is None or len(args) <= index else args[index]
    if isinstance(argv, str | bytes | os.PathLike):
        argv = [argv]  # os.system's shell line, or a program without arguments
    return [os.fsdecode(a) if isinstance(a, bytes | os.PathLike) else str(a) for a in argv]


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event not in _SPAWN_EVENTS or not _running:
        return
    item = _running[-1]
    if item.get_closest_marker("slow") is not None or item.nodeid in _started:
        return
    command = _command(event, args)
    if any(_POSTGRES_TOOL.search(word) for word in command):
        return
    _started[item.nodeid] = " ".join(command)


def install() -> None:
    """Watch for processes from now on (an audit hook stays for the life of the process)."""
    sys.addaudithook(_audit)


def running(item: pytest.Item | None) -> None:
    """The test whose setup, call and teardown run now (None between tests)."""
    _running[:] = [] if item is None else [item]


def check(item: pytest.Item) -> None:
    """Fail a test that started a process without carrying the `slow` marker."""
    command = _started.pop(item.nodeid, None)
    if command is not None:
        pytest.fail(
            f"this test started a process ({command[:200]}) but is not marked slow; "
            "mark it with @pytest.mark.slow so `-m 'not slow'` leaves it out",
            pytrace=False,
        )
