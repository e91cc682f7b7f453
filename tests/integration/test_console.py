"""The counsellors' console against the real app and store, on SQLite and PostgreSQL.

Like a browser without JavaScript, the tests read hidden fields out of the returned HTML and
post forms. Time is a settable clock: TOTP codes, the idle timeout and the lockout all follow
it, so nothing sleeps.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pyotp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot import app as app_module
from bot.app import create_app
from bot.channels.base import MAX_TEXT_LENGTH, InboundMessage
from bot.channels.memory import MemoryChannel
from bot.clock import Clock, ManualClock, SystemClock
from bot.console.auth import CookiePolicy
from bot.console.core import Console
from bot.console.login_pages import login_delay, totp_step
from bot.keys import CONSOLE
from bot.settings import ConsoleSettings, DeliverySettings, Settings, WebChatSettings
from storage import audit, cases, stats, teams
from storage.models import CaseNote, Counsellor
from tests.conftest import COUNSELLOR_PASSWORD, Office
from tests.integration.test_cli import Cli, query
from tests.integration.test_conversation import NOW, Person

Client = TestClient[web.Request, web.Application]
CANARY = "Kanarienvogel-7f3a"
"""A word that must never show up in the audit log."""


@dataclass
class Console_:
    client: Client
    console: Console
    clock: ManualClock
    channel: MemoryChannel
    office: Office
    secrets: dict[str, str] = field(default_factory=dict)
    delays: list[float] = field(default_factory=list)


@pytest.fixture
def console_now() -> datetime:
    """Where the console's clock starts (a test may override it by parametrising)."""
    return NOW + timedelta(hours=2)


@pytest.fixture
async def env(office: Office, console_now: datetime) -> AsyncIterator[Console_]:
    channel = MemoryChannel()
    settings = Settings(
        delivery=DeliverySettings(poll_seconds=0.05),
        # The test client stands for the office's reverse proxy: X-Forwarded-For names clients.
        webchat=WebChatSettings(trusted_proxies=["127.0.0.1"]),
    )
    clock = ManualClock(console_now)
    app = create_app(
        settings, office.store, channels={channel.name: channel}, flow_id="mini", clock=clock
    )
    console = app[CONSOLE]
    state = Console_(None, console, clock, channel, office)  # type: ignore[arg-type]

    async def no_sleep(seconds: float) -> None:
        state.delays.append(seconds)

    console.sleep = no_sleep
    # The office's two counsellors get a second factor; an admin in no team joins them.
    async with office.store.tx(clock()) as tx:
        for name in ("berater-region", "berater-stadt"):
            cid = await _id_of(tx, name)
            state.secrets[name] = pyotp.random_base32()
            await teams.set_totp_secret(tx, cid, state.secrets[name])
        admin = await teams.add_counsellor(
            tx,
            "admin",
            await teams.new_password(COUNSELLOR_PASSWORD, tx.kdf),
            role="admin",
            teams={},
        )
        state.secrets["admin"] = pyotp.random_base32()
        await teams.set_totp_secret(tx, admin, state.secrets["admin"])
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        state.client = client
        yield state


async def _id_of(tx: Any, username: str) -> int:
    cid = await tx.session.scalar(select(Counsellor.id).where(Counsellor.username == username))
    assert cid is not None
    return int(cid)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


async def login(
    env: Console_,
    username: str,
    *,
    password: str = COUNSELLOR_PASSWORD,
    code: str | None = None,
    next_step: bool = True,
    client: str | None = None,
) -> Any:
    """Post the login form as a browser would; returns the response (redirects not followed).

    `client`: the address the office's proxy (127.0.0.1, trusted) says the request came from."""
    if next_step:
        env.clock.advance(seconds=31)  # a fresh TOTP time step: each code works once
    headers = {"X-Forwarded-For": client} if client else {}
    page = await env.client.get("/console/login", headers=headers)
    assert page.status == 200
    csrf = hidden(await page.text(), "csrf")
    if code is None:
        code = pyotp.TOTP(env.secrets[username]).at(env.clock())
    return await env.client.post(
        "/console/login",
        data={"csrf": csrf, "username": username, "password": password, "code": code},
        headers=headers,
        allow_redirects=False,
    )


async def session_of(env: Console_, username: str) -> tuple[str, str]:
    """Log in and hand back (session id, CSRF token); the client's cookie jar is emptied,
    so requests choose their identity with an explicit Cookie header."""
    resp = await login(env, username)
    assert resp.status == 303, await resp.text()
    sid = resp.cookies["console"].value
    env.client.session.cookie_jar.clear()
    page = await env.client.get("/console", headers={"Cookie": f"console={sid}"})
    assert page.status == 200
    return sid, hidden(await page.text(), "csrf")


async def open_setup(env: Console_, token: str) -> Any:
    """What a setup link does in a browser: the start page's script posts the token from the
    link's fragment (without JavaScript the person pastes it); the answer is the setup form."""
    start = await env.client.get("/console/setup")
    assert start.status == 200
    csrf = hidden(await start.text(), "csrf")
    return await env.client.post("/console/setup", data={"csrf": csrf, "token": token})


