"""A case number is given once: after the newest case was deleted, the next case gets a new,
higher number, on SQLite as on PostgreSQL, and nothing of the deleted case (its page, its
"wieder geöffnet") shows up under it; a database from before migration 0012 keeps its data
and gets the same behaviour."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.office import housekeeping
from storage import audit, cases, teams
from storage.db import Database
from storage.migrate import _config, upgrade
from tests.conftest import COUNSELLOR_PASSWORD
from tests.integration.test_console import Console_, intake, session_of
from tests.integration.test_conversation import NOW

LATER = NOW + timedelta(days=400)
"""After the retention period of a case closed at NOW."""


async def _close(env: Console_, case_id: int) -> None:
    async with env.office.store.tx(NOW) as tx:
        counsellor = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert counsellor is not None
        await cases.claim(tx, case_id, counsellor.counsellor_id)
        assert await cases.close(tx, case_id, counsellor.counsellor_id)


async def test_the_case_after_a_deleted_newest_one_gets_a_new_number_and_is_not_reopened(
    env: Console_,
) -> None:
    person, old = await intake(env.office, env.channel)
    await _close(env, old)
    await person.send(text="Es ging noch weiter.")  # reopens the case: "wieder geöffnet"
    await _close(env, old)
    swept = await housekeeping.sweep(env.office.store, idle_hours=1, retention_days=90, now=LATER)
    assert swept.deleted_cases == 1  # the newest (and only) case is gone

    _, new = await intake(env.office, env.channel)

    assert new > old
    sid, _ = await session_of(env, "berater-region")
    cookie = {"Cookie": f"console={sid}"}
    queue = await (await env.client.get("/console", headers=cookie)).text()
    assert f"/console/cases/{new}" in queue and "wieder geöffnet" not in queue
    page = await (await env.client.get(f"/console/cases/{new}", headers=cookie)).text()
    assert 'id="reopened"' not in page
    gone = await env.client.get(f"/console/cases/{old}", headers=cookie)
    assert gone.status == 404  # a note of the old number leads to no one else's case
    async with env.office.store.read() as tx:
        assert await audit.reopened(tx, [old, new]) == {old}


async def _insert_case(conn: AsyncConnection) -> int:
    """A case row as the service writes it, by hand (a migration test cannot use today's
    models against yesterday's schema); the database picks its number."""
    made = await conn.execute(
        text(
            "INSERT INTO cases (team_id, status, public_key, summary_ct, channel, language,"
            " crisis, created_at, waiting_since) VALUES ('region', 'waiting', :ct, :ct,"
            " 'memory', 'de', false, :now, :now) RETURNING id"
        ),
        {"ct": b"x", "now": NOW.replace(tzinfo=None)},
    )
    return int(made.scalar_one())


async def test_an_upgraded_database_keeps_its_cases_and_gives_no_number_twice(
    blank_database_url: str,
) -> None:
    """A database from before the migration: cases 1 and 2 with a key wrap and a
    conversation each, case 3 already deleted (only the audit log remembers it)."""
    db = Database(blank_database_url)
    now = NOW.replace(tzinfo=None)  # stored naive, as UTCDateTime does
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda sync: command.upgrade(_config(sync), "0011"))
            await conn.execute(
                text("INSERT INTO teams (id, name, created_at) VALUES ('region', 'R', :now)"),
                {"now": now},
            )
            await conn.execute(
                text(
                    "INSERT INTO flow_versions (id, flow_id, number, source, digest,"
                    " published_at, published_by, note) VALUES (1, 'f', 1, '', '', :now, 'a', '')"
                ),
                {"now": now},
            )
            for expected in (1, 2, 3):
                case_id = await _insert_case(conn)
                assert case_id == expected
                await conn.execute(
                    text(
                        "INSERT INTO audit_log (at, actor, action, case_id, detail)"
                        " VALUES (:now, 'system', 'case.created', :id, '')"
                    ),
                    {"now": now, "id": case_id},
                )
            await conn.execute(
                text(
                    "INSERT INTO audit_log (at, actor, action, case_id, detail)"
                    " VALUES (:now, 'person', 'case.reopened', 3, '')"
                ),
                {"now": now},
            )
            for case_id in (1, 2):
                await conn.execute(
                    text(
                        "INSERT INTO case_key_wraps (case_id, kind, wrapped)"
                        " VALUES (:id, 'team', :w)"
                    ),
                    {"id": case_id, "w": b"wrap"},
                )
                await conn.execute(
                    text(
                        "INSERT INTO contacts (id, channel, pseudonym, address_ct, created_at,"
                        " last_seen_at, unreachable) VALUES (:id, 'memory', :p, :ct, :now,"
                        " :now, false)"
                    ),
                    {"id": case_id, "p": f"p{case_id}", "ct": b"x", "now": now},
                )
                await conn.execute(
                    text(
                        "INSERT INTO conversations (contact_id, flow_version_id, owner,"
                        " language, next_seq, created_at, updated_at, case_id)"
                        " VALUES (:id, 1, 'queued', 'de', 1, :now, :now, :id)"
                    ),
                    {"id": case_id, "now": now},
                )
            await conn.execute(text("DELETE FROM cases WHERE id = 3"))

        await upgrade(db)

        async with db.engine.begin() as conn:
            kept = await conn.execute(text("SELECT id FROM cases ORDER BY id"))
            assert list(kept.scalars()) == [1, 2]
            wraps = await conn.execute(text("SELECT case_id FROM case_key_wraps ORDER BY 1"))
            assert list(wraps.scalars()) == [1, 2]  # no key was shredded by the rebuild
            linked = await conn.execute(text("SELECT case_id FROM conversations ORDER BY 1"))
            assert list(linked.scalars()) == [1, 2]  # nor a conversation unlinked
            first = await _insert_case(conn)
            await conn.execute(text("DELETE FROM cases WHERE id = :id"), {"id": first})
            second = await _insert_case(conn)
        # 3 is known as deleted from the audit log; each new case then gets a number of its own.
        assert 3 < first < second
    finally:
        await db.dispose()


