"""A counsellor's login checks the password and derives the key that opens their team keys
(about 0.4 s with the production costs) before its write transaction: on SQLite's one
writer, people's messages do not wait for it. What the write transaction then keeps is
checked again there: an account closed meanwhile logs nobody in. The same holds for setting
up an account (the new password's hash and key) and for enrolling a new second factor (the
current password's check)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pyotp
import pytest

from bot.channels.base import InboundMessage
from storage import teams
from storage.crypto import PRODUCTION_FLOOR, KdfParams
from storage.models import Counsellor
from storage.store import Tx
from tests.conftest import COUNSELLOR_PASSWORD
from tests.integration.test_console import Console_, _id_of, hidden, login, open_setup
from tests.meanwhile import Meanwhile, during_derivation


async def _login_with_something_meanwhile(
    env: Console_, monkeypatch: pytest.MonkeyPatch, username: str, meanwhile: Meanwhile
) -> Any:
    """Log in; while the login derives its key, run `meanwhile` to its end (within 10 s)."""
    return await during_derivation(monkeypatch, teams, login(env, username), meanwhile)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_people_write_on_while_a_counsellor_logs_in(
    env: Console_, monkeypatch: pytest.MonkeyPatch
) -> None:
    handled = []

    async def a_person_writes() -> None:
        msg = InboundMessage(env.channel.name, "jemand", "m1", command="start", language="de")
        handled.append(await env.console.service.handle(msg))

    resp = await _login_with_something_meanwhile(
        env, monkeypatch, "berater-region", a_person_writes
    )
    assert [h.status for h in handled] == ["processed"]
    assert env.channel.to("jemand"), "the person got no answer"
    assert resp.status == 303 and resp.headers["Location"] == "/console"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_write_ahead_log_is_cleared_while_a_counsellor_logs_in(
    env: Console_, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clearing SQLite's write-ahead log (after a deletion, so no ciphertext of deleted rows
    stays in it) waits for every reader's snapshot while it holds the writer; a login's
    derivation must not be such a reader, or every person's message would wait with it."""
    store = env.office.store
    cleared = []

    async def a_person_writes_and_the_log_is_cleared() -> None:
        msg = InboundMessage(env.channel.name, "jemand", "m1", command="start", language="de")
        await env.console.service.handle(msg)
        cleared.append(await store.db.clear_wal())

    resp = await _login_with_something_meanwhile(
        env, monkeypatch, "berater-region", a_person_writes_and_the_log_is_cleared
    )
    assert cleared == [True]
    assert resp.status == 303 and resp.headers["Location"] == "/console"


async def _close(tx: Tx, counsellor_id: int) -> None:
    assert await teams.deactivate(tx, counsellor_id) is not None


async def _reset_second_factor(tx: Tx, counsellor_id: int) -> None:
    # A stolen phone stops working at once, also for a login already under way.
    assert await teams.reset_second_factor(tx, counsellor_id) is not None


@pytest.mark.parametrize("admin_action", [_close, _reset_second_factor], ids=["closed", "reset"])
async def test_an_account_closed_or_reset_while_its_login_derives_is_not_logged_in(
    env: Console_,
    monkeypatch: pytest.MonkeyPatch,
    admin_action: Callable[[Tx, int], Awaitable[None]],
) -> None:
    async def an_admin_acts() -> None:
        async with env.office.store.tx(env.clock()) as tx:
            await admin_action(tx, await _id_of(tx, "berater-stadt"))

    resp = await _login_with_something_meanwhile(env, monkeypatch, "berater-stadt", an_admin_acts)
    assert resp.status == 401
    assert "console" not in resp.cookies


