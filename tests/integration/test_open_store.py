"""Opening the storage for a command: only `init`, `serve` and `simulate` may create or
migrate; every other command opens what exists or says why it cannot (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.cli.bootstrap import StartupError, open_store
from bot.settings import Settings
from storage import teams
from storage.crypto import ServerKey
from storage.db import Database
from storage.migrate import MIGRATIONS, current_revision, head_revision


@pytest.fixture
def database_url(blank_database_url: str) -> str:
    """A database that was never opened (the suite's usual one comes migrated)."""
    return blank_database_url


def _settings(tmp_path: Path, database_url: str, **changes: object) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        kdf_memory_kib=1024,
        kdf_time_cost=1,
        **changes,  # type: ignore[arg-type]
    )


async def _revision(database_url: str) -> str | None:
    db = Database(database_url, create=False)
    try:
        return await current_revision(db)
    finally:
        await db.dispose()


async def test_a_command_that_only_opens_creates_and_migrates_nothing(
    tmp_path: Path, database_url: str
) -> None:
    settings = _settings(tmp_path, database_url)
    settings.data_dir.mkdir()
    ServerKey.generate().save(settings.resolved_server_key_file)
    with pytest.raises(StartupError, match=r"no (Anlaufstelle )?database here"):
        await open_store(settings, create=False)
    if database_url.startswith("sqlite"):
        assert sorted(p.name for p in settings.data_dir.iterdir()) == ["server.key"]
    else:
        assert await _revision(database_url) is None


async def test_an_older_schema_is_named_not_migrated(tmp_path: Path, database_url: str) -> None:
    settings = _settings(tmp_path, database_url)
    store, first = await open_store(settings, create=True)
    await store.db.dispose()
    assert first is not None
    head = head_revision()
    assert head is not None
    older = ScriptDirectory(str(MIGRATIONS)).get_revision(head).down_revision
    assert isinstance(older, str)
    db = Database(database_url)
    async with db.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": older})
    await db.dispose()
    with pytest.raises(StartupError, match=f"has schema {older}, this version needs"):
        await open_store(settings, create=False)
    assert await _revision(database_url) == older


async def test_another_installations_key_is_refused_without_a_write(
    tmp_path: Path, database_url: str
) -> None:
    settings = _settings(tmp_path, database_url)
    store, _ = await open_store(settings, create=True)
    await store.db.dispose()
    again, first = await open_store(settings, create=False)
    await again.db.dispose()
    assert first is None
    other = tmp_path / "other.key"
    ServerKey.generate().save(other)
    with pytest.raises(StartupError, match="not the one this database was created with"):
        await open_store(_settings(tmp_path, database_url, server_key_file=other), create=False)


async def test_the_first_start_happens_until_a_team_exists(
    tmp_path: Path, database_url: str
) -> None:
    """A start that fails after opening the database (e.g. a busy port) made no secrets;
    the next start must still make and show them."""
    settings = _settings(tmp_path, database_url)
    store, first = await open_store(settings, create=True, first_start=False)
    await store.db.dispose()
    assert first is None
    store, first = await open_store(settings, create=True)
    await store.db.dispose()
    assert first is not None
    assert first.team_id == "region"
    store, first = await open_store(settings, create=True)
    await store.db.dispose()
    assert first is None


async def test_a_replica_older_than_the_schema_refuses_to_start(
    tmp_path: Path, database_url: str
) -> None:
    settings = _settings(tmp_path, database_url)
    store, _ = await open_store(settings, create=True)
    await store.db.dispose()
    db = Database(database_url)
    async with db.engine.begin() as conn:  # another replica, one version ahead, migrated it
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    await db.dispose()
    with pytest.raises(StartupError, match="has schema 9999, newer than this version") as err:
        await open_store(settings, create=True)
    assert "\n" not in str(err.value)
    assert await _revision(database_url) == "9999"  # nothing was touched


@pytest.mark.postgres
async def test_replicas_starting_together_migrate_and_make_the_first_team_once(
    tmp_path: Path, make_postgres_database: Any
) -> None:
    """Two replicas, each with its own connections, start at the same moment against an
    empty database: one migrates and makes the demo team, the other waits and finds it."""
    for attempt in range(10):
        url = await make_postgres_database()
        key = tmp_path / f"server-{attempt}.key"
        ServerKey.generate().save(key)
        settings = _settings(tmp_path / str(attempt), url, server_key_file=key)
        opened = await asyncio.gather(
            open_store(settings, create=True), open_store(settings, create=True)
        )
        try:
            firsts = [first for _, first in opened]
            assert sum(first is not None for first in firsts) == 1, attempt
            async with opened[0][0].read() as tx:
                assert list(await teams.team_names(tx)) == ["region"]
        finally:
            for store, _ in opened:
                await store.db.dispose()
        assert await _revision(url) == head_revision()
