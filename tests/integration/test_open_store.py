"""Opening the storage for a command: only `init`, `serve` and `simulate` may create or
migrate; every other command opens what exists or says why it cannot (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.cli.bootstrap import StartupError, open_store
from bot.settings import Settings
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
