"""The suite's parallel run (pytest-xdist, tests/workers.py) as CI depends on it: a crashed
worker fails the run, parallel workers share one PostgreSQL server that the run stops at the
end, and a test port stays reserved until its server binds it. The run checks are done on a
small inner pytest run with two workers, in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests import pg
from tests.serve import free_port

ROOT = Path(__file__).resolve().parents[2]


def inner_run(where: Path, conftest: str, test_file: str) -> subprocess.CompletedProcess[str]:
    """`pytest -n 2 --dist each` (every test on both workers) on the given files."""
    (where / "conftest.py").write_text(conftest, encoding="utf-8")
    (where / "test_inner.py").write_text(test_file, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("PYTEST_XDIST_WORKER", "ANLAUFSTELLE_TEST_POSTGRES_URL"):
        env.pop(name, None)  # the inner run is not one of our workers, and starts its own server
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--dist", "each"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.mark.slow
def test_workers_share_one_postgresql_server_and_a_crashed_worker_fails_the_run(
    tmp_path: Path, postgres_url: str
) -> None:
    # one inner run for both (each costs two worker start-ups). postgres_url: this run has
    # PostgreSQL (or skips/fails as the rule says); the inner run starts its own server.
    conftest = """
import os

pytest_plugins = ["tests.conftest"]


def pytest_sessionfinish(session):
    if os.environ.get("PYTEST_XDIST_WORKER") == "gw1":
        os._exit(0)  # gone without a word, after every test passed
"""
    out = tmp_path / "urls"
    out.mkdir()
    test_file = f"""
import os
from pathlib import Path


def test_records_its_server(postgres_url):
    worker = os.environ["PYTEST_XDIST_WORKER"]
    Path({str(out)!r}, worker).write_text(postgres_url)
"""
    result = inner_run(tmp_path, conftest, test_file)
    shown = result.stdout + result.stderr
    assert "2 passed" in result.stdout, shown
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, shown
    assert "test worker crashed (gw1" in result.stdout, shown

    urls = {p.name: p.read_text() for p in out.iterdir()}
    assert sorted(urls) == ["gw0", "gw1"]
    assert urls["gw0"] == urls["gw1"], "each worker started a server of its own"
    assert urls["gw0"] != postgres_url
    with pytest.raises(pg.PostgresUnavailable):  # stopped with the run
        pg.run_sync(pg.check_server(urls["gw0"], connect_timeout=3))


def test_a_free_port_is_kept_from_others_until_our_server_binds_it() -> None:
    port = free_port()
    # someone else's bind (without SO_REUSEADDR, as any bind(0)) is refused
    with socket.socket() as other, pytest.raises(OSError, match="in use"):
        other.bind(("127.0.0.1", port))
    with socket.socket() as ours:  # our servers set SO_REUSEADDR (aiohttp, node, Sanic do)
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ours.bind(("127.0.0.1", port))
        ours.listen()
    # until our server binds it, nothing answers there
    with socket.socket() as client, pytest.raises(ConnectionRefusedError):
        client.connect(("127.0.0.1", free_port()))
