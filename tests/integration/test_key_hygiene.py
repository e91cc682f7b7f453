"""What a counsellor's keys leave behind: a setup link, a colleague who left, a session left
open, a failed login's timing. SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock, SystemClock
from bot.console.auth import SessionStore
from storage import cases, integrity, notes, teams
from storage.crypto import (
    PRODUCTION_FLOOR,
    CryptoError,
    KdfParams,
    aad_for,
    open_sealed,
    recovery_key_bytes,
    session_key,
    setup_key,
    unwrap,
    wrap,
)
from storage.models import CaseKeyWrap, Counsellor, Team, TeamKeyWrap
from storage.store import Store
from tests.conftest import COUNSELLOR_PASSWORD, Office
from tests.integration.test_console import Console_, intake, open_setup, session_of
from tests.integration.test_conversation import NOW
from tests.serve import Server

PASSWORD = "ein langes neues Passwort"


async def test_setup_makes_a_new_key_pair_so_a_leaked_link_and_an_old_copy_open_nothing(
    office: Office,
) -> None:
    async with office.store.tx() as tx:
        keys = await teams.unlock_with_recovery_key(tx, "region", office.recovery["region"])
        token = await teams.invite_counsellor(tx, "neu", "counsellor", {"region": keys})
        # A copy of the database taken while the invitation was open:
        row = await tx.session.scalar(select(Counsellor).where(Counsellor.username == "neu"))
        assert row is not None
        counsellor_id, wrapped_then, public_then = row.id, row.private_key_wrapped, row.public_key
    # The leaked link opens the copy's private key ...
    old_private = unwrap(
        setup_key(token.encode()), wrapped_then, aad_for("counsellor-setup", "neu")
    )

    made = await teams.new_password(PASSWORD, office.store.kdf)
    async with office.store.tx() as tx:
        assert await teams.complete_setup(tx, token, made, "JBSWY3DPEHPK3PXP") == counsellor_id
    async with office.store.tx() as tx:
        row = await tx.session.get_one(Counsellor, counsellor_id)
        assert row.public_key != public_then
        wraps = list(
            await tx.session.scalars(
                select(TeamKeyWrap).where(TeamKeyWrap.counsellor_id == counsellor_id)
            )
        )
        unlocked = await teams.unlock(tx, "neu", PASSWORD)
    # ... but it opens none of the team keys sealed to the account now.
    assert wraps
    for w in wraps:
        with pytest.raises(CryptoError):
            open_sealed(
                old_private,
                w.wrapped,
                aad_for("team-key", w.team_key_id, "counsellor", counsellor_id),
            )
    assert unlocked is not None and set(unlocked.team_keys) == {w.team_key_id for w in wraps}


def test_setup_tokens_and_session_tokens_derive_different_keys() -> None:
    token = b"the same random bytes, 32 long.."
    assert setup_key(token) != session_key(token)


async def test_a_failed_login_costs_the_same_work_as_a_right_password(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the second factor checked after the keys are unlocked, a right password with a
    wrong code must not answer slower than a wrong password (or an unknown name, or a
    closed account's name: a faster answer would tell which names were closed)."""
    work: Counter[str] = Counter()
    real_verify, real_kdf = teams.verify_password, teams.slow_kdf  # type: ignore[attr-defined]

    def verify(*args: Any) -> bool:
        work["password check"] += 1
        return real_verify(*args)

    async def kdf(*args: Any) -> bytes:
        work["key derivation"] += 1
        return await real_kdf(*args)

    monkeypatch.setattr(teams, "verify_password", verify)
    monkeypatch.setattr(teams, "slow_kdf", kdf)
    costs = []
    for name, password in (
        ("berater-region", COUNSELLOR_PASSWORD),
        ("berater-region", "falsches Passwort"),
        ("niemand", COUNSELLOR_PASSWORD),
    ):
        work.clear()
        async with office.store.tx() as tx:
            await teams.unlock(tx, name, password)
        costs.append(dict(work))
    async with office.store.tx() as tx:
        closed = await teams.login_account(tx, "berater-region")
        assert closed is not None
        await teams.deactivate(tx, closed.counsellor_id)
    for password in (COUNSELLOR_PASSWORD, "falsches Passwort"):
        work.clear()
        async with office.store.tx() as tx:
            assert await teams.unlock(tx, "berater-region", password) is None
        costs.append(dict(work))
    assert all(cost == {"password check": 1, "key derivation": 1} for cost in costs), costs


