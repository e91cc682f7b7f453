"""Throwaway PostgreSQL clusters for the test suite.

``start_cluster()`` runs ``initdb`` into a private folder under /tmp, starts the
server on a free loopback port and creates the database ``anlaufstelle_test``.
The returned handle carries the SQLAlchemy URL and a ``stop()`` that kills the
server and removes the folder. Nothing is installed or configured system-wide,
so several test runs can each have their own cluster at the same time.

PostgreSQL refuses to run as root; as root the server binaries are run as the
``postgres`` system user via ``runuser``.

Every failure raises ``PostgresUnavailable`` with a reason a person can act on.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import URL, make_url

from tests.serve import free_port

__all__ = [
    "PostgresCluster",
    "PostgresUnavailable",
    "check_server",
    "create_database",
    "drop_database",
    "find_bindir",
    "run_sync",
    "start_cluster",
]

DEFAULT_DATABASE = "anlaufstelle_test"
SUPERUSER = "postgres"
HOST = "127.0.0.1"
REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
INSTALL_HINT = "install it with scripts/install-test-deps (Debian: apt-get install postgresql)"

T = TypeVar("T")


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be found, started or reached; the message says why."""


# --------------------------------------------------------------------------- binaries


def _has_server_binaries(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in REQUIRED_BINARIES)


def _version_key(bindir: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,); unparsable names sort last
    name = Path(bindir).parent.name
    return tuple(int(p) for p in name.split(".")) if re.fullmatch(r"\d+(\.\d+)*", name) else ()


def find_bindir() -> Path:
    """The folder holding initdb, pg_ctl and postgres.

    Looks at ``pg_config --bindir``, then /usr/lib/postgresql/*/bin (newest
    major version first), then PATH.
    """
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
            if out:
                candidates.append(Path(out))
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    candidates.extend(Path(d) for d in debian)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for bindir in candidates:
        if _has_server_binaries(bindir):
            return bindir
    looked = ", ".join(str(c) for c in candidates) or "nowhere (no pg_config, no initdb on PATH)"
    raise PostgresUnavailable(
        f"PostgreSQL server binaries ({', '.join(REQUIRED_BINARIES)}) not found; "
        f"looked in: {looked}; {INSTALL_HINT}"
    )


# --------------------------------------------------------------------------- helpers


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _read_tail(path: Path, lines: int = 25) -> str:
    try:
        return _tail(path.read_text(errors="replace"), lines)
    except OSError as exc:
        return f"(no log: {exc})"


def _clean_env() -> dict[str, str]:
    """The environment for the server tools: no PG* variables that could redirect them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"  # English messages in logs and errors
    return env


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even if an event loop is running."""
    result: list[T] = []
    error: list[BaseException] = []

    def runner() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=runner, name="pg-helper")
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


def _quote_ident(name: str) -> str:
    if not name or len(name.encode()) > 63 or "\x00" in name:
        raise ValueError(f"invalid PostgreSQL database name: {name!r}")
    return '"' + name.replace('"', '""') + '"'


async def _connect(url: str | URL, connect_timeout: float = 10.0) -> asyncpg.Connection:
    u = make_url(url)
    return await asyncpg.connect(
        host=u.host or HOST,
        port=u.port or 5432,
        user=u.username or SUPERUSER,
        password=u.password,
        database=u.database or "postgres",
        timeout=connect_timeout,
    )


# --------------------------------------------------------------------------- databases


async def check_server(url: str | URL, connect_timeout: float = 10.0) -> str:
    """Connect to ``url`` and return ``select version()``; raises PostgresUnavailable."""
    try:
        conn = await _connect(url, connect_timeout=connect_timeout)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        raise PostgresUnavailable(f"cannot connect to {shown}: {exc!r}") from exc
    try:
        return str(await conn.fetchval("select version()"))
    finally:
        await conn.close()


async def create_database(url: str | URL, name: str, template: str = "template0") -> str:
    """Create database ``name`` on the server of ``url`` as a copy of ``template``; its URL.

    ``url`` may name any database the user can connect to; the returned URL is the
    same with the database replaced. The default template0 is empty, and nobody connects
    to it, so concurrent calls never collide on a busy template1. A template of our own
    must have no open connection either while it is copied.
    """
    conn = await _connect(url)
    try:
        await conn.execute(
            f"CREATE DATABASE {_quote_ident(name)} TEMPLATE {_quote_ident(template)}"
        )
    finally:
        await conn.close()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str | URL, name: str | None = None) -> None:
    """Drop database ``name`` (default: the one ``url`` names), ending its sessions.

    Connects to the maintenance database ``postgres`` of the same server.
    """
    u = make_url(url)
    name = name or u.database
    if not name:
        raise ValueError("no database name given")
    conn = await _connect(u.set(database="postgres"))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")
    finally:
        await conn.close()


# --------------------------------------------------------------------------- cluster


