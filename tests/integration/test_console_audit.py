"""The audit log: append-only in the database itself, and the admins' page /console/audit.

On SQLite and PostgreSQL (the `env` and `store` fixtures run over both)."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

from bot.console.audit_page import ACTIONS, actor_label, detail_label
from storage import audit, teams
from storage.models import AuditEntry
from storage.store import Store
from tests.conftest import COUNSELLOR_PASSWORD
from tests.integration.test_console import (
    CANARY,
    Console_,
    intake,
    session_of,
)

# ---------------------------------------------------------------- append-only in the database


async def test_the_database_refuses_to_change_or_delete_audit_entries(store: Store) -> None:
    async with store.tx() as tx:
        await audit.record(tx, "system", "case.created", 1, "team=region")
    statements: list[Executable] = [
        update(AuditEntry).values(action="case.viewed"),
        delete(AuditEntry),
        text("UPDATE audit_log SET actor = 'someone else'"),
        text("DELETE FROM audit_log WHERE id > 0"),
    ]
    if store.db.backend == "postgresql":
        statements.append(text("TRUNCATE audit_log"))
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            async with store.tx() as tx:
                await tx.session.execute(statement)
    # Inserting still works, and the first entry is unchanged.
    async with store.tx() as tx:
        await audit.record(tx, "counsellor:1", "login.ok")
        await tx.session.execute(
            text("INSERT INTO audit_log (at, actor, action, detail) VALUES (:at, 'x', 'y', '')"),
            {"at": tx.now.replace(tzinfo=None)},
        )
    async with store.read() as tx:
        entries = await audit.entries(tx)
    assert entries[-1] == ("system", "case.created", 1, "team=region")
    assert len(entries) == 3


async def test_audit_pages_go_back_by_id_and_filter(store: Store) -> None:
    async with store.tx() as tx:
        for n in range(1, 8):
            await audit.record(tx, f"counsellor:{n % 2}", "case.viewed", n)
    async with store.read() as tx:
        first = await audit.page(tx, limit=3)
        assert [r.case_id for r in first.rows] == [7, 6, 5]
        second = await audit.page(tx, before=first.older, limit=3)
        assert [r.case_id for r in second.rows] == [4, 3, 2]
        last = await audit.page(tx, before=second.older, limit=3)
        assert [r.case_id for r in last.rows] == [1] and last.older is None
        mine = await audit.page(tx, actor="counsellor:1")
        assert [r.case_id for r in mine.rows] == [7, 5, 3, 1]
        one = await audit.page(tx, case_id=4)
        assert [(r.actor, r.case_id, r.case_team) for r in one.rows] == [("counsellor:0", 4, None)]


# ---------------------------------------------------------------- the page


async def test_admin_sees_logins_and_case_views_without_any_content(env: Console_) -> None:
    _, case_id = await intake(env.office, env.channel, account=f"Vermieter {CANARY}")
    sid, _ = await session_of(env, "berater-region")
    cookie = {"Cookie": f"console={sid}"}
    case_page = await env.client.get(f"/console/cases/{case_id}", headers=cookie)
    assert CANARY in await case_page.text()  # the counsellor can read it; the log must not

    admin_sid, _ = await session_of(env, "admin")
    resp = await env.client.get("/console/audit", headers={"Cookie": f"console={admin_sid}"})
    assert resp.status == 200
    html = await resp.text()
    assert CANARY not in html and "Vermieter" not in html
    assert "<caption>" in html and '<th scope="col">Wann</th>' in html
    assert 'href="/console/audit"' in html  # the admin's nav link
    assert ACTIONS["case.viewed"] in html and ACTIONS["login.ok"] in html
    assert ACTIONS["case.created"] in html and "Team: Region Hannover" in html
    assert "berater-region" in html and "System" in html
    # The admin is in no team: the case id is shown, but not as a link to a case it cannot open.
    assert f"Fall {case_id}" in html and f'href="/console/cases/{case_id}"' not in html
    # Times are the office's: Europe/Berlin is UTC+1 in November.
    # The handover ran at 12:00 UTC, the logins two hours later.
    assert "25.11.2026 13:00:00" in html
    assert re.search(r"25\.11\.2026 15:0\d:\d\d", html)
    # Reading the log is logged too.
    async with env.office.store.read() as tx:
        entries = await audit.entries(tx)
    assert entries[0][1] == "audit.viewed"
    assert CANARY not in repr(entries)


async def test_filters_by_case_and_actor_and_pages_back(env: Console_) -> None:
    _, first = await intake(env.office, env.channel)
    _, second = await intake(env.office, env.channel)
    sid, _ = await session_of(env, "berater-region")
    for case_id in (first, second, first):
        resp = await env.client.get(
            f"/console/cases/{case_id}", headers={"Cookie": f"console={sid}"}
        )
        assert resp.status == 200
    admin_sid, _ = await session_of(env, "admin")
    admin = {"Cookie": f"console={admin_sid}"}

    async def cases_shown(query: str) -> list[str]:
        resp = await env.client.get(f"/console/audit{query}", headers=admin)
        assert resp.status == 200, await resp.text()
        body = (await resp.text()).split("<tbody>")[-1]
        return re.findall(r"<td>(Fall \d+)</td>", body)

    assert await cases_shown(f"?case={first}") == [f"Fall {first}"] * 3  # created, 2 views
    names = await cases_shown("?actor=system")
    assert sorted(names) == sorted([f"Fall {first}", f"Fall {second}"])
    counsellor = await _actor(env, "berater-region")
    views = await cases_shown(f"?actor={counsellor}&case={second}")
    assert views == [f"Fall {second}"]
    bad = await env.client.get("/console/audit?case=zwei", headers=admin)
    assert bad.status == 400 and "Fallnummer ist eine Zahl" in await bad.text()

    # Paging: 100 a page, "older" continues by id with the filters kept.
    async with env.office.store.tx(env.clock()) as tx:
        for _ in range(130):
            await audit.record(tx, "system", "case.deleted", second, "retention")
    page = await env.client.get(f"/console/audit?case={second}", headers=admin)
    html = await page.text()
    assert html.count("Aufbewahrungsfrist abgelaufen") == 100
    older = re.search(r'href="(/console/audit\?[^"]*before=\d+)"', html)
    assert older and f"case={second}" in older.group(1)
    rest = await (await env.client.get(older.group(1).replace("&amp;", "&"), headers=admin)).text()
    assert rest.count("Aufbewahrungsfrist abgelaufen") == 30
    assert "Neueste Einträge" in rest and "Ältere Einträge" not in rest


async def test_admin_in_the_team_gets_case_links(env: Console_) -> None:
    _, case_id = await intake(env.office, env.channel)
    async with env.office.store.tx(env.clock()) as tx:
        keys = await teams.unlock_with_recovery_key(tx, "region", env.office.recovery["region"])
        cid = await teams.add_counsellor(
            tx,
            "admin-region",
            await teams.new_password(COUNSELLOR_PASSWORD, tx.kdf),
            role="admin",
            teams={"region": keys},
        )
        env.secrets["admin-region"] = pyotp.random_base32()
        await teams.set_totp_secret(tx, cid, env.secrets["admin-region"])
    sid, _ = await session_of(env, "admin-region")
    html = await (
        await env.client.get("/console/audit", headers={"Cookie": f"console={sid}"})
    ).text()
    assert f'<a href="/console/cases/{case_id}">Fall {case_id}</a>' in html


async def test_counsellors_get_403_and_anonymous_the_login(env: Console_) -> None:
    sid, _ = await session_of(env, "berater-region")
    resp = await env.client.get("/console/audit", headers={"Cookie": f"console={sid}"})
    assert resp.status == 403
    queue = await (await env.client.get("/env", headers={"Cookie": f"console={sid}"})).text()
    assert 'href="/console/audit"' not in queue  # no nav link for counsellors
    anonymous = await env.client.get("/console/audit", allow_redirects=False)
    assert anonymous.status == 303 and anonymous.headers["Location"] == "/console/login"


def test_labels_fall_back_to_the_raw_names() -> None:
    assert actor_label("counsellor:9", {}) == "Konto 9 (entfernt)"
    assert actor_label("counsellor:9", {"counsellor:9": "frau.m"}) == "frau.m"
    assert actor_label("person", {}) == "Ratsuchende Person"
    assert ACTIONS.get("case.something_new", "case.something_new") == "case.something_new"
    names = {"region": "Region Hannover", "stadt": "Stadt Hannover"}
    assert detail_label("from=region to=stadt", names) == "von: Region Hannover an: Stadt Hannover"
    assert detail_label("retention", names) == "Aufbewahrungsfrist abgelaufen"
    assert detail_label("other=1", names) == "other=1"


async def _actor(state: Console_, username: str) -> str:
    async with state.office.store.read() as tx:
        names = await audit.actor_names(tx)
    return next(actor for actor, name in names.items() if name == username)