async def test_a_member_can_be_added_after_a_rotation(office: Office) -> None:
    async with office.store.tx() as tx:
        keys = await teams.unlock_with_recovery_key(tx, "region", office.recovery["region"])
        leaver = await teams.add_counsellor(
            tx,
            "geht",
            await teams.new_password(COUNSELLOR_PASSWORD, tx.kdf),
            role="counsellor",
            teams={"region": keys},
        )
    async with office.store.tx() as tx:
        assert await teams.deactivate(tx, leaver)
    async with office.store.tx() as tx:
        stays = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert stays is not None
        newcomer = await teams.add_counsellor(
            tx,
            "neu",
            await teams.new_password(COUNSELLOR_PASSWORD, tx.kdf),
            role="counsellor",
            teams={},
        )
        assert await teams.add_member(tx, "region", newcomer, stays.team_keys)
    async with office.store.tx() as tx:
        joined = await teams.unlock(tx, "neu", COUNSELLOR_PASSWORD)
    assert joined is not None and joined.team_keys == stays.team_keys


async def _team_wraps(env: Console_, case_id: int) -> set[int]:
    async with env.office.store.read() as tx:
        return {
            k
            for k in await tx.session.scalars(
                select(CaseKeyWrap.team_key_id).where(
                    CaseKeyWrap.case_id == case_id, CaseKeyWrap.kind == "team"
                )
            )
            if k is not None
        }


async def test_after_a_colleague_leaves_the_next_login_moves_open_cases_to_the_new_key(
    env: Console_,
) -> None:
    _, case_id = await intake(env.office, env.channel)
    async with env.office.store.tx() as tx:
        keys = await teams.unlock_with_recovery_key(tx, "region", env.office.recovery["region"])
        leaver = await teams.add_counsellor(
            tx,
            "geht",
            await teams.new_password(COUNSELLOR_PASSWORD, tx.kdf),
            role="counsellor",
            teams={"region": keys},
        )
        await notes.add(tx, case_id, "region", leaver, "note", {"text": "Rückruf vereinbart"})
        kept = await teams.unlock(tx, "geht", COUNSELLOR_PASSWORD)
        assert kept is not None
        old_key = dict(kept.team_keys)  # the copy the leaver takes home
    async with env.office.store.tx() as tx:
        assert await teams.deactivate(tx, leaver)
    assert await _team_wraps(env, case_id) == set(old_key)  # still only the old key

    await session_of(env, "berater-region")  # the next login of a remaining member

    moved = await _team_wraps(env, case_id)
    assert moved and not moved & set(old_key)
    async with env.office.store.tx() as tx:
        assert await cases.private_key_for_team(tx, case_id, old_key) is None
        stays = await teams.unlock(tx, "berater-region", COUNSELLOR_PASSWORD)
        assert stays is not None
        assert await cases.private_key_for_team(tx, case_id, stays.team_keys) is not None
        with pytest.raises(CryptoError):
            await notes.read(tx, case_id, old_key)
        (note,) = await notes.read(tx, case_id, stays.team_keys)
    assert note.body == {"text": "Rückruf vereinbart"}


