"""Invariant of the key hierarchy: a counsellor holds wraps of team keys exactly for the teams
they are a member of (and the current key of each), after every membership operation, on
SQLite and PostgreSQL. A wrap for a team one is not in is a key to cases one must not read.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import select

from storage import cases, contacts, conversations, flows, teams
from storage.models import TeamKey, TeamKeyWrap, TeamMember
from storage.store import Store, Tx
from tests.conftest import COUNSELLOR_PASSWORD, Office


async def _assert_wraps_match_memberships(tx: Tx) -> None:
    wrapped: dict[int, set[str]] = defaultdict(set)
    held: dict[int, set[int]] = defaultdict(set)
    rows = await tx.session.execute(
        select(TeamKeyWrap.counsellor_id, TeamKeyWrap.team_key_id, TeamKey.team_id)
        .join(TeamKey, TeamKey.id == TeamKeyWrap.team_key_id)
        .where(TeamKeyWrap.holder == "counsellor")
    )
    for counsellor_id, key_id, team_id in rows:
        assert counsellor_id is not None
        wrapped[counsellor_id].add(team_id)
        held[counsellor_id].add(key_id)
    member: dict[int, set[str]] = defaultdict(set)
    for counsellor_id, team_id in await tx.session.execute(
        select(TeamMember.counsellor_id, TeamMember.team_id)
    ):
        member[counsellor_id].add(team_id)
    assert dict(wrapped) == dict(member)
    for counsellor_id, team_ids in member.items():
        for team_id in team_ids:
            active_id, _ = await teams.active_team_key(tx, team_id)
            assert active_id in held[counsellor_id], (counsellor_id, team_id)


async def _keys_of(store: Store, username: str, password: str) -> dict[int, bytes]:
    async with store.tx() as tx:
        unlocked = await teams.unlock(tx, username, password)
    assert unlocked is not None
    return unlocked.team_keys


async def _case_in(store: Store, team_id: str) -> int:
    made = await store.case_material()
    async with store.tx() as tx:
        contact = await contacts.contact_for(tx, "memory", f"person-{team_id}")
        version = await flows.current(tx, "mini")
        assert version is not None
        conversation = await conversations.start(tx, contact.id, version.id, "de", None)
        created = await cases.hand_over(
            tx,
            cases.HandoverRequest(
                conversation.id, team_id, {}, False, None, "memory", "de", session_token=None
            ),
            made,
        )
    return created.case_id


async def test_every_membership_operation_keeps_wraps_exactly_to_memberships(
    office: Office,
) -> None:
    store = office.store
    password = "ein langes neues Passwort"
    async with store.tx() as tx:
        # An admin in both teams: their session holds the keys of both.
        both = {
            **await teams.unlock_with_recovery_key(tx, "region", office.recovery["region"]),
            **await teams.unlock_with_recovery_key(tx, "stadt", office.recovery["stadt"]),
        }
        await teams.add_counsellor(
            tx,
            "admin",
            await teams.new_password(COUNSELLOR_PASSWORD, tx.kdf),
            role="admin",
            teams={"region": both, "stadt": both},
        )
        await _assert_wraps_match_memberships(tx)
    session_keys = await _keys_of(store, "admin", COUNSELLOR_PASSWORD)
    assert len(session_keys) == 2

    # Invite into region, handing over the whole session key set (as the console does).
    async with store.tx() as tx:
        token = await teams.invite_counsellor(tx, "neu", "counsellor", {"region": session_keys})
        await _assert_wraps_match_memberships(tx)
    made = await teams.new_password(password, store.kdf)
    async with store.tx() as tx:
        new_id = await teams.complete_setup(tx, token, made, "JBSWY3DPEHPK3PXP")
        assert new_id is not None
        await _assert_wraps_match_memberships(tx)
    assert len(await _keys_of(store, "neu", password)) == 1

    async with store.tx() as tx:
        assert await teams.add_member(tx, "stadt", new_id, session_keys)
        await _assert_wraps_match_memberships(tx)
    assert len(await _keys_of(store, "neu", password)) == 2

    async with store.tx() as tx:
        assert await teams.remove_member(tx, "region", new_id) is not None
        await _assert_wraps_match_memberships(tx)
        assert await teams.team_ids_of(tx, new_id) == ["stadt"]

    case_id = await _case_in(store, "region")
    admin_keys = await _keys_of(store, "admin", COUNSELLOR_PASSWORD)
    async with store.tx() as tx:
        admin = await teams.unlock(tx, "admin", COUNSELLOR_PASSWORD)
        assert admin is not None
        assert await cases.transfer_to_team(tx, case_id, admin.counsellor_id, "stadt", admin_keys)
        await _assert_wraps_match_memberships(tx)

    async with store.tx() as tx:
        await teams.rotate_team_key(tx, "stadt")
        await _assert_wraps_match_memberships(tx)

    async with store.tx() as tx:
        assert await teams.deactivate(tx, new_id) is not None
        await _assert_wraps_match_memberships(tx)
        assert await teams.team_ids_of(tx, new_id) == []


async def test_joining_a_team_without_its_current_key_is_refused(office: Office) -> None:
    async with office.store.tx() as tx:
        stadt = await teams.unlock_with_recovery_key(tx, "stadt", office.recovery["stadt"])
        with pytest.raises(teams.TeamError):
            await teams.invite_counsellor(tx, "neu", "counsellor", {"region": stadt})