def _schema(sync: Any) -> dict[str, Any]:
    """What SQLite knows of every table: its statement, columns, references and indexes."""
    found: dict[str, Any] = {}
    rows = sync.exec_driver_sql(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ).all()
    for kind, name, sql in rows:
        found[f"{kind} {name}"] = sql
        if kind != "table":
            continue
        found[f"columns {name}"] = sync.exec_driver_sql(f"PRAGMA table_info('{name}')").all()
        found[f"references {name}"] = sorted(
            tuple(r)[2:]  # without the constraint's number, which follows the statement's order
            for r in sync.exec_driver_sql(f"PRAGMA foreign_key_list('{name}')").all()
        )
        found[f"indexes {name}"] = sorted(
            (index, unique, origin, partial, _index_columns(sync, index))
            for _, index, unique, origin, partial in sync.exec_driver_sql(
                f"PRAGMA index_list('{name}')"
            ).all()
        )
    return found


def _index_columns(sync: Any, index: str) -> list[Any]:
    return list(sync.exec_driver_sql(f"PRAGMA index_info('{index}')").all())


@pytest.mark.parametrize("blank_database_url", ["sqlite"], indirect=True)
async def test_the_rebuilt_cases_table_keeps_every_column_reference_and_index(
    blank_database_url: str,
) -> None:
    db = Database(blank_database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda sync: command.upgrade(_config(sync), "0011"))
            before = await conn.run_sync(_schema)
        await upgrade(db)
        async with db.engine.connect() as conn:
            after = await conn.run_sync(_schema)
            enforced = (await conn.execute(text("PRAGMA foreign_keys"))).scalar_one()
    finally:
        await db.dispose()

    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {"table cases"}
    assert "AUTOINCREMENT" in after["table cases"]
    assert before["columns cases"] and before["references cases"] and before["indexes cases"]
    assert "trigger audit_log_no_delete" in after  # the audit log was not touched
    assert enforced == 1  # the connection enforces references again after the migration