@dataclass
class PostgresCluster:
    """A running throwaway server. ``url`` is the SQLAlchemy URL of ``anlaufstelle_test``."""

    bindir: Path
    basedir: Path
    port: int
    database: str
    startup_seconds: float
    _as_postgres: list[str] = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    host = HOST
    user = SUPERUSER

    @property
    def datadir(self) -> Path:
        return self.basedir / "data"

    @property
    def logfile(self) -> Path:
        return self.basedir / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{self.database}"

    @property
    def dsn(self) -> str:
        """The same database as a libpq/asyncpg DSN (no SQLAlchemy driver suffix)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"

    def stop(self) -> None:
        """Stop the server at once (no checkpoint) and remove its folder. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                [
                    *self._as_postgres,
                    str(self.bindir / "pg_ctl"),
                    *("-D", str(self.datadir), "-m", "immediate", "-w", "-t", "30", "stop"),
                ],
                capture_output=True,
                timeout=60,
                env=_clean_env(),
                cwd=self.basedir,
            )
        shutil.rmtree(self.basedir, ignore_errors=True)

    def record(self) -> dict[str, Any]:
        """What another process needs to use and stop this server (see ``from_record``)."""
        return {
            "bindir": str(self.bindir),
            "basedir": str(self.basedir),
            "port": self.port,
            "database": self.database,
            "startup_seconds": self.startup_seconds,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> PostgresCluster:
        """The handle of a server another process started (``record()``), e.g. to stop it."""
        prefix, _, _ = _as_postgres_prefix()
        return cls(
            bindir=Path(record["bindir"]),
            basedir=Path(record["basedir"]),
            port=int(record["port"]),
            database=str(record["database"]),
            startup_seconds=float(record["startup_seconds"]),
            _as_postgres=prefix,
        )

    def __enter__(self) -> PostgresCluster:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _as_postgres_prefix() -> tuple[list[str], int | None, int | None]:
    """Command prefix and uid/gid to run server binaries with (as root: the postgres user)."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        pw = pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise PostgresUnavailable(
            "running as root, but PostgreSQL refuses to run as root and there is no "
            f"'{SUPERUSER}' system user to run it as; {INSTALL_HINT}"
        ) from None
    runuser = shutil.which("runuser")
    if not runuser:
        raise PostgresUnavailable("running as root, but 'runuser' (util-linux) is not found")
    return [runuser, "-u", SUPERUSER, "--"], pw.pw_uid, pw.pw_gid


def _make_basedir(uid: int | None, gid: int | None) -> Path:
    # Under /tmp, not $TMPDIR: the postgres user must be able to reach it, and the
    # socket path must stay short (Unix sockets allow ~107 bytes).
    parent = "/tmp" if os.path.isdir("/tmp") else None
    basedir = Path(tempfile.mkdtemp(prefix="anlaufstelle-pg-", dir=parent))  # mode 0o700
    if uid is not None and gid is not None:
        os.chown(basedir, uid, gid)
    return basedir


def start_cluster(
    database: str = DEFAULT_DATABASE, start_timeout: int = 60, *, stop_at_exit: bool = True
) -> PostgresCluster:
    """initdb + start a private server on a free loopback port; create ``database``.

    ``stop_at_exit=False`` leaves stopping to the caller even when this process ends: for a
    server that other processes go on using (parallel test workers share one)."""
    started = time.monotonic()
    bindir = find_bindir()
    prefix, uid, gid = _as_postgres_prefix()
    basedir = _make_basedir(uid, gid)
    env = _clean_env()
    datadir = basedir / "data"
    logfile = basedir / "postgres.log"

    def run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=basedir,
            check=False,
        )

    cluster: PostgresCluster | None = None
    try:
        try:
            init = run(
                [
                    str(bindir / "initdb"),
                    *("-D", str(datadir), "-A", "trust", "-U", SUPERUSER),
                    *("--no-sync", "-E", "UTF8", "--no-locale"),
                ],
                timeout=120,
            )
        except subprocess.TimeoutExpired as exc:
            raise PostgresUnavailable(f"initdb ({bindir}) did not finish in 120 s") from exc
        if init.returncode != 0:
            raise PostgresUnavailable(
                f"initdb ({bindir}) failed with exit code {init.returncode}:\n"
                + _tail(init.stdout + "\n" + init.stderr)
            )

        # A port found free may be taken before the server binds it (another test
        # run doing the same); then try again with a new one.
        for attempt in range(1, 4):
            port = free_port()
            options = (
                f"-c listen_addresses={HOST} -p {port} -k {shlex.quote(str(basedir))} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200"
            )
            try:
                start = run(
                    [
                        str(bindir / "pg_ctl"),
                        *("-D", str(datadir), "-l", str(logfile), "-w", "-t", str(start_timeout)),
                        *("-o", options, "start"),
                    ],
                    timeout=start_timeout + 30,
                )
            except subprocess.TimeoutExpired as exc:
                raise PostgresUnavailable(
                    f"pg_ctl start did not return in {start_timeout + 30} s; server log:\n"
                    + _read_tail(logfile)
                ) from exc
            if start.returncode == 0:
                break
            log = _read_tail(logfile)
            if "already in use" in log and attempt < 3:
                logfile.unlink(missing_ok=True)
                continue
            raise PostgresUnavailable(
                f"pg_ctl start failed with exit code {start.returncode} on port {port}:\n"
                + _tail(start.stdout + "\n" + start.stderr)
                + "\nserver log:\n"
                + log
            )

        cluster = PostgresCluster(
            bindir=bindir,
            basedir=basedir,
            port=port,
            database=database,
            startup_seconds=0.0,
            _as_postgres=prefix,
        )
        if stop_at_exit:
            atexit.register(cluster.stop)  # safety net if the caller never stops it
        maintenance = make_url(cluster.url).set(database="postgres")
        try:
            run_sync(create_database(maintenance, database))
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            raise PostgresUnavailable(
                f"server started on port {port} but creating database {database!r} failed: "
                f"{exc!r}; server log:\n{_read_tail(logfile)}"
            ) from exc
        cluster.startup_seconds = time.monotonic() - started
        return cluster
    except BaseException:
        if cluster is not None:
            cluster.stop()
        else:
            # initdb or start failed: make sure no half-started server outlives us
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                if (datadir / "postmaster.pid").exists():
                    run(
                        [str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"],
                        timeout=60,
                    )
            shutil.rmtree(basedir, ignore_errors=True)
        raise
