"""Teams, counsellors and the key hierarchy above the cases.

A team's private key exists only wrapped: sealed to each member's public key and wrapped
once for the team's recovery key. A counsellor's private key exists only wrapped under a
key derived from their password, so unlocking needs the password.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from storage.crypto import (
    CryptoError,
    KdfParams,
    aad_for,
    generate_keypair,
    hash_password,
    new_recovery_key,
    new_salt,
    open_sealed,
    recovery_key_bytes,
    seal,
    unwrap,
    verify_password,
    wrap,
)
from storage.kdf import slow_kdf
from storage.models import Counsellor, Team, TeamKey, TeamKeyWrap, TeamMember
from storage.store import Tx


class TeamError(Exception):
    """A team or counsellor operation cannot be done; the message says why."""


@dataclass(frozen=True)
class TeamCreated:
    team_id: str
    recovery_key: str
    """Printed once for the office to keep on paper; never stored."""


@dataclass(frozen=True)
class CounsellorKeys:
    """What an unlocked counsellor session holds in memory: team key id -> team private key."""

    counsellor_id: int
    username: str
    role: str
    team_keys: dict[int, bytes]

    def __repr__(self) -> str:
        return f"CounsellorKeys(counsellor_id={self.counsellor_id}, keys={len(self.team_keys)})"


def _team_aad(team_key_id: int, holder: str, counsellor_id: int | None = None) -> bytes:
    return aad_for("team-key", team_key_id, holder, counsellor_id or 0)


async def create_team(tx: Tx, team_id: str, name: str) -> TeamCreated:
    if await tx.session.get(Team, team_id) is not None:
        raise TeamError(f"team {team_id!r} exists already")
    tx.session.add(Team(id=team_id, name=name, created_at=tx.now))
    pair = generate_keypair()
    key = TeamKey(team_id=team_id, public_key=pair.public, created_at=tx.now)
    tx.session.add(key)
    await tx.session.flush()
    recovery = new_recovery_key()
    tx.session.add(
        TeamKeyWrap(
            team_key_id=key.id,
            holder="recovery",
            wrapped=wrap(recovery_key_bytes(recovery), pair.private, _team_aad(key.id, "recovery")),
        )
    )
    await tx.session.flush()
    return TeamCreated(team_id, recovery)


async def team_exists(tx: Tx, team_id: str) -> bool:
    return await tx.session.get(Team, team_id) is not None


async def active_team_key(tx: Tx, team_id: str) -> tuple[int, bytes]:
    """The newest team public key, which new cases are wrapped for."""
    row = await tx.session.scalar(
        select(TeamKey)
        .where(TeamKey.team_id == team_id, TeamKey.retired_at.is_(None))
        .order_by(TeamKey.id.desc())
        .limit(1)
    )
    if row is None:
        raise TeamError(f"team {team_id!r} does not exist or has no key")
    return row.id, row.public_key


async def unlock_with_recovery_key(tx: Tx, team_id: str, recovery_key: str) -> dict[int, bytes]:
    """All private keys of a team, from its recovery key (for adding a first member or recovery)."""
    if not await team_exists(tx, team_id):
        raise TeamError(f"team {team_id!r} does not exist")
    try:
        secret = recovery_key_bytes(recovery_key)
    except ValueError as exc:
        raise TeamError(f"recovery key not accepted: {exc}") from None
    rows = await tx.session.execute(
        select(TeamKey.id, TeamKeyWrap.wrapped)
        .join(TeamKeyWrap, TeamKeyWrap.team_key_id == TeamKey.id)
        .where(TeamKey.team_id == team_id, TeamKeyWrap.holder == "recovery")
    )
    keys: dict[int, bytes] = {}
    for key_id, wrapped in rows:
        try:
            keys[key_id] = unwrap(secret, wrapped, _team_aad(key_id, "recovery"))
        except CryptoError:
            raise TeamError("this recovery key does not belong to the team") from None
    if not keys:
        raise TeamError(f"team {team_id!r} has no recovery wrap")
    return keys


async def add_counsellor(
    tx: Tx,
    username: str,
    password: str,
    *,
    role: str,
    teams: dict[str, dict[int, bytes]],
    kdf: KdfParams | None = None,
) -> int:
    """Create an account and wrap each given team's private keys for it.

    `teams`: team id -> that team's unlocked private keys (from a colleague's session or the
    recovery key); without them the new counsellor could not read the team's cases.
    """
    if role not in {"counsellor", "admin"}:
        raise TeamError("role must be counsellor or admin")
    if await tx.session.scalar(select(Counsellor.id).where(Counsellor.username == username)):
        raise TeamError(f"a counsellor named {username!r} exists already")
    params = kdf or tx.kdf
    pair = generate_keypair()
    salt = new_salt()
    row = Counsellor(
        username=username,
        role=role,
        password_hash=await asyncio.to_thread(hash_password, password),
        public_key=pair.public,
        private_key_wrapped=wrap(
            await slow_kdf(password, salt, params),
            pair.private,
            aad_for("counsellor-key", username),
        ),
        kdf_salt=salt,
        kdf_params=params.to_dict(),
        active=True,
        created_at=tx.now,
    )
    tx.session.add(row)
    await tx.session.flush()
    for team_id, keys in teams.items():
        if not await team_exists(tx, team_id):
            raise TeamError(f"team {team_id!r} does not exist")
        tx.session.add(TeamMember(team_id=team_id, counsellor_id=row.id))
        for key_id, private in keys.items():
            tx.session.add(
                TeamKeyWrap(
                    team_key_id=key_id,
                    holder="counsellor",
                    counsellor_id=row.id,
                    wrapped=seal(pair.public, private, _team_aad(key_id, "counsellor", row.id)),
                )
            )
    await tx.session.flush()
    return row.id


async def unlock(tx: Tx, username: str, password: str) -> CounsellorKeys | None:
    """Check the password and open the counsellor's team keys; None for a wrong login."""
    row = await tx.session.scalar(select(Counsellor).where(Counsellor.username == username))
    if row is None:
        # Same work as for a real account, so the answer time does not tell which names exist.
        await asyncio.to_thread(verify_password, _dummy_hash(), password)
        return None
    if not row.active or not await asyncio.to_thread(verify_password, row.password_hash, password):
        return None
    params = KdfParams.from_dict(row.kdf_params)
    private = unwrap(
        await slow_kdf(password, row.kdf_salt, params),
        row.private_key_wrapped,
        aad_for("counsellor-key", username),
    )
    wraps = await tx.session.scalars(
        select(TeamKeyWrap).where(
            TeamKeyWrap.counsellor_id == row.id, TeamKeyWrap.holder == "counsellor"
        )
    )
    keys = {
        w.team_key_id: open_sealed(
            private, w.wrapped, _team_aad(w.team_key_id, "counsellor", row.id)
        )
        for w in wraps
    }
    return CounsellorKeys(row.id, row.username, row.role, keys)


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


async def counsellor_count(tx: Tx) -> int:
    return len((await tx.session.scalars(select(Counsellor.id))).all())
