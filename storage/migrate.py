"""Bring a database to the newest schema with Alembic, on the service's own connection."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


async def upgrade(db: Database) -> None:
    if db.is_sqlite:
        async with db.engine.connect() as conn:
            await conn.run_sync(_upgrade_sqlite)
        return
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda sync: command.upgrade(_config(sync), "head"))


def _upgrade_sqlite(sync: Connection) -> None:
    """Migrate with foreign keys off, as SQLite prescribes for changes it can only make by
    rebuilding a table (https://www.sqlite.org/lang_altertable.html#otheralter).

    With them on, dropping the old copy of a table deletes what refers to it by ON DELETE
    CASCADE and unlinks what refers to it by SET NULL: a rebuild of `cases` would shred every
    case. The pragma does nothing inside a transaction, so it is set before this one begins,
    and every reference is checked before it commits."""
    dbapi = sync.connection.dbapi_connection
    assert dbapi is not None
    _pragma(dbapi, "PRAGMA foreign_keys=OFF")
    try:
        with sync.begin():
            broken_before = _broken_references(sync)
            command.upgrade(_config(sync), "head")
            broken = _broken_references(sync) - broken_before
            if broken:
                tables = ", ".join(sorted({table for table, *_ in broken}))
                raise RuntimeError(
                    f"the migration would leave references to missing rows in {tables}; "
                    "nothing was changed"
                )
    finally:
        _pragma(dbapi, "PRAGMA foreign_keys=ON")


def _pragma(dbapi_connection: Any, statement: str) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def _broken_references(sync: Connection) -> set[tuple[Any, ...]]:
    return {tuple(row) for row in sync.exec_driver_sql("PRAGMA foreign_key_check").all()}


START_LOCK = 0x616E6C6175660001
"""PostgreSQL advisory lock key held while a replica migrates and makes first-start rows
("anlauf" + 1): one replica at a time, the others wait and then find the work done."""


@contextlib.asynccontextmanager
async def exclusive_start(db: Database) -> AsyncIterator[None]:
    """Let one process at a time through migration and first start. Several replicas start
    together against one PostgreSQL: without this, two would run the same migration (or
    create the same demo team) at once and one would fail half-way. SQLite is one process."""
    if db.is_sqlite:
        yield
        return
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": START_LOCK})
        await conn.commit()  # the lock is the session's; no transaction stays open meanwhile
        try:
            yield
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": START_LOCK})
            await conn.commit()


def knows(revision: str) -> bool:
    """Whether this version of the code has the migration `revision` (a replica older than
    the schema does not)."""
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except CommandError:
        return False


def head_revision() -> str | None:
    """The newest migration this version of the code brings."""
    return ScriptDirectory.from_config(_config()).get_current_head()


async def current_revision(db: Database) -> str | None:
    """The migration the database is at; None when it has no schema at all. Only reads."""

    def _current(sync: Connection) -> str | None:
        return MigrationContext.configure(sync).get_current_revision()

    async with db.engine.connect() as conn:
        return await conn.run_sync(_current)


async def is_current(db: Database) -> bool:
    """True when the database is at the newest migration (the service refuses to run otherwise)."""
    return await current_revision(db) == head_revision()
