"""The PostgreSQL fixtures give a real, working server and isolated databases."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests import pg

pytestmark = pytest.mark.postgres


async def _connect(url: str) -> asyncpg.Connection:
    u = make_url(url)
    return await asyncpg.connect(
        host=u.host, port=u.port, user=u.username, password=u.password, database=u.database
    )


async def test_url_is_asyncpg_on_loopback(postgres_url: str) -> None:
    u = make_url(postgres_url)
    assert u.drivername == "postgresql+asyncpg"
    if not os.environ.get("ANLAUFSTELLE_TEST_POSTGRES_URL"):
        assert u.host == "127.0.0.1"
        assert u.database == "anlaufstelle_test"


async def test_asyncpg_connects_to_postgresql_15_or_newer(postgres_url: str) -> None:
    conn = await _connect(postgres_url)
    try:
        version = await conn.fetchval("select version()")
        assert version.startswith("PostgreSQL ")
        assert int(await conn.fetchval("show server_version_num")) >= 150000
        assert conn.get_server_version().major >= 15
        assert await conn.fetchval("show server_encoding") == "UTF8"
    finally:
        await conn.close()


async def test_sqlalchemy_async_engine_works(postgres_url: str) -> None:
    engine = create_async_engine(postgres_url)
    try:
        async with engine.connect() as conn:
            version = (await conn.execute(text("select version()"))).scalar_one()
            database = (await conn.execute(text("select current_database()"))).scalar_one()
    finally:
        await engine.dispose()
    assert version.startswith("PostgreSQL ")
    assert database == make_url(postgres_url).database


async def test_fresh_databases_are_empty_and_isolated(
    fresh_postgres_url: str, make_postgres_database: Callable[..., Awaitable[str]]
) -> None:
    other_url = await make_postgres_database()
    first, second = make_url(fresh_postgres_url), make_url(other_url)
    assert first.database != second.database

    engine_a = create_async_engine(fresh_postgres_url)
    engine_b = create_async_engine(other_url)
    try:
        async with engine_a.begin() as conn:
            assert (await conn.execute(text("select current_database()"))).scalar_one() == (
                first.database
            )
            tables = "select count(*) from pg_tables where schemaname = 'public'"
            assert (await conn.execute(text(tables))).scalar_one() == 0
            await conn.execute(text("create table marker (id int primary key)"))
            await conn.execute(text("insert into marker values (1)"))
        async with engine_b.connect() as conn:
            assert (await conn.execute(text("select current_database()"))).scalar_one() == (
                second.database
            )
            assert (await conn.execute(text("select to_regclass('marker')"))).scalar() is None
        async with engine_a.connect() as conn:
            assert (await conn.execute(text("select count(*) from marker"))).scalar_one() == 1
    finally:
        await engine_a.dispose()
        await engine_b.dispose()


async def test_drop_database_removes_it_even_with_open_sessions(postgres_url: str) -> None:
    name = "drop_me_" + os.urandom(4).hex()
    url = await pg.create_database(postgres_url, name)
    lingering = await _connect(url)  # e.g. a pool a test forgot to dispose
    try:
        await pg.drop_database(url)
    finally:
        await lingering.close()
    conn = await _connect(postgres_url)
    try:
        assert await conn.fetchval("select 1 from pg_database where datname = $1", name) is None
    finally:
        await conn.close()


def test_database_names_are_quoted() -> None:
    assert pg._quote_ident('a"b') == '"a""b"'
    with pytest.raises(ValueError, match="invalid"):
        pg._quote_ident("x" * 64)
