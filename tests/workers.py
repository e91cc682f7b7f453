"""What parallel test workers (pytest-xdist, `scripts/test -n 2`) share: one PostgreSQL server.

The controller process gives every worker the same private folder. The first worker that
needs PostgreSQL starts a throwaway cluster (tests/pg.py) under a file lock in that folder and
writes down where it runs; the other workers use it. Every test still gets databases of its
own, so sharing the server is safe, and initdb runs once per run instead of once per worker.
Workers end at different times (one may be done while another still runs tests), so no
worker stops the server: the controller does, after all of them have ended.

Everything else a test starts (service processes, Chromium, the Bot API emulator, Rasa's
action server) is per worker, on ports from `tests.serve.free_port` and in the worker's own
temp folders.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from tests import pg

SHARED_DIR_KEY = "anlaufstelle_shared_dir"
CLUSTER_FILE = "postgres.json"


class _Node(Protocol):
    """The part of xdist's WorkerController we use (xdist ships no type information)."""

    workerinput: dict[str, Any]
    gateway: Any  # execnet's; .id is the worker's name (gw0, gw1, ...)


def shared_dir(config: pytest.Config) -> Path | None:
    """The folder the controller shares with this worker; None when not a parallel worker."""
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    path = workerinput.get(SHARED_DIR_KEY)
    return Path(path) if path else None


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with (folder / "postgres.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


def shared_postgres_url(folder: Path) -> str:
    """The URL of the run's one cluster, started by whichever worker asks first.

    A failure to start is written down too, so every worker reports the same reason
    instead of each trying initdb again."""
    record_file = folder / CLUSTER_FILE
    with _locked(folder):
        if not record_file.exists():
            try:
                cluster = pg.start_cluster(stop_at_exit=False)
            except pg.PostgresUnavailable as exc:
                record_file.write_text(json.dumps({"error": str(exc)}), encoding="utf-8")
                raise
            record_file.write_text(json.dumps(cluster.record()), encoding="utf-8")
            return cluster.url
        record: dict[str, Any] = json.loads(record_file.read_text(encoding="utf-8"))
    if "error" in record:
        raise pg.PostgresUnavailable(str(record["error"]))
    return pg.PostgresCluster.from_record(record).url


def stop_shared_postgres(folder: Path) -> None:
    """Stop the run's cluster, if a worker started one, and remove the shared folder."""
    record_file = folder / CLUSTER_FILE
    with contextlib.suppress(FileNotFoundError):
        record: dict[str, Any] = json.loads(record_file.read_text(encoding="utf-8"))
        if "error" not in record:
            pg.PostgresCluster.from_record(record).stop()
    shutil.rmtree(folder, ignore_errors=True)


class Controller:
    """The controller's side (a pytest plugin, registered by tests/conftest.py)."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.crashed: list[str] = []

    def pytest_configure_node(self, node: _Node) -> None:
        if self.folder is None:
            # /tmp as in tests/pg.py: short paths, reachable for the postgres user
            parent = "/tmp" if os.path.isdir("/tmp") else None
            self.folder = Path(tempfile.mkdtemp(prefix="anlaufstelle-workers-", dir=parent))
            # if the controller ends without pytest_unconfigure (an internal error)
            atexit.register(stop_shared_postgres, self.folder)
        node.workerinput[SHARED_DIR_KEY] = str(self.folder)

    def pytest_unconfigure(self) -> None:
        # by now every worker has ended (xdist tears them down at session finish)
        if self.folder is not None:
            stop_shared_postgres(self.folder)

    def pytest_testnodedown(self, node: _Node, error: object | None) -> None:
        # xdist fails the test a worker crashed in, but a worker that dies while collecting
        # (it is replaced) or after its last test (in session teardown) would pass unnoticed
        if error:
            self.crashed.append(f"{node.gateway.id}: {error}")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.crashed and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        for crash in self.crashed:
            terminalreporter.write_line(f"test worker crashed ({crash}): the run fails", red=True)
