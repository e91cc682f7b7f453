"""Running the office from the console (admins): invite, close accounts, reset a second
factor, create teams and add members — against the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pyotp

from storage import audit, cases, teams
from tests.conftest import COUNSELLOR_PASSWORD
from tests.integration.test_console import (
    Console_,
    _id_of,
    _page,
    _post,
    hidden,
    intake,
    login,
    open_setup,
    session_of,
)

SETUP_LINK = re.compile(r'<code id="secret-value">(http://[^<]+/console/setup#([^<]+))</code>')
RECOVERY = re.compile(r'<code id="secret-value">([0-9A-Z-]{20,})</code>')


async def _form_page(env: Console_, ident: tuple[str, str], path: str, **fields: object) -> str:
    resp = await env.client.post(
        path,
        data={"csrf": ident[1], **fields},
        headers={"Cookie": f"console={ident[0]}"},
        allow_redirects=False,
    )
    assert resp.status == 200, await resp.text()
    return await resp.text()


async def test_an_admin_invites_a_counsellor_who_then_works_in_the_team(env: Console_) -> None:
    admin = await session_of(env, "admin")
    status, overview = await _page(env, admin, "/console/office")
    assert status == 200 and "berater-region" in overview and "Jemanden einladen" in overview
    # The admin is in no team: the team's recovery key wraps its key for the newcomer.
    html = await _form_page(
        env,
        admin,
        "/console/office/invite",
        username="neu.region",
        role="counsellor",
        teams="region",
        **{"recovery-region": env.office.recovery["region"]},
    )
    link = SETUP_LINK.search(html)
    assert link, html
    token = link.group(2)
    page = await open_setup(env, token)
    setup_html = await page.text()
    secret, csrf = hidden(setup_html, "secret"), hidden(setup_html, "csrf")
    done = await env.client.post(
        "/console/setup",
        data={
            "token": token,
            "csrf": csrf,
            "secret": secret,
            "password": COUNSELLOR_PASSWORD,
            "password2": COUNSELLOR_PASSWORD,
            "code": pyotp.TOTP(secret).at(env.clock()),
        },
    )
    assert "Konto eingerichtet" in await done.text()
    env.secrets["neu.region"] = secret
    env.client.session.cookie_jar.clear()
    me = await session_of(env, "neu.region")
    assert (await _page(env, me, "/console"))[0] == 200
    async with env.office.store.read() as tx:
        assert await teams.team_ids_of(tx, await _id_of(tx, "neu.region")) == ["region"]
    # A wrong recovery key invites nobody.
    refused = await env.client.post(
        "/console/office/invite",
        data={
            "csrf": admin[1],
            "username": "noch.jemand",
            "role": "counsellor",
            "teams": "stadt",
            "recovery-stadt": env.office.recovery["region"],
        },
        headers={"Cookie": f"console={admin[0]}"},
    )
    assert refused.status == 400 and "gehört nicht zu diesem Team" in await refused.text()
    # Nor does an invitation to counsel in no team: that account would see no case.
    teamless = await env.client.post(
        "/console/office/invite",
        data={"csrf": admin[1], "username": "ohne.team", "role": "counsellor"},
        headers={"Cookie": f"console={admin[0]}"},
    )
    assert teamless.status == 400 and "mindestens ein Team" in await teamless.text()
    async with env.office.store.read() as tx:
        assert "ohne.team" not in [c.username for c in await teams.counsellors(tx)]


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes, in order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def by_id(self, ident: str) -> dict[str, str | None]:
        return next(a for _, a in self.tags if a.get("id") == ident)

    def team_boxes(self) -> dict[str, dict[str, str | None]]:
        return {str(a["value"]): a for _, a in self.tags if a.get("name") == "teams"}


async def _refused_invite(env: Console_, admin: tuple[str, str], **fields: object) -> str:
    resp = await env.client.post(
        "/console/office/invite",
        data={"csrf": admin[1], **fields},
        headers={"Cookie": f"console={admin[0]}"},
    )
    assert resp.status == 400
    return await resp.text()


async def test_a_refused_invitation_keeps_what_the_admin_typed(env: Console_) -> None:
    admin = await session_of(env, "admin")
    # Counselling without a team: the name and the role stay, the teams are the fault.
    html = await _refused_invite(env, admin, username="ohne.team", role="counsellor")
    page = _Tags(html)
    assert 'role="alert" id="invite-error"' in html and "mindestens ein Team" in html
    assert page.by_id("invite-username")["value"] == "ohne.team"
    assert "aria-invalid" not in page.by_id("invite-username")
    boxes = page.team_boxes()
    assert set(boxes) == {"region", "stadt"}
    assert all(b.get("aria-invalid") == "true" for b in boxes.values())
    assert [v for v, b in boxes.items() if "autofocus" in b] == [next(iter(boxes))]
    assert '<option value="counsellor" selected>' in html
    # A wrong recovery key: role and team as chosen, the key's field at fault and empty
    # (a secret is not sent back into the page).
    wrong = env.office.recovery["region"]
    html = await _refused_invite(
        env, admin, username="Neu.Stadt", role="admin", teams="stadt", **{"recovery-stadt": wrong}
    )
    page = _Tags(html)
    assert "gehört nicht zu diesem Team" in html and wrong not in html
    assert page.by_id("invite-username")["value"] == "Neu.Stadt"
    assert '<option value="admin" selected>' in html
    assert "checked" in page.team_boxes()["stadt"] and "checked" not in page.team_boxes()["region"]
    key = page.by_id("invite-recovery-stadt")
    assert key.get("aria-invalid") == "true" and "autofocus" in key and "value" not in key
    assert "invite-error" in str(key.get("aria-describedby"))
    assert "aria-invalid" not in page.by_id("invite-recovery-region")
    # A name that is taken: the name is the fault, the team choice stays.
    html = await _refused_invite(
        env,
        admin,
        username="berater-region",
        role="counsellor",
        teams="region",
        **{"recovery-region": env.office.recovery["region"]},
    )
    name = _Tags(html).by_id("invite-username")
    assert "gibt es schon" in html and name["value"] == "berater-region"
    assert name.get("aria-invalid") == "true" and "autofocus" in name
    assert name.get("aria-describedby") == "invite-username-hint invite-error"
    assert "checked" in _Tags(html).team_boxes()["region"]
    async with env.office.store.read() as tx:
        names = [c.username for c in await teams.counsellors(tx)]
    assert "ohne.team" not in names and "neu.stadt" not in names


async def test_closing_an_account_ends_its_session_and_its_keys(env: Console_) -> None:
    admin = await session_of(env, "admin")
    stadt = await session_of(env, "berater-stadt")
    async with env.office.store.read() as tx:
        stadt_id = await _id_of(tx, "berater-stadt")
    where = await _post(env, admin, f"/console/office/counsellors/{stadt_id}/deactivate")
    assert where == "/console/office?notice=deactivated"
    again = await env.client.get(
        "/console", headers={"Cookie": f"console={stadt[0]}"}, allow_redirects=False
    )
    assert again.status == 303 and again.headers["Location"] == "/console/login"
    assert (await login(env, "berater-stadt")).status == 401
    async with env.office.store.read() as tx:
        assert await teams.unlock(tx, "berater-stadt", COUNSELLOR_PASSWORD) is None
        assert await teams.team_ids_of(tx, stadt_id) == []
    _, overview = await _page(env, admin, "/console/office")
    assert "geschlossen" in overview


async def test_a_reset_second_factor_needs_the_password_and_a_new_app(env: Console_) -> None:
    admin = await session_of(env, "admin")
    async with env.office.store.read() as tx:
        region_id = await _id_of(tx, "berater-region")
    html = await _form_page(
        env, admin, f"/console/office/counsellors/{region_id}/reset-second-factor"
    )
    link = SETUP_LINK.search(html)
    assert link, html
    token = link.group(2)
    # The old authenticator no longer logs in.
    assert (await login(env, "berater-region")).status == 401
    page = await open_setup(env, token)
    setup_html = await page.text()
    assert "Zwei-Faktor neu einrichten" in setup_html and "password2" not in setup_html
    secret, csrf = hidden(setup_html, "secret"), hidden(setup_html, "csrf")

    async def enrol(password: str) -> tuple[int, str]:
        env.clock.advance(seconds=31)
        resp = await env.client.post(
            "/console/setup",
            data={
                "token": token,
                "csrf": csrf,
                "secret": secret,
                "password": password,
                "code": pyotp.TOTP(secret).at(env.clock()),
            },
        )
        return resp.status, await resp.text()

    status, text = await enrol("nicht das Passwort")
    assert status == 400 and "Passwort stimmt nicht" in text
    status, text = await enrol(COUNSELLOR_PASSWORD)
    assert status == 200 and "Zwei-Faktor eingerichtet" in text
    env.secrets["berater-region"] = secret
    env.client.session.cookie_jar.clear()
    assert (await login(env, "berater-region")).status == 303
    # The link is used up.
    assert (await open_setup(env, token)).status == 404


async def test_a_new_team_shows_its_recovery_key_once_and_takes_members(env: Console_) -> None:
    admin = await session_of(env, "admin")
    html = await _form_page(
        env, admin, "/console/office/teams", team_id="umland", name="Umland-Team"
    )
    found = RECOVERY.search(html)
    assert found, html
    async with env.office.store.read() as tx:
        region_id = await _id_of(tx, "berater-region")
    bad = await _post(
        env,
        admin,
        "/console/office/teams/umland/members",
        counsellor=str(region_id),
        recovery=env.office.recovery["region"],
    )
    assert "notice=failed" in bad
    good = await _post(
        env,
        admin,
        "/console/office/teams/umland/members",
        counsellor=str(region_id),
        recovery=found.group(1),
    )
    assert "notice=member" in good
    async with env.office.store.read() as tx:
        assert await teams.team_ids_of(tx, region_id) == ["region", "umland"]
    # A team id that exists already is refused.
    resp = await env.client.post(
        "/console/office/teams",
        data={"csrf": admin[1], "team_id": "umland", "name": "Nochmal"},
        headers={"Cookie": f"console={admin[0]}"},
    )
    assert resp.status == 400 and "gibt es schon" in await resp.text()


async def test_only_admins_reach_the_office_pages(env: Console_) -> None:
    counsellor = await session_of(env, "berater-region")
    async with env.office.store.read() as tx:
        stadt_id = await _id_of(tx, "berater-stadt")
    posts = [
        "/console/office/invite",
        f"/console/office/counsellors/{stadt_id}/deactivate",
        f"/console/office/counsellors/{stadt_id}/reset-second-factor",
        "/console/office/teams",
        "/console/office/teams/region/members",
        "/console/office/settings/office_hours",
        "/console/office/settings/office_hours/reset",
        "/console/office/settings/allowed_origins",
        "/console/office/settings/allowed_origins/reset",
        "/console/office/settings/retention_days",
        "/console/office/settings/retention_days/reset",
    ]
    for page in ("/console/office", "/console/office/settings"):
        assert (await _page(env, counsellor, page))[0] == 403
        anonymous = await env.client.get(page, allow_redirects=False)
        assert anonymous.status == 303 and anonymous.headers["Location"] == "/console/login"
    for path in posts:
        as_counsellor = await env.client.post(
            path,
            data={"csrf": counsellor[1], "username": "x", "team_id": "x", "name": "xx"},
            headers={"Cookie": f"console={counsellor[0]}"},
            allow_redirects=False,
        )
        assert as_counsellor.status == 403, path
        assert (await env.client.post(path, allow_redirects=False)).status == 403, path
    async with env.office.store.read() as tx:
        assert await teams.unlock(tx, "berater-stadt", COUNSELLOR_PASSWORD) is not None


async def test_closing_an_account_rotates_the_team_key_for_new_cases(env: Console_) -> None:
    """docs/architecture.md: closing an account deletes their wraps and rotates the team key. The
    colleague who stays reads old and new cases, in the session already open; the recovery
    key opens both keys; the departed member's copy of the old key opens no new case."""
    async with env.office.store.tx(env.clock()) as tx:
        keys = await teams.unlock_with_recovery_key(tx, "region", env.office.recovery["region"])
        stays = await teams.add_counsellor(
            tx,
            "bleibt-region",
            await teams.new_password(COUNSELLOR_PASSWORD, tx.kdf),
            role="counsellor",
            teams={"region": keys},
        )
        env.secrets["bleibt-region"] = pyotp.random_base32()
        await teams.set_totp_secret(tx, stays, env.secrets["bleibt-region"])
        old_key_id, _ = await teams.active_team_key(tx, "region")
        leaving = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert leaving is not None
    _, before = await intake(env.office, env.channel)
    admin = await session_of(env, "admin")
    colleague = await session_of(env, "bleibt-region")
    async with env.office.store.read() as tx:
        leaving_id = await _id_of(tx, "berater-region")
    await _post(env, admin, f"/console/office/counsellors/{leaving_id}/deactivate")

    _, after = await intake(env.office, env.channel)
    async with env.office.store.read() as tx:
        new_key_id, _ = await teams.active_team_key(tx, "region")
        assert new_key_id != old_key_id
        # A copy of the old team key, as the departed counsellor might have kept it.
        copied = {old_key_id: leaving.team_keys[old_key_id]}
        assert await cases.private_key_for_team(tx, before, copied) is not None
        assert await cases.private_key_for_team(tx, after, copied) is None
        recovered = await teams.unlock_with_recovery_key(
            tx, "region", env.office.recovery["region"]
        )
        assert set(recovered) == {old_key_id, new_key_id}
        entries = await audit.entries(tx, limit=50)
    assert ("team.key_rotated", "team:region") in {(a, d) for _, a, _, d in entries}
    # The colleague's open session reads both, without logging in again.
    for case_id in (before, after):
        status, html = await _page(env, colleague, f"/console/cases/{case_id}")
        assert status == 200, html


