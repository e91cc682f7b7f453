"""The SQLite database, its WAL and shared-memory files, and the data directory are the
service user's alone, whatever the umask (docs/threat-model.md)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.bootstrap import open_store
from bot.clock import SystemClock
from bot.settings import Settings
from storage import contacts
from storage.crypto import KdfParams, ServerKey
from storage.db import Database
from storage.migrate import upgrade
from storage.store import Store


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


async def test_database_wal_and_shm_are_created_0600_in_a_0700_folder(
    tmp_path: Path, usual_umask: None
) -> None:
    path = tmp_path / "neu" / "anlaufstelle.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(db)
        store = Store(db, ServerKey.generate(), KdfParams.fast(), clock=SystemClock())
        async with store.tx() as tx:
            await contacts.contact_for(tx, "memory", "person")
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert _mode(path.parent) == 0o700
    finally:
        await db.dispose()


async def test_files_left_readable_by_an_earlier_start_are_restricted(
    tmp_path: Path, usual_umask: None
) -> None:
    path = tmp_path / "anlaufstelle.sqlite3"
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        name.write_bytes(b"")
        name.chmod(0o644)
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.dispose()
    assert [_mode(p) for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))] == [0o600] * 3


async def test_the_data_directory_is_restricted_to_its_owner(
    tmp_path: Path, usual_umask: None
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    store, _ = await open_store(Settings(data_dir=data), create=True)
    try:
        assert _mode(data) == 0o700
        assert _mode(data / "anlaufstelle.sqlite3") == 0o600
    finally:
        await store.db.dispose()