async def test_a_team_left_while_the_login_derives_gives_no_key_of_that_team(
    env: Console_, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def an_admin_takes_them_out_of_the_team() -> None:
        async with env.office.store.tx(env.clock()) as tx:
            cid = await _id_of(tx, "berater-region")
            assert await teams.team_ids_of(tx, cid) == ["region"]
            assert await teams.remove_member(tx, "region", cid) is not None

    resp = await _login_with_something_meanwhile(
        env, monkeypatch, "berater-region", an_admin_takes_them_out_of_the_team
    )
    assert resp.status == 303  # still an account of the office, now in no team
    session = env.console.sessions.get(resp.cookies["console"].value)
    assert session is not None and session.keys.team_keys == {}


async def test_raised_costs_reach_the_account_through_the_console_login(env: Console_) -> None:
    async with env.office.store.tx(env.clock()) as tx:
        cid = await teams.add_counsellor(
            tx,
            "frueher",
            await teams.new_password(COUNSELLOR_PASSWORD, PRODUCTION_FLOOR),
            role="counsellor",
            teams={},
        )
        env.secrets["frueher"] = pyotp.random_base32()
        await teams.set_totp_secret(tx, cid, env.secrets["frueher"])
    raised = KdfParams(
        time_cost=PRODUCTION_FLOOR.time_cost + 1, memory_cost_kib=PRODUCTION_FLOOR.memory_cost_kib
    )
    env.office.store.kdf = raised
    assert (await login(env, "frueher")).status == 303
    async with env.office.store.read(env.clock()) as tx:
        row = await tx.session.get(Counsellor, cid)
        assert row is not None and KdfParams.from_dict(row.kdf_params) == raised
    # The new wrap opens the key: the next login works as before, and only with the password.
    env.client.session.cookie_jar.clear()
    assert (await login(env, "frueher")).status == 303
    env.client.session.cookie_jar.clear()
    assert (await login(env, "frueher", password="falsch")).status == 401


async def _invited(env: Console_, username: str) -> str:
    async with env.office.store.tx(env.clock()) as tx:
        keys = await teams.unlock_with_recovery_key(tx, "region", env.office.recovery["region"])
        return await teams.invite_counsellor(tx, username, "counsellor", {"region": keys})


async def _set_up(env: Console_, token: str, password: str = COUNSELLOR_PASSWORD) -> Any:
    """What the newcomer does on the setup page: a password (twice, unless only the second
    factor is enrolled anew) and the code of the new authenticator app."""
    page = await (await open_setup(env, token)).text()
    secret = hidden(page, "secret")
    fields = {
        "token": token,
        "csrf": hidden(page, "csrf"),
        "secret": secret,
        "password": password,
        "code": pyotp.TOTP(secret).at(env.clock()),
    }
    if "password2" in page:
        fields["password2"] = password
    return await env.client.post("/console/setup", data=fields)


def _a_person_writes(env: Console_, handled: list[str]) -> Meanwhile:
    async def writes() -> None:
        msg = InboundMessage(env.channel.name, "jemand", "m1", command="start", language="de")
        handled.append((await env.console.service.handle(msg)).status)

    return writes


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_people_write_on_while_a_counsellor_sets_up_their_account(
    env: Console_, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await _invited(env, "neu.region")
    handled: list[str] = []
    done = await during_derivation(
        monkeypatch, teams, _set_up(env, token), _a_person_writes(env, handled)
    )
    assert handled == ["processed"] and env.channel.to("jemand")
    assert "Konto eingerichtet" in await done.text()
    async with env.office.store.read(env.clock()) as tx:
        newcomer = await teams.unlock(tx, "neu.region", COUNSELLOR_PASSWORD)
        assert newcomer is not None and list(newcomer.team_keys)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_people_write_on_while_a_counsellor_enrols_a_new_second_factor(
    env: Console_, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with env.office.store.tx(env.clock()) as tx:
        token = await teams.reset_second_factor(tx, await _id_of(tx, "berater-region"))
    assert token is not None
    handled: list[str] = []
    done = await during_derivation(
        monkeypatch, teams, _set_up(env, token), _a_person_writes(env, handled)
    )
    assert handled == ["processed"] and env.channel.to("jemand")
    assert "Zwei-Faktor eingerichtet" in await done.text()


async def test_an_invitation_withdrawn_while_the_newcomer_sets_up_sets_up_nothing(
    env: Console_, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await _invited(env, "neu.region")

    async def an_admin_closes_the_account() -> None:
        async with env.office.store.tx(env.clock()) as tx:
            await _close(tx, await _id_of(tx, "neu.region"))

    done = await during_derivation(
        monkeypatch, teams, _set_up(env, token), an_admin_closes_the_account
    )
    assert done.status == 404 and "Einrichtungslink ungültig" in await done.text()
    async with env.office.store.read(env.clock()) as tx:
        row = await tx.session.get_one(Counsellor, await _id_of(tx, "neu.region"))
        assert row.password_hash is None and row.totp_secret_ct is None and not row.active


async def test_a_second_factor_reset_again_while_its_enrolment_derives_enrols_nothing(
    env: Console_, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second reset (the phone lost again, say) makes the first link worthless, also for
    an enrolment already under way."""
    async with env.office.store.tx(env.clock()) as tx:
        first = await teams.reset_second_factor(tx, await _id_of(tx, "berater-region"))
    assert first is not None

    second: list[str | None] = []

    async def an_admin_resets_again() -> None:
        async with env.office.store.tx(env.clock()) as tx:
            second.append(await teams.reset_second_factor(tx, await _id_of(tx, "berater-region")))

    done = await during_derivation(monkeypatch, teams, _set_up(env, first), an_admin_resets_again)
    assert done.status == 404 and "Einrichtungslink ungültig" in await done.text()
    [token] = second
    assert token is not None
    async with env.office.store.read(env.clock()) as tx:
        assert await teams.needs_password(tx, first) is False
        row = await tx.session.get_one(Counsellor, await _id_of(tx, "berater-region"))
        assert row.totp_secret_ct is None  # nothing enrolled with the first link
    # The second link is the one that works.
    assert "Zwei-Faktor eingerichtet" in await (await _set_up(env, token)).text()