async def test_inviting_into_one_team_gives_no_key_of_the_admins_other_team(
    env: Console_,
) -> None:
    """An admin in both teams invites into "region" only: the session holds both teams' keys,
    yet the newcomer must get region's alone and never open a "stadt" case, not even with
    their password and a copy of the database."""
    async with env.office.store.tx(env.clock()) as tx:
        admin_id = await _id_of(tx, "admin")
        for team_id in ("region", "stadt"):
            keys = await teams.unlock_with_recovery_key(tx, team_id, env.office.recovery[team_id])
            assert await teams.add_member(tx, team_id, admin_id, keys)
    admin = await session_of(env, "admin")
    html = await _form_page(
        env,
        admin,
        "/console/office/invite",
        username="neu.region",
        role="counsellor",
        teams="region",
    )
    link = SETUP_LINK.search(html)
    assert link, html
    token = link.group(2)
    setup_html = await (await open_setup(env, token)).text()
    secret, csrf = hidden(setup_html, "secret"), hidden(setup_html, "csrf")
    done = await env.client.post(
        "/console/setup",
        data={
            "token": token,
            "csrf": csrf,
            "secret": secret,
            "password": COUNSELLOR_PASSWORD,
            "password2": COUNSELLOR_PASSWORD,
            "code": pyotp.TOTP(secret).at(env.clock()),
        },
    )
    assert "Konto eingerichtet" in await done.text()
    _, stadt_case = await intake(env.office, env.channel, municipality="hannover")
    _, region_case = await intake(env.office, env.channel)
    async with env.office.store.read() as tx:
        newcomer = await teams.unlock(tx, "neu.region", COUNSELLOR_PASSWORD)
        assert newcomer is not None
        assert await cases.private_key_for_team(tx, region_case, newcomer.team_keys) is not None
        assert await cases.private_key_for_team(tx, stadt_case, newcomer.team_keys) is None


async def test_a_console_reply_with_an_unreadable_byte_sequence_is_refused_cleanly(
    env: Console_,
) -> None:
    me = await session_of(env, "berater-region")
    _, case_id = await intake(env.office, env.channel)
    url = f"/console/cases/{case_id}"
    headers = {
        "Cookie": f"console={me[0]}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    claim = await env.client.post(
        f"{url}/claim", data=f"csrf={me[1]}", headers=headers, allow_redirects=False
    )
    assert claim.status == 303
    resp = await env.client.post(
        f"{url}/reply",
        data=f"csrf={me[1]}&text=Hallo%20Beratung%20%ED%A0%80",
        headers=headers,
        allow_redirects=False,
    )
    # Surrogates cannot be written as valid UTF-8: the form is refused, with a message
    # that says so, and nothing is stored or retried.
    assert resp.status == 403
    assert "Formular war ungültig" in await resp.text()
    status, html = await _page(env, me, url)
    assert status == 200 and "Hallo Beratung" not in html