def test_sessions_end_when_idle_or_too_old_and_the_sweep_drops_their_keys() -> None:
    clock = ManualClock(NOW)
    sessions = SessionStore(timedelta(minutes=30), clock, timedelta(hours=12))
    idle = sessions.create(teams.CounsellorKeys(1, "a", "counsellor", {1: b"k" * 32}))
    busy = sessions.create(teams.CounsellorKeys(2, "b", "counsellor", {1: b"k" * 32}))
    assert idle.id not in repr(idle) and idle.csrf not in repr(idle)
    for _ in range(3):
        clock.advance(minutes=20)
        assert sessions.get(busy.id) is busy
    # The walked-away session is ended by the sweep, not only at its next request.
    assert sessions.sweep() == 1
    assert idle.keys.team_keys == {} and sessions.get(idle.id) is None
    # However busy: the session ends twelve hours after its login.
    while clock() < NOW + timedelta(hours=12):
        assert sessions.get(busy.id) is busy
        clock.advance(minutes=20)
    assert sessions.get(busy.id) is None and busy.keys.team_keys == {}


@pytest.mark.slow
def test_the_service_writes_no_core_file(tmp_path: Path) -> None:
    server = Server(tmp_path)
    server.start()
    try:
        assert server.proc is not None
        limits = Path(f"/proc/{server.proc.pid}/limits").read_text()
    finally:
        server.stop()
    (line,) = [x for x in limits.splitlines() if x.startswith("Max core file size")]
    assert line.split()[4:6] == ["0", "0"]


async def test_a_key_rotated_in_another_process_opens_new_cases_in_an_open_session(
    env: Console_,
) -> None:
    sid, _ = await session_of(env, "berater-region")
    # Another replica closes a colleague's account: the team key rotates there; this
    # process's sessions were never handed the new key.
    async with env.office.store.tx() as tx:
        keys = await teams.unlock_with_recovery_key(tx, "region", env.office.recovery["region"])
        leaver = await teams.add_counsellor(
            tx,
            "geht",
            await teams.new_password(COUNSELLOR_PASSWORD, tx.kdf),
            role="counsellor",
            teams={"region": keys},
        )
    async with env.office.store.tx() as tx:
        assert await teams.deactivate(tx, leaver)
    _, case_id = await intake(env.office, env.channel, account="Neu nach dem Wechsel")
    page = await env.client.get(f"/console/cases/{case_id}", headers={"Cookie": f"console={sid}"})
    assert page.status == 200
    assert "Neu nach dem Wechsel" in await page.text()


async def test_a_setup_link_keeps_its_token_out_of_every_address_the_server_sees(
    env: Console_,
) -> None:
    async with env.office.store.tx(env.clock()) as tx:
        token = await teams.invite_counsellor(tx, "neu", "counsellor", {})
    # The link is /console/setup#TOKEN: the browser asks for /console/setup only.
    start = await env.client.get("/console/setup")
    html = await start.text()
    assert start.status == 200 and 'name="token"' in html and token not in html
    setup = await open_setup(env, token)
    assert setup.status == 200 and "neu" in await setup.text()
    # A link in the old form is sent on to the new one.
    old = await env.client.get(f"/console/setup/{token}", allow_redirects=False)
    assert old.status == 303 and old.headers["Location"] == f"/console/setup#{token}"


async def _as_before_sealed_recovery(env: Console_, team_id: str) -> None:
    """Turn a team into one made before migration 0006: its keys wrapped symmetrically under
    the recovery key, no recovery public key kept."""
    recovery = env.office.recovery[team_id]
    async with env.office.store.tx() as tx:
        keys = await teams.unlock_with_recovery_key(tx, team_id, recovery)
        team = await tx.session.get_one(Team, team_id)
        team.recovery_public_key = None
        integrity.stamp(tx, team)  # as the first start after migration 0008 does
        for w in await tx.session.scalars(
            select(TeamKeyWrap).where(
                TeamKeyWrap.holder == "recovery", TeamKeyWrap.team_key_id.in_(list(keys))
            )
        ):
            aad = aad_for("team-key", w.team_key_id, "recovery", 0)
            w.wrapped = wrap(recovery_key_bytes(recovery), keys[w.team_key_id], aad)