async def intake(
    office: Office,
    channel: MemoryChannel,
    *,
    municipality: str = "garbsen",
    danger: str = "no",
    when: str = "this_week",
    account: str = "Man hat mir die Wohnung nicht gegeben.",
    clock: Clock | None = None,
) -> tuple[Person, int]:
    person = Person(office.store, channel, clock)
    await person.send(command="start", language="de")
    await person.send(choice="accept")
    await person.send(choice=danger)
    await person.send(choice=when)
    await person.send(choice=municipality)
    await person.send(text=account)
    assert person.last is not None and person.last.case is not None
    return person, person.last.case.case_id


# ---------------------------------------------------------------- account setup and login


async def test_invite_setup_link_password_and_totp_then_login(env: Console_) -> None:
    office = env.office
    async with office.store.tx(env.clock()) as tx:
        keys = await teams.unlock_with_recovery_key(tx, "region", office.recovery["region"])
        token = await teams.invite_counsellor(tx, "neu-region", "counsellor", {"region": keys})
        assert await teams.unlock(tx, "neu-region", "") is None  # no password yet
    page = await open_setup(env, token)
    assert page.status == 200
    html = await page.text()
    assert "neu-region" in html and "<svg" in html
    secret = hidden(html, "secret")
    csrf = hidden(html, "csrf")
    password = "ein langes neues Passwort"

    async def post(**fields: str) -> Any:
        data = {"csrf": csrf, "secret": secret, "password": password, "password2": password}
        data.update(fields)
        return await env.client.post("/console/setup", data={**data, "token": token})

    assert (await post(code="000000")).status == 400  # a code that the app would not show
    assert (await post(password2="anders und lang genug", code="1")).status == 400
    assert (await post(password="kurz", password2="kurz")).status == 400
    done = await post(code=pyotp.TOTP(secret).at(env.clock()))
    assert done.status == 200, await done.text()
    assert "eingerichtet" in await done.text()
    # The link is used up.
    assert (await open_setup(env, token)).status == 404
    assert (await post(code=pyotp.TOTP(secret).at(env.clock()))).status == 404

    env.secrets["neu-region"] = secret
    resp = await login(env, "neu-region", password=password)
    assert resp.status == 303 and resp.headers["Location"] == "/console"
    queue = await env.client.get("/console")
    assert queue.status == 200 and "Warteschlange" in await queue.text()
    # The team key was sealed at invitation and is opened with the new password.
    async with office.store.tx() as tx:
        unlocked = await teams.unlock(tx, "neu-region", password)
        assert unlocked is not None and unlocked.team_keys
        entries = await audit.entries(tx)
    actions = {action for _, action, _, _ in entries}
    assert {"account.setup", "login.ok"} <= actions


async def test_setup_links_expire(env: Console_) -> None:
    async with env.office.store.tx(env.clock()) as tx:
        token = await teams.invite_counsellor(tx, "spaet", "counsellor", {})
    assert (await open_setup(env, token)).status == 200
    env.clock.advance(hours=73)
    assert (await open_setup(env, token)).status == 404
    assert (await open_setup(env, "erfunden")).status == 404


async def test_wrong_password_or_code_fails_and_a_code_works_only_once(env: Console_) -> None:
    assert (await login(env, "berater-region", password="falsch falsch falsch")).status == 401
    assert (await login(env, "berater-region", code="000000")).status == 401
    assert (await login(env, "niemand", code="123456")).status == 401
    assert (await login(env, "berater-region", code="12")).status == 401
    ok = await login(env, "berater-region")
    assert ok.status == 303
    env.client.session.cookie_jar.clear()
    # The same code again (same time step): refused even with the right password.
    replay = await login(env, "berater-region", next_step=False)
    assert replay.status == 401


async def test_growing_delay_then_lockout_after_repeated_failures(env: Console_) -> None:
    for _ in range(5):
        resp = await login(env, "berater-stadt", password="ganz falsches Passwort")
        assert resp.status == 401
    assert env.delays == [login_delay(n) for n in range(1, 6)]
    assert env.delays == sorted(env.delays) and env.delays[-1] > env.delays[0]
    # Locked: even the right password and code do not get in.
    assert (await login(env, "berater-stadt")).status == 401
    env.clock.advance(minutes=16)
    assert (await login(env, "berater-stadt")).status == 303
    async with env.office.store.tx() as tx:
        account = await teams.login_account(tx, "berater-stadt")
        entries = await audit.entries(tx)
    assert account is not None and account.failed_logins == 0
    actions = [action for _, action, _, _ in entries]
    assert actions.count("login.failed") == 5 and "login.locked" in actions


async def test_a_lockout_keeps_out_the_guessing_client_not_the_counsellor(env: Console_) -> None:
    attacker, office = "198.51.100.7", "192.0.2.10"
    for _ in range(5):
        wrong = await login(env, "berater-stadt", password="geraten", client=attacker)
        assert wrong.status == 401
    # The right password and code from the guessing client: still refused, and it looks
    # like any wrong login (same page, same delay as the last failures).
    assert (await login(env, "berater-stadt", client=attacker)).status == 401
    assert env.delays[-1] == env.delays[-2]
    # The counsellor at the office logs in as usual.
    env.client.session.cookie_jar.clear()
    assert (await login(env, "berater-stadt", client=office)).status == 303


