"""Shared pytest fixtures for the Anlaufstelle test suite."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

from bot.clock import SystemClock
from bot.conversation.flows import publish_files
from storage import meta, teams
from storage.crypto import KdfParams, ServerKey
from storage.db import Database
from storage.migrate import upgrade
from storage.store import Store
from tests import pg, processes, workers

# ============================================================================
# PostgreSQL server
#
#   postgres_url        session: SQLAlchemy URL (postgresql+asyncpg://...) of a
#                       database on a running server. ANLAUFSTELLE_TEST_POSTGRES_URL
#                       if set, else a throwaway cluster (tests/pg.py) started on
#                       first use and removed at session end; parallel workers
#                       share one (tests/workers.py).
#   make_postgres_database
#                       function: async factory, `await make(...)` -> URL of a new
#                       empty database on that server; all dropped after the test.
#   fresh_postgres_url  function: URL of one new empty database for this test.
#
# Without PostgreSQL these tests skip locally, but fail when CI=true or
# ANLAUFSTELLE_REQUIRE_POSTGRES=1: in CI they must never be skipped silently.
# Tests using them get the `postgres` marker (`-m "not postgres"` leaves them out).
# ============================================================================

POSTGRES_URL_ENV = "ANLAUFSTELLE_TEST_POSTGRES_URL"


def _postgres_required() -> bool:
    ci = os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}
    return ci or os.environ.get("ANLAUFSTELLE_REQUIRE_POSTGRES", "") == "1"


def _asyncpg_url(url: str) -> str:
    # accept postgresql://, postgres:// and postgresql+<driver>:// alike
    return re.sub(r"^postgres(?:ql)?(?:\+\w+)?://", "postgresql+asyncpg://", url.strip())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
    processes.mark_slow(items)


def pytest_configure(config: pytest.Config) -> None:
    processes.install()
    if config.pluginmanager.hasplugin("xdist") and not hasattr(config, "workerinput"):
        # the controller of parallel workers: shares one PostgreSQL server among them
        config.pluginmanager.register(workers.Controller(), "anlaufstelle-workers")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    processes.running(item)
    try:
        return (yield)
    finally:
        processes.running(None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    yield
    processes.check(item)  # a process started in the test's setup or body


def _unavailable(exc: pg.PostgresUnavailable) -> NoReturn:
    reason = f"PostgreSQL unavailable: {exc}"
    if _postgres_required():
        pytest.fail(f"{reason}\n(CI must run the PostgreSQL tests, not skip them)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    external = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if external:
        url = _asyncpg_url(external)
        try:
            pg.run_sync(pg.check_server(url))
        except pg.PostgresUnavailable as exc:
            # explicitly configured: a wrong URL is an error, not a reason to skip
            pytest.fail(f"{POSTGRES_URL_ENV} does not answer: {exc}", pytrace=False)
        yield url
        return

    shared = workers.shared_dir(request.config)
    if shared is not None:
        # a parallel worker: one server for all workers, stopped by the controller
        try:
            url = workers.shared_postgres_url(shared)
        except pg.PostgresUnavailable as exc:
            _unavailable(exc)
        yield url
        return

    try:
        cluster = pg.start_cluster()
    except pg.PostgresUnavailable as exc:
        _unavailable(exc)
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture
async def make_postgres_database(
    postgres_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[Callable[..., Awaitable[str]]]:
    created: list[str] = []
    slug = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")

    async def make(prefix: str = "t", template: str = "template0") -> str:
        # unique across concurrent runs on a shared server; <= 63 bytes
        name = f"{prefix}_{secrets.token_hex(5)}_{slug}"[:63]
        url = await pg.create_database(postgres_url, name, template)
        created.append(url)
        return url

    yield make

    for url in created:
        try:
            await pg.drop_database(url)
        except Exception as exc:  # leftover databases are harmless; don't fail the test
            warnings.warn(f"could not drop test database {url}: {exc!r}", stacklevel=1)


@pytest.fixture
async def fresh_postgres_url(make_postgres_database: Callable[..., Awaitable[str]]) -> str:
    return await make_postgres_database()


# ============================================================================
# (further fixtures below)
# ============================================================================


# ============================================================================
# Storage and service on both databases (one contract suite, run over each)
#
#   database_url   sqlite file in tmp_path, or a fresh PostgreSQL database, at the
#                  newest schema: a copy of a database migrated once per session
#                  (running every migration for each test cost more than the copy)
#   store          Store on it with a fresh server key and fast KDF params
#   office         store + team "region" and "stadt" (with recovery keys), a
#                  counsellor in each, and tests/flows/mini.yaml published
# ============================================================================

FLOWS = Path(__file__).parent / "flows"
COUNSELLOR_PASSWORD = "correct horse battery staple"


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()  # a PostgreSQL template must have no open connection


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("migrated") / "anlaufstelle.sqlite3"
    pg.run_sync(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def migrated_postgres(postgres_url: str) -> Iterator[str]:
    """The name of a database at the newest schema on the test server, to copy from."""
    name = f"migrated_{secrets.token_hex(5)}"  # per worker: several may share the server
    url = pg.run_sync(pg.create_database(postgres_url, name))
    try:
        pg.run_sync(_migrate(url))
        yield name
    finally:
        # dropped also on a server of ANLAUFSTELLE_TEST_POSTGRES_URL, which outlives the run
        pg.run_sync(pg.drop_database(url))


@pytest.fixture
async def migrated_postgres_url(
    make_postgres_database: Callable[..., Awaitable[str]], migrated_postgres: str
) -> str:
    return await make_postgres_database(template=migrated_postgres)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database no migration has touched (`database_url` comes migrated), for tests of
    creating and upgrading."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'blank' / 'anlaufstelle.sqlite3'}"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "anlaufstelle.sqlite3"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("migrated_postgres_url")
    return url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    db = Database(database_url)
    s = Store(db, ServerKey.generate(), KdfParams.fast(), clock=SystemClock())
    async with s.tx() as tx:
        await meta.check_server_key(tx)
    yield s
    # As the service closes it: a clearing of the write-ahead log still running (after a
    # test's deletions) finishes first, instead of leaving its connection to the garbage
    # collector when the test's loop ends.
    await s.close()


@dataclass
class Office:
    store: Store
    recovery: dict[str, str]
    flow_path: Path


@pytest.fixture
async def office(store: Store) -> Office:
    recovery = {}
    async with store.tx() as tx:
        for team_id, name in (("region", "Region Hannover"), ("stadt", "Stadt Hannover")):
            created = await teams.create_team(tx, team_id, name)
            recovery[team_id] = created.recovery_key
            keys = await teams.unlock_with_recovery_key(tx, team_id, created.recovery_key)
            await teams.add_counsellor(
                tx,
                f"berater-{team_id}",
                await teams.new_password(COUNSELLOR_PASSWORD, tx.kdf),
                role="counsellor",
                teams={team_id: keys},
            )
    path = FLOWS / "mini.yaml"
    await publish_files(store, [path])
    return Office(store, recovery, path)
