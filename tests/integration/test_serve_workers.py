"""`anlaufstelle serve --workers 2` on PostgreSQL, as an operator runs it: one command, two
processes on one port, the people's connections spread over both and answered by either; a
worker that dies is started again, and stopping the service (or killing its first process)
leaves no worker behind. What several processes cannot share is refused in one line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from storage.crypto import ServerKey
from tests.integration.test_replicas_processes import Person
from tests.serve import Server, free_ports

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

MakeDb = Callable[..., Awaitable[str]]
PEOPLE = 24


def _with_workers(tmp_path: Path, url: str, **env: str) -> Server:
    key = tmp_path / "server.key"
    ServerKey.generate().save(key)
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    return Server(
        data,
        **{
            "ANLAUFSTELLE_DATABASE_URL": url,
            "ANLAUFSTELLE_SERVER_KEY_FILE": str(key),
            "ANLAUFSTELLE_WORKERS": "2",
            "ANLAUFSTELLE_CONSOLE__ENABLED": "false",  # its logins live in one process
            "ANLAUFSTELLE_WEBCHAT__MAX_SOCKETS_PER_CLIENT": "200",
            **env,
        },
    )


def _metrics_on(port: int) -> dict[str, str]:
    """Metrics on: the first process on `port`, worker 1 on the next."""
    return {"ANLAUFSTELLE_METRICS__ENABLED": "true", "ANLAUFSTELLE_METRICS__PORT": str(port)}


@contextlib.asynccontextmanager
async def _running(tmp_path: Path, make_db: MakeDb, **env: str) -> AsyncIterator[Server]:
    """A service with two workers, started; stopped (if still running) afterwards."""
    server = _with_workers(tmp_path, await make_db(), **env)
    await server.astart()
    try:
        yield server
    finally:
        server.stop()


async def _serve_once(server: Server) -> subprocess.CompletedProcess[str]:
    """`anlaufstelle serve` with `server`'s environment, to its end (it is refused)."""
    return await asyncio.to_thread(
        subprocess.run,
        [str(Path(sys.executable).with_name("anlaufstelle")), "serve"],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _children(pid: int) -> list[int]:
    """The processes `pid` started (its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


ESTABLISHED, LISTENING = "01", "0A"


def _sockets(pid: int, port: int, state: str = ESTABLISHED) -> int:
    """TCP sockets on local `port` in `state` that process `pid` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == state and fields[9] in inodes:
                count += 1
    return count


async def _wait_until(check: Callable[[], bool], seconds: float = 90) -> None:
    """Generous: a worker starting on a machine busy with other tests may take a while."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "waited in vain"
        await asyncio.sleep(0.1)


async def _the_worker(server: Server, not_this: int = 0) -> int:
    """The one live worker process of `server` (another one than `not_this`), once it
    listens."""
    assert server.proc is not None
    first = server.proc.pid

    def one() -> list[int]:
        return [pid for pid in _children(first) if _alive(pid) and pid != not_this]

    await _wait_until(lambda: len(one()) == 1)
    [worker] = one()
    await _wait_until(lambda: _sockets(worker, server.port, LISTENING) > 0)
    return worker


async def _started(port: int) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/metrics") as resp,
    ):
        text = await resp.text()
    [count] = [
        line.split()[1]
        for line in text.splitlines()
        if line.startswith("anlaufstelle_conversations_started_total ")
    ]
    return int(float(count))


async def _people_answered(server: Server, count: int) -> list[Person]:
    """`count` people connect, each gets the first question and an answer to their reply."""
    http = aiohttp.ClientSession()
    people = [Person(http, n) for n in range(count)]
    try:
        await asyncio.gather(*(p.connect(server) for p in people))
        await asyncio.gather(*(p.until_prompt() for p in people))
        await asyncio.gather(*(p.answer_one(0) for p in people))  # acked, next question came
    except BaseException:
        await http.close()
        raise
    return people


async def _close(people: list[Person]) -> None:
    for p in people:
        if p.ws is not None:
            await p.ws.close()
    await people[0].http.close()


async def test_two_workers_share_the_port_and_both_answer_people(
    tmp_path: Path, make_postgres_database: MakeDb
) -> None:
    metrics = free_ports(2)
    async with _running(tmp_path, make_postgres_database, **_metrics_on(metrics)) as server:
        assert server.proc is not None
        first = server.proc.pid
        await _wait_until(lambda: "Workers: 2 processes" in server.output())
        worker = await _the_worker(server)
        people = await _people_answered(server, PEOPLE)
        try:
            held = {pid: _sockets(pid, server.port) for pid in (first, worker)}
            assert sum(held.values()) == PEOPLE, held
            assert all(held.values()), f"one process holds every connection: {held}"
            assert all(p.acked for p in people)
            # Each worker counts its own on a metrics port of its own; the sum is everyone.
            started = [await _started(metrics + i) for i in range(2)]
            assert sum(started) == PEOPLE and all(started), started
            # A second service started by mistake on the port does not share it silently.
            twice = await _serve_once(server)
            assert twice.returncode == 1 and twice.stderr.strip() == (
                f"anlaufstelle: error: cannot listen on 127.0.0.1:{server.port} "
                "(Address already in use)"
            )
        finally:
            await _close(people)


async def test_a_killed_worker_is_started_again_and_a_stop_stops_every_worker(
    tmp_path: Path, make_postgres_database: MakeDb
) -> None:
    async with _running(tmp_path, make_postgres_database) as server:
        assert server.proc is not None
        worker = await _the_worker(server)
        os.kill(worker, signal.SIGKILL)
        # A new worker serves: once it listens, it takes connections and answers them.
        again = await _the_worker(server, not_this=worker)
        people = await _people_answered(server, PEOPLE)
        try:
            assert _sockets(again, server.port) > 0, "the new worker took no connection"
        finally:
            await _close(people)
        assert "worker 1 stopped (exit code -9); starting it again" in server.output()

        server.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(server.proc.wait, 60) == 0
        assert not _alive(again), "a worker outlived the service"


async def test_a_killed_first_process_leaves_no_worker_behind(
    tmp_path: Path, make_postgres_database: MakeDb
) -> None:
    async with _running(tmp_path, make_postgres_database) as server:
        worker = await _the_worker(server)
        server.kill()  # SIGKILL: no clean shutdown, nobody tells the worker
        await _wait_until(lambda: not _alive(worker))


async def test_ctrl_c_stops_the_service_and_its_workers_without_a_restart(
    tmp_path: Path, make_postgres_database: MakeDb
) -> None:
    async with _running(tmp_path, make_postgres_database) as server:
        assert server.proc is not None
        worker = await _the_worker(server)
        # A terminal sends SIGINT to every process of the foreground group.
        os.kill(worker, signal.SIGINT)
        # The worker first: it must not stop on its own (it would be restarted meanwhile).
        await asyncio.sleep(3)
        assert _alive(worker) and _children(server.proc.pid) == [worker]
        server.proc.send_signal(signal.SIGINT)
        assert await asyncio.to_thread(server.proc.wait, 60) == 0
        assert not _alive(worker)
        assert "starting it again" not in server.output()


async def test_a_worker_that_cannot_start_stops_the_service_with_its_reason(
    tmp_path: Path, make_postgres_database: MakeDb
) -> None:
    metrics = free_ports(2)
    server = _with_workers(tmp_path, await make_postgres_database(), **_metrics_on(metrics))
    with socket.socket() as taken:  # worker 1's metrics port
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", metrics + 1))
        taken.listen()
        try:
            await server.astart()  # the first process serves meanwhile
            assert server.proc is not None
            code = await asyncio.to_thread(server.proc.wait, 180)
        finally:
            server.stop()
    assert code == 1
    said = server.output()
    assert f"cannot listen for metrics on 127.0.0.1:{metrics + 1} (Address already in use)" in said
    assert said.count("worker 1 stopped (exit code 1); starting it again") == 4
    errors = (server.data_dir / f"stderr-{server.runs}.txt").read_text().splitlines()
    assert errors[-1] == (
        "anlaufstelle: error: worker 1 stopped 5 times within 30 s of its start (exit code 1); "
        "see its messages above"
    )
    assert "Traceback" not in said


@pytest.mark.parametrize(
    ("env", "said"),
    [
        (
            {"ANLAUFSTELLE_TELEGRAM__TOKEN": "1:x", "ANLAUFSTELLE_TELEGRAM__MODE": "polling"},
            "several workers need Telegram in webhook mode: only one process may poll Telegram",
        ),
        (
            {"ANLAUFSTELLE_CONSOLE__ENABLED": "true"},
            "several workers need the console off (console.enabled = false): its logins live "
            "in one process; serve the console from a `serve` of its own",
        ),
    ],
)
async def test_what_workers_cannot_share_is_refused_in_one_line(
    tmp_path: Path, make_postgres_database: MakeDb, env: dict[str, str], said: str
) -> None:
    done = await _serve_once(_with_workers(tmp_path, await make_postgres_database(), **env))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == f"anlaufstelle: error: {said}"


async def test_a_worker_restarted_on_changed_settings_refuses_and_the_others_serve_on(
    tmp_path: Path, make_postgres_database: MakeDb
) -> None:
    settings = tmp_path / "office.toml"
    settings.write_text("state_idle_hours = 72\n")
    async with _running(
        tmp_path, make_postgres_database, ANLAUFSTELLE_CONFIG=str(settings)
    ) as server:
        worker = await _the_worker(server)
        settings.write_text("state_idle_hours = 24\n")  # edited while the service runs
        os.kill(worker, signal.SIGKILL)
        await _wait_until(
            lambda: "this worker's settings, secret files or server key differ" in server.output()
        )
        assert "Traceback" not in server.output()
        people = await _people_answered(server, 4)  # the first process serves on
        await _close(people)