async def test_a_wrong_name_is_answered_like_a_wrong_password(env: Console_) -> None:
    for name in ("berater-stadt", "gibt-es-nicht"):
        env.delays.clear()
        for _ in range(6):
            resp = await login(env, name, password="geraten", code="123456", client="198.51.100.7")
            assert resp.status == 401
            assert "Die Anmeldung hat nicht geklappt" in await resp.text()
        if name == "berater-stadt":
            known = list(env.delays)
    assert env.delays == known  # the growing delay, then the lockout's, name or no name


async def test_one_client_behind_the_proxy_cannot_use_up_the_others_logins(
    env: Console_,
) -> None:
    statuses = []
    for _ in range(12):  # all within one TOTP step: the limiter does not refill meanwhile
        resp = await login(
            env, "niemand", password="x", code="123456", next_step=False, client="198.51.100.7"
        )
        statuses.append(resp.status)
    assert 429 in statuses
    env.client.session.cookie_jar.clear()
    assert (await login(env, "berater-region", client="192.0.2.10")).status == 303


async def test_cookie_flags_and_security_headers(env: Console_) -> None:
    page = await env.client.get("/console/login")
    pre = page.headers.getall("Set-Cookie")
    assert any(c.startswith("console-pre=") for c in pre)
    resp = await login(env, "berater-region")
    assert resp.status == 303
    (cookie,) = [c for c in resp.headers.getall("Set-Cookie") if c.startswith("console=")]
    attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "path", "samesite"} <= attrs
    assert "Path=/console" in cookie and "SameSite=Strict" in cookie
    assert "secure" not in attrs  # plain http is only accepted from loopback
    queue = await env.client.get("/console")
    csp = queue.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert queue.headers["Cache-Control"] == "no-store"
    assert queue.headers["X-Frame-Options"] == "DENY"
    # Over https the cookie is __Host- prefixed and Secure.
    secure = web.Response()
    policy = CookiePolicy(secure=True)
    policy.set(secure, policy.session_name, "x", 60)
    text = secure.cookies[policy.session_name].OutputString()
    assert text.startswith("__Host-console=") and "Secure" in text and "Path=/;" in text