async def test_an_old_team_is_flagged_until_its_recovery_wraps_are_sealed(env: Console_) -> None:
    await _as_before_sealed_recovery(env, "region")
    sid, _ = await session_of(env, "admin")
    office = await env.client.get("/console/office", headers={"Cookie": f"console={sid}"})
    html = await office.text()
    assert 'id="unrotatable"' in html and "anlaufstelle team seal-recovery region" in html

    async with env.office.store.tx() as tx:
        with pytest.raises(teams.TeamError):
            await teams.seal_recovery_wraps(tx, "region", env.office.recovery["stadt"])
    async with env.office.store.tx() as tx:
        assert await teams.seal_recovery_wraps(tx, "region", env.office.recovery["region"])
    async with env.office.store.tx() as tx:
        assert not await teams.seal_recovery_wraps(tx, "region", env.office.recovery["region"])
        # The recovery key still opens the team, and a leaver's account now rotates it.
        assert await teams.unlock_with_recovery_key(tx, "region", env.office.recovery["region"])
        leaver = await tx.session.scalar(
            select(Counsellor.id).where(Counsellor.username == "berater-region")
        )
        assert leaver is not None
        rotations = await teams.deactivate(tx, leaver)
    assert rotations and rotations[0].team_id == "region"
    html = await (
        await env.client.get("/console/office", headers={"Cookie": f"console={sid}"})
    ).text()
    assert 'id="unrotatable"' not in html


async def test_a_wrap_below_the_key_derivation_floor_opens_nothing(office: Office) -> None:
    # Made with the test's cheap costs; an installation configured as an office must be
    # (or anything above the floor) treats such wraps as not its own.
    _, case_id = await intake(office, MemoryChannel())
    made = await office.store.case_material()
    async with office.store.tx() as tx:
        keys = await teams.unlock_with_recovery_key(tx, "region", office.recovery["region"])
        await teams.add_counsellor(
            tx,
            "billig",
            await teams.new_password(COUNSELLOR_PASSWORD, tx.kdf),
            role="counsellor",
            teams={"region": keys},
        )
        code = await cases.replace_code(
            tx, case_id, await cases.private_key_for_team(tx, case_id, keys) or b"", made
        )
    assert KdfParams.fast().weaker_than(PRODUCTION_FLOOR)
    configured = Store(office.store.db, office.store.keys, PRODUCTION_FLOOR, clock=SystemClock())
    async with configured.tx() as tx:
        assert await teams.unlock(tx, "billig", COUNSELLOR_PASSWORD) is None
        assert await cases.private_key_for_code(tx, code) is None
    async with office.store.tx() as tx:  # the installation that made them still opens them
        assert await teams.unlock(tx, "billig", COUNSELLOR_PASSWORD) is not None
        assert await cases.private_key_for_code(tx, code) is not None


async def test_raised_key_derivation_costs_reach_an_account_at_its_next_login(
    office: Office,
) -> None:
    async with office.store.tx() as tx:
        await teams.add_counsellor(
            tx,
            "frueher",
            await teams.new_password(COUNSELLOR_PASSWORD, PRODUCTION_FLOOR),
            role="counsellor",
            teams={},
        )
    raised = KdfParams(time_cost=3, memory_cost_kib=PRODUCTION_FLOOR.memory_cost_kib)
    now = Store(office.store.db, office.store.keys, raised, clock=SystemClock())
    async with now.tx() as tx:
        assert await teams.unlock(tx, "frueher", COUNSELLOR_PASSWORD) is not None
    async with now.tx() as tx:
        row = await tx.session.scalar(select(Counsellor).where(Counsellor.username == "frueher"))
        assert row is not None and KdfParams.from_dict(row.kdf_params) == raised
        assert await teams.unlock(tx, "frueher", COUNSELLOR_PASSWORD) is not None
        assert await teams.unlock(tx, "frueher", "falsch") is None
