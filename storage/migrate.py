"""Bring a database to the newest schema with Alembic, on the service's own connection."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from storage.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


async def upgrade(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda sync: command.upgrade(_config(sync), "head"))


async def is_current(db: Database) -> bool:
    """True when the database is at the newest migration (the service refuses to run otherwise)."""
    head = ScriptDirectory.from_config(_config()).get_current_head()

    def _current(sync: Connection) -> str | None:
        return MigrationContext.configure(sync).get_current_revision()

    async with db.engine.connect() as conn:
        return await conn.run_sync(_current) == head