async def test_https_behind_a_trusted_proxy_gets_the_host_cookie(office: Office) -> None:
    settings = Settings(
        console=ConsoleSettings(trust_forwarded_proto=True),
        webchat=WebChatSettings(trusted_proxies=["127.0.0.1"]),
    )
    app = create_app(settings, office.store, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        resp = await client.get("/console/login", headers={"X-Forwarded-Proto": "https"})
        cookie = resp.headers["Set-Cookie"]
        assert cookie.startswith("__Host-console-pre=") and "Secure" in cookie
        assert "Strict-Transport-Security" in resp.headers


async def test_csrf_is_checked_on_every_form(env: Console_) -> None:
    _, case_id = await intake(env.office, env.channel)
    sid, csrf = await session_of(env, "berater-region")
    cookie = {"Cookie": f"console={sid}"}
    url = f"/console/cases/{case_id}/claim"
    altered = ("y" if csrf[0] == "x" else "x") + csrf[1:]  # always differs from the real one
    for data in ({}, {"csrf": ""}, {"csrf": altered}, {"csrf": [csrf, csrf]}):
        resp = await env.client.post(url, data=data, headers=cookie, allow_redirects=False)
        assert resp.status == 403
    resp = await env.client.post(
        "/console/logout", data={"csrf": "falsch"}, headers=cookie, allow_redirects=False
    )
    assert resp.status == 403
    async with env.office.store.read() as tx:
        entry = await cases.entry(tx, case_id)
    assert entry is not None and entry.status == "waiting"
    # The login form is protected by its double-submit token.
    env.client.session.cookie_jar.clear()
    resp = await env.client.post(
        "/console/login",
        data={"csrf": "erfunden", "username": "berater-region", "password": "x", "code": "1"},
    )
    assert resp.status == 403
    ok = await env.client.post(url, data={"csrf": csrf}, headers=cookie, allow_redirects=False)
    assert ok.status == 303


async def test_idle_timeout_ends_the_session_and_drops_the_keys(env: Console_) -> None:
    sid, _ = await session_of(env, "berater-region")
    cookie = {"Cookie": f"console={sid}"}
    session = env.console.sessions.get(sid)
    assert session is not None and session.keys.team_keys
    env.clock.advance(minutes=29)
    assert (await env.client.get("/console", headers=cookie)).status == 200
    # Polling does not count as activity.
    env.clock.advance(minutes=20)
    poll = await env.client.get("/console/queue.json", headers=cookie, allow_redirects=False)
    assert poll.status == 200
    env.clock.advance(minutes=11)
    resp = await env.client.get("/console", headers=cookie, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/console/login"
    assert session.keys.team_keys == {}
    assert len(env.console.sessions) == 0


async def test_logout_drops_the_session(env: Console_) -> None:
    sid, csrf = await session_of(env, "berater-stadt")
    cookie = {"Cookie": f"console={sid}"}
    session = env.console.sessions.get(sid)
    assert session is not None
    resp = await env.client.post(
        "/console/logout", data={"csrf": csrf}, headers=cookie, allow_redirects=False
    )
    assert resp.status == 303 and resp.headers["Location"].startswith("/console/login")
    assert session.keys.team_keys == {}
    again = await env.client.get("/console", headers=cookie, allow_redirects=False)
    assert again.status == 303


# ---------------------------------------------------------------- authorisation matrix


async def test_authorisation_matrix_over_every_console_route(env: Console_) -> None:
    _, region_case = await intake(env.office, env.channel, municipality="garbsen")
    _, stadt_case = await intake(env.office, env.channel, municipality="hannover")
    ids: dict[str, tuple[str, str] | None] = {"anonymous": None}
    for name in ("berater-region", "berater-stadt", "admin"):
        ids[name] = await session_of(env, name)
    team_of = {region_case: "berater-region", stadt_case: "berater-stadt"}

    def gets(case_id: int) -> list[str]:
        return [f"/console/cases/{case_id}", f"/console/cases/{case_id}/status.json"]

    checked = 0
    for who, ident in ids.items():
        headers = {} if ident is None else {"Cookie": f"console={ident[0]}"}
        csrf = "" if ident is None else ident[1]
        for path in ("/console", "/console/queue.json"):
            resp = await env.client.get(path, headers=headers, allow_redirects=False)
            checked += 1
            if ident is None:
                assert resp.status == 303 and resp.headers["Location"] == "/console/login"
            else:
                assert resp.status == 200, (who, path)
        for path in ("/console/audit",):  # admins only
            resp = await env.client.get(path, headers=headers, allow_redirects=False)
            checked += 1
            if ident is None:
                assert resp.status == 303 and resp.headers["Location"] == "/console/login"
            else:
                assert resp.status == (200 if who == "admin" else 403), (who, path)
        for case_id, owner in team_of.items():
            for path in gets(case_id):
                resp = await env.client.get(path, headers=headers, allow_redirects=False)
                checked += 1
                if ident is None:
                    assert resp.status == 303, (who, path)
                elif who == owner:
                    assert resp.status == 200, (who, path)
                else:
                    assert resp.status == 403, (who, path)
            actions = ("claim", "reply", "note", "release", "claim", "transfer", "close")
            for action in actions:
                # The transfer names a team that does not exist: refused, the case stays.
                data = {
                    "csrf": csrf,
                    "text": "Hallo",
                    "note": "Rückruf vereinbart",
                    "to": "team:nirgendwo",
                    "outcome": "resolved",
                    "confirm": "yes",
                }
                resp = await env.client.post(
                    f"/console/cases/{case_id}/{action}",
                    data=data,
                    headers=headers,
                    allow_redirects=False,
                )
                checked += 1
                if who == owner:
                    assert resp.status == 303, (who, action)
                else:
                    assert resp.status == 403, (who, action, case_id)
            resp = await env.client.post(
                f"/console/cases/{case_id}/typing",
                headers={**headers, "X-CSRF-Token": csrf},
                allow_redirects=False,
            )
            checked += 1
            assert resp.status == (204 if who == owner else 403), (who, "typing")
        resp = await env.client.post(
            "/console/logout", data={"csrf": csrf}, headers=headers, allow_redirects=False
        )
        checked += 1
        assert resp.status == (403 if ident is None else 303)
    assert checked == 4 * (2 + 1 + 2 * (2 + 7 + 1) + 1)
    # Only the owners' own actions went through: both cases were claimed, answered, closed.
    async with env.office.store.read() as tx:
        for case_id in team_of:
            entry = await cases.entry(tx, case_id)
            assert entry is not None and entry.status == "closed"
    # The public pages answer everyone; a missing case is 404 for its own team too.
    for path in ("/console/login", "/console/static/console.css", "/console/static/console.js"):
        assert (await env.client.get(path)).status == 200
    assert (await env.client.get("/console/static/chat.js")).status == 404
    assert (await open_setup(env, "nichts")).status == 404


async def test_queue_shows_only_own_team_in_priority_order(env: Console_) -> None:
    office, channel = env.office, env.channel
    _, late = await intake(office, channel, when="longer_ago")
    _, deadline = await intake(office, channel, when="this_week")
    _, crisis = await intake(office, channel, danger="yes", when="longer_ago")
    _, other_team = await intake(office, channel, municipality="hannover")
    sid, _ = await session_of(env, "berater-region")
    cookie = {"Cookie": f"console={sid}"}
    html = await (await env.client.get("/console", headers=cookie)).text()
    shown = [int(n) for n in re.findall(r'href="/console/cases/(\d+)"', html)]
    assert shown == [crisis, deadline, late]
    assert other_team not in shown
    assert "Krise" in html and "noch " in html and "Region Hannover" in html
    data = await (await env.client.get("/console/queue.json", headers=cookie)).json()
    assert [row[0] for row in data["cases"]] == [crisis, deadline, late]


# ---------------------------------------------------------------- the case, end to end


async def test_claim_read_reply_close_with_an_audit_trail_free_of_content(
    env: Console_,
) -> None:
    person, case_id = await intake(env.office, env.channel, account=f"Vermieter {CANARY}")
    sid, csrf = await session_of(env, "berater-region")
    cookie = {"Cookie": f"console={sid}"}
    case_url = f"/console/cases/{case_id}"

    page = await env.client.get(case_url, headers=cookie)
    html = await page.text()
    assert page.status == 200
    assert CANARY in html  # decrypted for the team's counsellor
    assert "Wo ist es passiert?" in html and "Garbsen" in html  # labels from the flow
    assert "reply-form" not in html and "/claim" in html

    resp = await env.client.post(
        f"{case_url}/claim", data={"csrf": csrf}, headers=cookie, allow_redirects=False
    )
    assert resp.status == 303
    html = await (await env.client.get(case_url, headers=cookie)).text()
    assert "reply-form" in html and "Fall abschließen" in html

    reply = f"Guten Tag, hier ist die Beratung. {CANARY}-Antwort"
    resp = await env.client.post(
        f"{case_url}/reply",
        data={"csrf": csrf, "text": reply},
        headers=cookie,
        allow_redirects=False,
    )
    assert resp.status == 303 and "notice=sent" in resp.headers["Location"]
    # The app's delivery worker sends it (or the person's, whichever takes the row first).
    for _ in range(250):
        await person.worker.run_once()
        received = [m for m in env.channel.to(person.address) if m.sender == "counsellor"]
        if received:
            break
        await asyncio.sleep(0.02)
    assert [m.text for m in received] == [reply]

    await person.send(text="Danke für die Antwort")
    status = await (await env.client.get(f"{case_url}/status.json", headers=cookie)).json()
    assert status["status"] == "claimed" and status["last_seq"] > 0
    html = await (await env.client.get(case_url, headers=cookie)).text()
    assert reply in html and "Danke für die Antwort" in html

    bad = await env.client.post(
        f"{case_url}/close",
        data={"csrf": csrf, "outcome": "erfunden", "confirm": "yes"},
        headers=cookie,
        allow_redirects=False,
    )
    assert "notice=outcome" in bad.headers["Location"]
    done = await env.client.post(
        f"{case_url}/close",
        data={
            "csrf": csrf,
            "outcome": "referred",
            "grounds": ["racism", "religion_belief"],
            "life_area": "housing",
            "form": "direct",
            "intervention": ["information", "referral"],
            "confirm": "yes",
        },
        headers=cookie,
        allow_redirects=False,
    )
    assert done.status == 303 and done.headers["Location"] == "/console?notice=closed"
    queue = await (await env.client.get("/console", headers=cookie)).text()
    assert f"/console/cases/{case_id}" not in queue

    async with env.office.store.read() as tx:
        entries = await audit.entries(tx, limit=1000)
        me = await _id_of(tx, "berater-region")
    for_case = [(actor, action) for actor, action, cid, _ in entries if cid == case_id]
    actions = {action for _, action in for_case}
    assert {"case.viewed", "case.claimed", "case.replied", "case.closed"} <= actions
    assert all(
        actor == f"counsellor:{me}" for actor, action in for_case if action != "case.created"
    )
    flat = repr(entries)
    assert CANARY not in flat and "Vermieter" not in flat and "Guten Tag" not in flat

    # Closing wrote the anonymous counters: categories from the documentation and the
    # intake, never anything the person wrote.
    async with env.office.store.read() as tx:
        counters = {(r.dimension, r.value): r.count for r in await stats.table(tx)}
    assert counters[("cases", "closed")] == 1
    assert counters[("outcome", "referred")] == 1
    assert counters[("grounds", "racism")] == counters[("grounds", "religion_belief")] == 1
    assert counters[("life_area", "housing")] == counters[("form", "direct")] == 1
    assert counters[("intervention", "information")] == 1
    assert counters[("intervention", "referral")] == 1
    assert counters[("team", "region")] == 1
    assert counters[("municipality", "garbsen")] == 1
    assert CANARY not in repr(counters)


_TODAY = SystemClock()()


@pytest.mark.parametrize(
    "console_now",
    [_TODAY + timedelta(days=365), _TODAY - timedelta(days=365)],
    ids=["a-year-after-today", "a-year-before-today"],
)
async def test_a_whole_case_runs_on_the_service_clock_whatever_the_machine_date(
    env: Console_, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service runs a year away from the machine's date: the sweeper (running all the
    time here), sessions, TOTP, the queue's deadline and the statistics month all follow the
    one clock, so nothing is wiped as idle and nothing is counted in the wrong month."""
    monkeypatch.setattr(app_module, "SWEEP_INTERVAL_SECONDS", 0.02)
    person, case_id = await intake(env.office, env.channel, clock=env.clock)
    env.clock.advance(minutes=30)  # well inside the idle time, whatever the machine says
    sid, csrf = await session_of(env, "berater-region")
    cookie = {"Cookie": f"console={sid}"}
    queue = await (await env.client.get("/console", headers=cookie)).text()
    assert f"/console/cases/{case_id}" in queue
    assert "noch 5" in queue or "noch 6" in queue or "noch 7" in queue  # "this week": ~2 months
    case_url = f"/console/cases/{case_id}"
    for action in ("claim", "reply"):
        resp = await env.client.post(
            f"{case_url}/{action}",
            data={"csrf": csrf, "text": "Guten Tag"},
            headers=cookie,
            allow_redirects=False,
        )
        assert resp.status == 303
    await person.send(text="Danke")
    html = await (await env.client.get(case_url, headers=cookie)).text()
    assert "Guten Tag" in html and "Danke" in html
    done = await env.client.post(
        f"{case_url}/close",
        data={
            "csrf": csrf,
            "outcome": "referred",
            "life_area": "housing",
            "form": "direct",
            "confirm": "yes",
        },
        headers=cookie,
        allow_redirects=False,
    )
    assert done.headers["Location"] == "/console?notice=closed"
    async with env.office.store.read() as tx:
        periods = {r.period for r in await stats.table(tx)}
    assert periods == {env.clock().astimezone(env.console.timezone).strftime("%Y-%m")}


async def test_release_puts_the_case_back_and_two_claims_do_not_clash(env: Console_) -> None:
    _, case_id = await intake(env.office, env.channel)
    async with env.office.store.tx() as tx:
        keys = await teams.unlock_with_recovery_key(tx, "region", env.office.recovery["region"])
        second = await teams.add_counsellor(
            tx,
            "zweite-region",
            await teams.new_password(COUNSELLOR_PASSWORD, tx.kdf),
            role="counsellor",
            teams={"region": keys},
        )
        env.secrets["zweite-region"] = pyotp.random_base32()
        await teams.set_totp_secret(tx, second, env.secrets["zweite-region"])
    first_sid, first_csrf = await session_of(env, "berater-region")
    second_sid, second_csrf = await session_of(env, "zweite-region")
    url = f"/console/cases/{case_id}"
    one = await env.client.post(
        f"{url}/claim",
        data={"csrf": first_csrf},
        headers={"Cookie": f"console={first_sid}"},
        allow_redirects=False,
    )
    two = await env.client.post(
        f"{url}/claim",
        data={"csrf": second_csrf},
        headers={"Cookie": f"console={second_sid}"},
        allow_redirects=False,
    )
    assert "notice=claimed" in one.headers["Location"]
    assert "notice=taken" in two.headers["Location"]
    # The second cannot release or close what the first holds.
    for action in ("release", "close"):
        resp = await env.client.post(
            f"{url}/{action}",
            data={"csrf": second_csrf, "outcome": "resolved", "confirm": "yes"},
            headers={"Cookie": f"console={second_sid}"},
            allow_redirects=False,
        )
        assert "notice=not_yours" in resp.headers["Location"]
    back = await env.client.post(
        f"{url}/release",
        data={"csrf": first_csrf, "confirm": "yes"},
        headers={"Cookie": f"console={first_sid}"},
        allow_redirects=False,
    )
    assert back.headers["Location"] == "/console?notice=released"
    async with env.office.store.read() as tx:
        entry = await cases.entry(tx, case_id)
    assert entry is not None and entry.status == "waiting" and entry.claimed_by is None


def test_totp_accepts_the_neighbouring_steps_only() -> None:
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = NOW
    assert totp_step(secret, totp.at(now), now) == totp.timecode(now)
    assert totp_step(secret, totp.at(now - timedelta(seconds=30)), now) is not None
    assert totp_step(secret, totp.at(now + timedelta(seconds=90)), now) is None
    assert totp_step(secret, "abcdef", now) is None


@pytest.mark.slow  # the real command line in subprocesses
def test_cli_invite_prints_a_one_time_setup_link(tmp_path: Path) -> None:
    run = Cli(tmp_path, tmp_path / "data")
    first = run("init")
    assert first.returncode == 0, first.stderr
    found = re.search(r"recovery key.*\n\s+(\S+)", first.stdout)
    assert found, first.stdout
    key_file = tmp_path / "recovery"
    key_file.write_text(found.group(1) + "\n", encoding="utf-8")
    result = run("counsellor", "invite", "neu", "--team", "region", "--recovery-key-file", key_file)
    assert result.returncode == 0, result.stderr
    link = re.search(
        r"http://127\.0\.0\.1:8080/console/setup#([A-Za-z0-9_-]{40,})\n", result.stdout
    )
    assert link, result.stdout
    assert "72 hours" in result.stdout
    rows = query(
        tmp_path / "data" / "anlaufstelle.sqlite3",
        "SELECT password_hash, setup_token_hash FROM counsellors WHERE username = 'neu'",
    )
    ((password_hash, token_hash),) = rows
    assert password_hash is None and token_hash not in (None, link.group(1))
    again = run("counsellor", "invite", "neu", "--team", "region", "--recovery-key-file", key_file)
    assert "exists already" in again.one_error()


# ---------------------------------------------------------------- notes, transfer, live


async def _post(env: Console_, ident: tuple[str, str], path: str, **fields: Any) -> str:
    """Post a console form as `ident`; hands back where the console sent the browser."""
    resp = await env.client.post(
        path,
        data={"csrf": ident[1], "confirm": "yes", **fields},
        headers={"Cookie": f"console={ident[0]}"},
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    return str(resp.headers["Location"])


async def _page(env: Console_, ident: tuple[str, str], path: str) -> tuple[int, str]:
    resp = await env.client.get(
        path, headers={"Cookie": f"console={ident[0]}"}, allow_redirects=False
    )
    return resp.status, await resp.text()


async def _second_region_counsellor(env: Console_) -> None:
    async with env.office.store.tx(env.clock()) as tx:
        keys = await teams.unlock_with_recovery_key(tx, "region", env.office.recovery["region"])
        second = await teams.add_counsellor(
            tx,
            "zweite-region",
            await teams.new_password(COUNSELLOR_PASSWORD, tx.kdf),
            role="counsellor",
            teams={"region": keys},
        )
        env.secrets["zweite-region"] = pyotp.random_base32()
        await teams.set_totp_secret(tx, second, env.secrets["zweite-region"])


async def test_a_refused_note_reads_as_an_error_a_saved_one_as_done(env: Console_) -> None:
    """The counsellor must tell "not saved" from "saved" at a glance: a refusal comes in the
    error style and is announced at once, the note that is too long is called a note."""
    _, case_id = await intake(env.office, env.channel)
    region = await session_of(env, "berater-region")
    url = f"/console/cases/{case_id}"

    async def notice_after(note: str) -> tuple[str, str, str]:
        location = await _post(env, region, f"{url}/note", note=note)
        html = (await _page(env, region, location.split("#")[0]))[1]
        notice = re.search(r'<p class="([^"]*)" role="(\w+)" id="status"[^>]*>([^<]*)</p>', html)
        assert notice is not None, location
        return notice[1], notice[2], unescape(notice[3])

    assert await notice_after("Rückruf am Montag") == (
        "notice",
        "status",
        "Die Notiz ist gespeichert.",
    )
    assert await notice_after("   ") == (
        "notice problem",
        "alert",
        "Bitte schreiben Sie eine Notiz.",
    )
    assert await notice_after("x" * (MAX_TEXT_LENGTH + 1)) == (
        "notice problem",
        "alert",
        f"Die Notiz ist zu lang (höchstens {MAX_TEXT_LENGTH} Zeichen).",
    )
    # The limit is said beside the field, before anything is pasted and cut.
    form = (await _page(env, region, url))[1]
    assert f"Höchstens {MAX_TEXT_LENGTH} Zeichen" in form
    assert 'aria-describedby="note-limit"' in form


async def test_notes_are_for_the_team_only_and_stored_sealed(env: Console_) -> None:
    person, case_id = await intake(env.office, env.channel)
    region = await session_of(env, "berater-region")
    stadt = await session_of(env, "berater-stadt")
    url = f"/console/cases/{case_id}"
    note = f"Rückruf am Montag {CANARY}"
    # A note needs no claim: whoever in the team looks at a waiting case may add one.
    assert "notice=noted" in await _post(env, region, f"{url}/note", note=note)
    assert "notice=note_empty" in await _post(env, region, f"{url}/note", note="   ")
    status, html = await _page(env, region, url)
    assert status == 200 and note in html and "Interne Notizen" in html
    # Another team gets nothing, and the note cannot be added there either.
    assert (await _page(env, stadt, url))[0] == 403
    forbidden = await env.client.post(
        f"{url}/note",
        data={"csrf": stadt[1], "note": "fremd"},
        headers={"Cookie": f"console={stadt[0]}"},
        allow_redirects=False,
    )
    assert forbidden.status == 403
    # Never in what the person can read with their case code, never readable at rest.
    assert person.last is not None and person.last.case is not None
    async with env.office.store.read() as tx:
        found = await cases.private_key_for_code(tx, person.last.case.case_code)
        assert found is not None
        content = await cases.read(tx, case_id, found[1])
        sealed = (await tx.session.execute(select(CaseNote.body_ct))).scalars().all()
    assert CANARY not in repr(content)
    assert sealed and all(CANARY.encode() not in bytes(blob) for blob in sealed)
    assert all(CANARY not in sent.text for sent in env.channel.to(person.address))


async def test_transfer_to_a_colleague_then_to_the_other_team(env: Console_) -> None:
    await _second_region_counsellor(env)
    _, case_id = await intake(env.office, env.channel)
    first = await session_of(env, "berater-region")
    second = await session_of(env, "zweite-region")
    stadt = await session_of(env, "berater-stadt")
    url = f"/console/cases/{case_id}"
    async with env.office.store.read() as tx:
        second_id = await _id_of(tx, "zweite-region")
    assert "notice=claimed" in await _post(env, first, f"{url}/claim")
    assert "notice=noted" in await _post(env, first, f"{url}/note", note="Termin angeboten")
    # The case page offers the colleague and the other team.
    _, html = await _page(env, first, url)
    assert f'value="counsellor:{second_id}"' in html and 'value="team:stadt"' in html
    # Only the holder can hand it on; to the colleague, who then holds it.
    assert "notice=transfer_failed" in await _post(
        env, second, f"{url}/transfer", to=f"counsellor:{second_id}"
    )
    assert "notice=transferred" in await _post(
        env, first, f"{url}/transfer", to=f"counsellor:{second_id}"
    )
    assert "notice=not_yours" in await _post(env, first, f"{url}/reply", text="Hallo")
    assert "notice=sent" in await _post(env, second, f"{url}/reply", text="Hier ist Ihre Beraterin")
    # The colleague moves it to the City's team: it waits in their queue, readable by them
    # (with the note, resealed) and no longer by the Region's team.
    assert await _post(env, second, f"{url}/transfer", to="team:stadt") == "/console?notice=moved"
    async with env.office.store.read() as tx:
        entry = await cases.entry(tx, case_id)
        region_keys = await teams.unlock_with_recovery_key(
            tx, "region", env.office.recovery["region"]
        )
        assert await cases.private_key_for_team(tx, case_id, region_keys) is None
    assert entry is not None and (entry.team_id, entry.status) == ("stadt", "waiting")
    assert (await _page(env, first, url))[0] == 403
    status, html = await _page(env, stadt, url)
    assert status == 200 and "Termin angeboten" in html and "Hier ist Ihre Beraterin" in html
    _, queue = await _page(env, stadt, "/console")
    assert f"/console/cases/{case_id}" in queue
    async with env.office.store.read() as tx:
        entries = await audit.entries(tx, limit=1000)
    moves = [d for _, action, cid, d in entries if action == "case.transferred" and cid == case_id]
    assert sorted(moves) == sorted([f"counsellor:{second_id}", "team:stadt"])


async def test_the_case_page_gets_new_lines_live(env: Console_) -> None:
    person, case_id = await intake(env.office, env.channel)
    region = await session_of(env, "berater-region")
    url = f"/console/cases/{case_id}"
    await _post(env, region, f"{url}/claim")
    cookie = {"Cookie": f"console={region[0]}"}
    first = await (await env.client.get(f"{url}/status.json", headers=cookie)).json()
    assert first["status"] == "claimed" and first["mine"] is True and first["lines"]
    seen = first["last_seq"]
    quiet = await (await env.client.get(f"{url}/status.json?after={seen}", headers=cookie)).json()
    assert quiet["lines"] == [] and quiet["last_seq"] == seen
    await person.send(text="Sind Sie noch da?")
    news = await (await env.client.get(f"{url}/status.json?after={seen}", headers=cookie)).json()
    assert [(x["sender"], x["text"]) for x in news["lines"]] == [("person", "Sind Sie noch da?")]
    assert news["last_seq"] > seen


async def test_snippets_of_the_case_language_prefill_the_reply(env: Console_) -> None:
    _, case_id = await intake(env.office, env.channel)
    region = await session_of(env, "berater-region")
    url = f"/console/cases/{case_id}"
    await _post(env, region, f"{url}/claim")
    _, html = await _page(env, region, url)
    greeting = env.console.settings.snippets[0]
    assert greeting.language == "de" and "Textbausteine" in html
    assert "Greeting (en)" not in html  # the case is in German
    _, prefilled = await _page(env, region, f"{url}?snippet=0")
    reply_box = re.search(r'<textarea id="reply-text"[^>]*>([^<]*)</textarea>', prefilled)
    assert reply_box and reply_box.group(1).startswith(greeting.text[:30])


async def test_typing_hints_go_both_ways_and_only_for_the_holder(env: Console_) -> None:
    person, case_id = await intake(env.office, env.channel)
    region = await session_of(env, "berater-region")
    url = f"/console/cases/{case_id}"
    cookie = {"Cookie": f"console={region[0]}"}

    async def typing(csrf: str) -> int:
        resp = await env.client.post(
            f"{url}/typing", headers={**cookie, "X-CSRF-Token": csrf}, allow_redirects=False
        )
        return resp.status

    # Before the claim the hint goes nowhere; without the CSRF token it is refused.
    assert await typing(region[1]) == 204 and env.channel.typing_to == []
    await _post(env, region, f"{url}/claim")
    assert await typing("falsch") == 403
    assert await typing(region[1]) == 204
    assert env.channel.typing_to == [person.address]

    # The person typing shows in the case's status until their message arrives.
    status = await (await env.client.get(f"{url}/status.json", headers=cookie)).json()
    assert status["typing"] is False
    service = env.console.service
    await service.person_typing(env.channel.name, person.address)
    status = await (await env.client.get(f"{url}/status.json", headers=cookie)).json()
    assert status["typing"] is True
    await service.handle(InboundMessage(env.channel.name, person.address, "t-1", text="Hallo?"))
    status = await (await env.client.get(f"{url}/status.json", headers=cookie)).json()
    assert status["typing"] is False
