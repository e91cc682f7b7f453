"""Teams, counsellors and the key hierarchy above the cases.

A team's private key exists only wrapped: sealed to each member's public key and wrapped
once for the team's recovery key. A counsellor's private key exists only wrapped under a
key derived from their password, so unlocking needs the password.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

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
    recovery_keypair,
    seal,
    session_key,
    setup_key,
    unwrap,
    verify_password,
    wrap,
)
from storage.integrity import intact, require, stamp
from storage.kdf import slow_kdf
from storage.models import Counsellor, Team, TeamKey, TeamKeyWrap, TeamMember
from storage.store import Tx

log = logging.getLogger(__name__)


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
    private_key: list[bytes] = field(default_factory=list, compare=False)
    """The counsellor's own private key (at most one), kept so that a team key rotated by
    another process can be opened at the next request; emptied with the team keys."""

    def __repr__(self) -> str:
        return f"CounsellorKeys(counsellor_id={self.counsellor_id}, keys={len(self.team_keys)})"

    def forget(self) -> None:
        self.team_keys.clear()
        self.private_key.clear()


def _team_aad(team_key_id: int, holder: str, counsellor_id: int | None = None) -> bytes:
    return aad_for("team-key", team_key_id, holder, counsellor_id or 0)


async def create_team(tx: Tx, team_id: str, name: str) -> TeamCreated:
    if await tx.session.get(Team, team_id) is not None:
        raise TeamError(f"team {team_id!r} exists already")
    recovery = new_recovery_key()
    recovery_pair = recovery_keypair(recovery_key_bytes(recovery))
    team = Team(id=team_id, name=name, created_at=tx.now, recovery_public_key=recovery_pair.public)
    stamp(tx, team)
    tx.session.add(team)
    pair = generate_keypair()
    key = TeamKey(team_id=team_id, public_key=pair.public, created_at=tx.now)
    tx.session.add(key)
    await tx.session.flush()
    stamp(tx, key)
    tx.session.add(
        TeamKeyWrap(
            team_key_id=key.id,
            holder="recovery",
            wrapped=seal(recovery_pair.public, pair.private, _team_aad(key.id, "recovery")),
        )
    )
    await tx.session.flush()
    return TeamCreated(team_id, recovery)


async def team_exists(tx: Tx, team_id: str) -> bool:
    return await tx.session.get(Team, team_id) is not None


async def active_team_key(tx: Tx, team_id: str) -> tuple[int, bytes]:
    """The newest team public key, which new cases are wrapped for.

    Only a key this service made: a key row someone added to the database (with a wrap sealed
    to a counsellor, which needs no secret) would otherwise receive every new case. Such a
    row is passed over, logged, and named on the console's administration page."""
    rows = await tx.session.scalars(
        select(TeamKey)
        .where(TeamKey.team_id == team_id, TeamKey.retired_at.is_(None))
        .order_by(TeamKey.id.desc())
    )
    for row in rows:
        if intact(tx, row):
            return row.id, row.public_key
        log.error("team key %s of team %s failed its integrity check; not used", row.id, team_id)
    raise TeamError(f"team {team_id!r} does not exist or has no key")


@dataclass(frozen=True)
class ForgedKey:
    kind: str  # "team-key" | "recovery" | "counsellor"
    name: str
    """The team id or the username whose key it is."""


async def forged_keys(tx: Tx) -> list[ForgedKey]:
    """Every public key row this service did not write (someone with write access to the
    database added or changed it): for the console's administration page, which tells the
    admins what happened and what to do. Such keys are never sealed to or opened."""
    found = [
        ForgedKey("team-key", row.team_id)
        for row in await tx.session.scalars(select(TeamKey).order_by(TeamKey.id))
        if not intact(tx, row)
    ]
    found += [
        ForgedKey("recovery", row.id)
        for row in await tx.session.scalars(select(Team).order_by(Team.id))
        if not intact(tx, row)
    ]
    found += [
        ForgedKey("counsellor", row.username)
        for row in await tx.session.scalars(select(Counsellor).order_by(Counsellor.id))
        if not intact(tx, row)
    ]
    return found


async def _open_wraps(
    tx: Tx, private: bytes, counsellor_id: int, wraps: list[tuple[TeamKeyWrap, TeamKey]]
) -> dict[int, bytes]:
    """Open the team keys sealed to a counsellor, skipping any key row this service did not
    write (a forged key must not be used to read or to seal)."""
    keys = {}
    for w, key in wraps:
        if not intact(tx, key):
            log.error("team key %s failed its integrity check; not opened", key.id)
            continue
        aad = _team_aad(w.team_key_id, "counsellor", counsellor_id)
        keys[w.team_key_id] = open_sealed(private, w.wrapped, aad)
    return keys


async def unlock_with_recovery_key(tx: Tx, team_id: str, recovery_key: str) -> dict[int, bytes]:
    """All private keys of a team, from its recovery key (for adding a first member or recovery)."""
    if not await team_exists(tx, team_id):
        raise TeamError(f"team {team_id!r} does not exist")
    try:
        secret = recovery_key_bytes(recovery_key)
    except ValueError as exc:
        raise TeamError(f"recovery key not accepted: {exc}") from None
    rows = (
        await tx.session.execute(
            select(TeamKey, TeamKeyWrap.wrapped)
            .join(TeamKeyWrap, TeamKeyWrap.team_key_id == TeamKey.id)
            .where(TeamKey.team_id == team_id, TeamKeyWrap.holder == "recovery")
        )
    ).all()
    team = await tx.session.get_one(Team, team_id)
    require(tx, team, f"the recovery public key of team {team_id!r}")
    pair = recovery_keypair(secret)
    if team.recovery_public_key is not None and not hmac.compare_digest(
        pair.public, team.recovery_public_key
    ):
        raise TeamError("this recovery key does not belong to the team")
    keys: dict[int, bytes] = {}
    for key_row, wrapped in rows:
        if not intact(tx, key_row):
            log.error("team key %s failed its integrity check; not opened", key_row.id)
            continue
        key_id = key_row.id
        aad = _team_aad(key_id, "recovery")
        try:
            keys[key_id] = (
                open_sealed(pair.private, wrapped, aad)
                if team.recovery_public_key is not None
                else unwrap(secret, wrapped, aad)  # a team made before sealed recovery wraps
            )
        except CryptoError:
            raise TeamError("this recovery key does not belong to the team") from None
    if not keys:
        raise TeamError(f"team {team_id!r} has no recovery wrap")
    return keys


async def seal_recovery_wraps(tx: Tx, team_id: str, recovery_key: str) -> bool:
    """For a team made before sealed recovery wraps (migration 0006): check its recovery key,
    keep the key's public half and seal every team key to it, so that closing an account can
    rotate the team's key from then on. False if the team has it already."""
    team = await tx.session.get(Team, team_id)
    if team is None:
        raise TeamError(f"team {team_id!r} does not exist")
    if team.recovery_public_key is not None:
        return False
    keys = await unlock_with_recovery_key(tx, team_id, recovery_key)
    pair = recovery_keypair(recovery_key_bytes(recovery_key))
    wraps = await tx.session.scalars(
        select(TeamKeyWrap)
        .join(TeamKey, TeamKey.id == TeamKeyWrap.team_key_id)
        .where(TeamKey.team_id == team_id, TeamKeyWrap.holder == "recovery")
    )
    for w in wraps:
        aad = _team_aad(w.team_key_id, "recovery")
        w.wrapped = seal(pair.public, keys[w.team_key_id], aad)
    team.recovery_public_key = pair.public
    stamp(tx, team)
    await tx.session.flush()
    return True


async def teams_without_sealed_recovery(tx: Tx) -> list[str]:
    """Teams whose key cannot be rotated yet (made before migration 0006): closing an account
    there leaves the old team key in use until `anlaufstelle team seal-recovery` ran."""
    return list(
        await tx.session.scalars(
            select(Team.id).where(Team.recovery_public_key.is_(None)).order_by(Team.id)
        )
    )


async def add_counsellor(
    tx: Tx,
    username: str,
    made: NewPassword,
    *,
    role: str,
    teams: dict[str, dict[int, bytes]],
) -> int:
    """Create an account and wrap each given team's private keys for it.

    `made`: the password's hash and wrapping key (`new_password`), made before the write
    transaction. `teams`: team id -> that team's unlocked private keys (from a colleague's
    session or the recovery key); without them the new counsellor could not read the team's
    cases.
    """
    if role not in {"counsellor", "admin"}:
        raise TeamError("role must be counsellor or admin")
    if await tx.session.scalar(select(Counsellor.id).where(Counsellor.username == username)):
        raise TeamError(f"a counsellor named {username!r} exists already")
    pair = generate_keypair()
    row = Counsellor(
        username=username,
        role=role,
        password_hash=made.password_hash,
        public_key=pair.public,
        private_key_wrapped=wrap(made.key, pair.private, aad_for("counsellor-key", username)),
        kdf_salt=made.salt,
        kdf_params=made.params.to_dict(),
        active=True,
        created_at=tx.now,
    )
    tx.session.add(row)
    await tx.session.flush()
    stamp(tx, row)
    await _join_teams(tx, row.id, pair.public, teams)
    return row.id


@dataclass(frozen=True)
class _Rewrap:
    """The counsellor's private key wrapped anew at the office's raised costs."""

    wrapped: bytes
    salt: bytes
    params: dict[str, Any]


@dataclass
class Unlocked:
    """A login's slow part done (`open_keys`): the keys, and what they were opened with, for
    `keep` to check again in the write transaction."""

    keys: CounsellorKeys
    password_hash: str
    public_key: bytes
    kdf_salt: bytes
    rewrap: _Rewrap | None


async def unlock(tx: Tx, username: str, password: str) -> CounsellorKeys | None:
    """Check the password and open the counsellor's team keys; None for a wrong login. In
    one write transaction; where others wait for the writer, `login_rows` in a read
    transaction, `open_keys` outside any, then `keep` in a short write transaction."""
    unlocked = await open_keys(await login_rows(tx, username), username, password, tx.kdf)
    return None if unlocked is None else await keep(tx, unlocked)


@dataclass(frozen=True)
class LoginRows:
    """What a login reads (`login_rows`) before its slow part (`open_keys`), which then
    needs no transaction: on SQLite even a read transaction would hold its snapshot through
    the derivation, and a checkpoint that clears the write-ahead log waits for it while
    holding the writer."""

    counsellor_id: int
    username: str
    role: str
    active: bool
    password_hash: str | None
    public_key: bytes
    kdf_salt: bytes
    kdf_params: dict[str, Any]
    private_key_wrapped: bytes
    team_key_wraps: tuple[tuple[int, bytes], ...]
    """(team key id, the key sealed to the counsellor) of the intact team keys only."""


async def login_rows(tx: Tx, username: str) -> LoginRows | None:
    """The account of `username` and its team-key wraps, for `open_keys`; None for no
    account or one not set up. Team key rows this service did not write are left out (a
    forged key must not be used to read or to seal)."""
    row = await tx.session.scalar(select(Counsellor).where(Counsellor.username == username))
    if row is None or row.password_hash is None:
        return None
    wraps = (
        await tx.session.execute(
            select(TeamKeyWrap, TeamKey)
            .join(TeamKey, TeamKey.id == TeamKeyWrap.team_key_id)
            .where(TeamKeyWrap.counsellor_id == row.id, TeamKeyWrap.holder == "counsellor")
        )
    ).all()
    intact_wraps = []
    for w, key in wraps:
        if intact(tx, key):
            intact_wraps.append((w.team_key_id, w.wrapped))
        else:
            log.error("team key %s failed its integrity check; not opened", key.id)
    return LoginRows(
        row.id,
        row.username,
        row.role,
        row.active,
        row.password_hash,
        row.public_key,
        row.kdf_salt,
        row.kdf_params,
        row.private_key_wrapped,
        tuple(intact_wraps),
    )


async def open_keys(
    found: LoginRows | None, username: str, password: str, kdf: KdfParams
) -> Unlocked | None:
    """Check the password and open the counsellor's team keys from what `login_rows` read,
    outside any transaction: the slow part of a login (a password check and a key
    derivation, with production costs about 0.4 s), so nothing waits for it. `kdf`: the
    costs this installation writes. None for a wrong login."""
    # Every answer costs the same: one password check and one key derivation, whether the
    # name exists, the account is set up and the password is right or not. Otherwise the
    # answer time would tell a guesser which names exist and, where the second factor is
    # checked after this, that the password was right (~440 ms against ~190 ms).
    if found is None:
        await asyncio.to_thread(verify_password, _dummy_hash(), password)
        await slow_kdf(password or "-", _DUMMY_KDF_SALT, kdf)
        return None
    assert found.password_hash is not None  # `login_rows` returns set-up accounts only
    params = KdfParams.from_dict(found.kdf_params)
    if params.weaker_than(kdf.floor()):
        # Not what this installation writes: a wrap someone made cheap to guess. Refused
        # at the same cost as any wrong login.
        log.error(
            "counsellor %s: key derivation costs below the floor; login refused",
            found.counsellor_id,
        )
        await asyncio.to_thread(verify_password, _dummy_hash(), password)
        await slow_kdf(password or "-", _DUMMY_KDF_SALT, kdf)
        return None
    # Checked for a closed account too: refused without it, it would answer faster.
    right = await asyncio.to_thread(verify_password, found.password_hash, password)
    if not found.active or not right:
        await slow_kdf(password or "-", _DUMMY_KDF_SALT, params)
        return None
    private = unwrap(
        await slow_kdf(password, found.kdf_salt, params),
        found.private_key_wrapped,
        aad_for("counsellor-key", username),
    )
    rewrap = None
    if params.weaker_than(kdf):
        # The office raised the costs since this wrap was made: the password is at hand now,
        # so the wrap moves up to them (once; later logins cost the new amount).
        salt = new_salt()
        wrapped = wrap(
            await slow_kdf(password, salt, kdf), private, aad_for("counsellor-key", username)
        )
        rewrap = _Rewrap(wrapped, salt, kdf.to_dict())
    keys = {
        key_id: open_sealed(private, wrapped, _team_aad(key_id, "counsellor", found.counsellor_id))
        for key_id, wrapped in found.team_key_wraps
    }
    opened = CounsellorKeys(found.counsellor_id, found.username, found.role, keys, [private])
    return Unlocked(opened, found.password_hash, found.public_key, found.kdf_salt, rewrap)


async def keep(tx: Tx, unlocked: Unlocked) -> CounsellorKeys | None:
    """In the login's write transaction: the keys, if the account is still as `open_keys`
    found it (active, the same password and key pair; an admin may have closed it
    meanwhile), without the team keys whose wraps went meanwhile (the counsellor left that
    team), and with the raised-cost wrap stored unless another login stored one first.
    None, and the keys forgotten, if the account changed."""
    keys = unlocked.keys
    row = await tx.session.get(Counsellor, keys.counsellor_id)
    if (
        row is None
        or not row.active
        or row.password_hash != unlocked.password_hash
        or row.public_key != unlocked.public_key
    ):
        keys.forget()
        return None
    still = set(
        await tx.session.scalars(
            select(TeamKeyWrap.team_key_id).where(
                TeamKeyWrap.counsellor_id == row.id, TeamKeyWrap.holder == "counsellor"
            )
        )
    )
    for gone in [key_id for key_id in keys.team_keys if key_id not in still]:
        del keys.team_keys[gone]
    if unlocked.rewrap is not None and row.kdf_salt == unlocked.kdf_salt:
        row.private_key_wrapped = unlocked.rewrap.wrapped
        row.kdf_salt = unlocked.rewrap.salt
        row.kdf_params = unlocked.rewrap.params
    return keys


_DUMMY_KDF_SALT = new_salt()
"""Derived with when a login fails before the real derivation (same cost, thrown away)."""


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


async def open_newer_team_keys(tx: Tx, keys: CounsellorKeys) -> int:
    """Open team keys sealed to this counsellor since their login (a rotation in another
    process or replica: a colleague left); returns how many were added. One small query
    when nothing is new."""
    if not keys.private_key:
        return 0
    wraps = (
        await tx.session.execute(
            select(TeamKeyWrap, TeamKey)
            .join(TeamKey, TeamKey.id == TeamKeyWrap.team_key_id)
            .where(
                TeamKeyWrap.counsellor_id == keys.counsellor_id,
                TeamKeyWrap.holder == "counsellor",
                TeamKeyWrap.team_key_id.not_in(list(keys.team_keys)),
            )
        )
    ).all()
    opened = await _open_wraps(
        tx, keys.private_key[0], keys.counsellor_id, [(w, k) for w, k in wraps]
    )
    keys.team_keys.update(opened)
    return len(opened)


async def counsellor_count(tx: Tx) -> int:
    return len((await tx.session.scalars(select(Counsellor.id))).all())


# ---------------------------------------------------------------- invitations and setup

SETUP_VALIDITY = timedelta(hours=72)


def _setup_hash(tx: Tx, token: str) -> str:
    return tx.keys.pseudonym("counsellor-setup", token)


def _setup_key(token: str) -> bytes:
    # The token is 256 random bits, not chosen by a person: HKDF is enough (no Argon2id).
    return setup_key(token.encode("ascii"))


def _unwrap_setup(token: str, row: Counsellor) -> bytes:
    """The invited account's private key; invitations made before setup tokens had their
    own HKDF info were wrapped with the session tokens' derivation (open 72 hours at most)."""
    aad = aad_for("counsellor-setup", row.username)
    try:
        return unwrap(_setup_key(token), row.private_key_wrapped, aad)
    except CryptoError:
        return unwrap(session_key(token.encode("ascii")), row.private_key_wrapped, aad)


def _totp_aad(counsellor_id: int) -> bytes:
    return aad_for("counsellor-totp", counsellor_id)


async def invite_counsellor(
    tx: Tx,
    username: str,
    role: str,
    teams: dict[str, dict[int, bytes]],
    *,
    valid_for: timedelta = SETUP_VALIDITY,
) -> str:
    """Create an account that has no password yet; returns the one-time setup token.

    The key pair is made now and the teams' keys are sealed to it now (the inviter holds
    them); the private key is wrapped under a key derived from the token until
    `complete_setup` rewraps it under the password. Only a keyed hash of the token is kept.
    """
    if role not in {"counsellor", "admin"}:
        raise TeamError("role must be counsellor or admin")
    if not username or len(username) > 64 or not username.isprintable():
        raise TeamError("a username needs 1 to 64 printable characters")
    if await tx.session.scalar(select(Counsellor.id).where(Counsellor.username == username)):
        raise TeamError(f"a counsellor named {username!r} exists already")
    token = secrets.token_urlsafe(32)
    pair = generate_keypair()
    row = Counsellor(
        username=username,
        role=role,
        password_hash=None,
        public_key=pair.public,
        private_key_wrapped=wrap(
            _setup_key(token), pair.private, aad_for("counsellor-setup", username)
        ),
        kdf_salt=new_salt(),
        kdf_params=tx.kdf.to_dict(),
        setup_token_hash=_setup_hash(tx, token),
        setup_expires_at=tx.now + valid_for,
        failed_logins=0,
        active=True,
        created_at=tx.now,
    )
    tx.session.add(row)
    await tx.session.flush()
    stamp(tx, row)
    await _join_teams(tx, row.id, pair.public, teams)
    return token


async def _join_teams(
    tx: Tx, counsellor_id: int, public_key: bytes, teams: dict[str, dict[int, bytes]]
) -> None:
    """Make the counsellor a member of each team and seal that team's keys for them.

    Only the keys that belong to the team are sealed, whatever else the caller hands in: a
    console session holds the keys of all its teams, and an invitation into team A must not
    give the invitee team B's key (which closing their account would not even rotate).
    """
    member = await tx.session.get_one(Counsellor, counsellor_id)
    if teams and not intact(tx, member):
        log.error("the key of counsellor %s failed its integrity check", counsellor_id)
        raise TeamError(
            "this account's public key was not written by this service; "
            "no team key is sealed to it (restore the database from a backup)"
        )
    for team_id, given in teams.items():
        if not await team_exists(tx, team_id):
            raise TeamError(f"team {team_id!r} does not exist")
        own = set(await tx.session.scalars(select(TeamKey.id).where(TeamKey.team_id == team_id)))
        keys = {key_id: private for key_id, private in given.items() if key_id in own}
        active_id, _ = await active_team_key(tx, team_id)
        if active_id not in keys:
            # Without the newest key the member could not read new cases.
            raise TeamError(f"the current key of team {team_id!r} is needed to add a member")
        tx.session.add(TeamMember(team_id=team_id, counsellor_id=counsellor_id))
        for key_id, private in keys.items():
            tx.session.add(
                TeamKeyWrap(
                    team_key_id=key_id,
                    holder="counsellor",
                    counsellor_id=counsellor_id,
                    wrapped=seal(
                        public_key, private, _team_aad(key_id, "counsellor", counsellor_id)
                    ),
                )
            )
    await tx.session.flush()


async def _pending_setup(tx: Tx, token: str) -> Counsellor | None:
    if not token or len(token) > 100:
        return None
    row = await tx.session.scalar(
        select(Counsellor).where(Counsellor.setup_token_hash == _setup_hash(tx, token))
    )
    if row is None or not row.active or row.setup_expires_at is None:
        return None
    if row.setup_expires_at <= tx.now:
        return None
    return row


async def setup_username(tx: Tx, token: str) -> str | None:
    """The username a valid, unexpired setup token belongs to; None otherwise."""
    row = await _pending_setup(tx, token)
    return None if row is None else row.username


@dataclass(frozen=True, repr=False)
class NewPassword:
    """A new password's slow part (`new_password`), done before the write transaction: its
    hash for the login's check and the key that will wrap the counsellor's private key."""

    password_hash: str
    key: bytes
    salt: bytes
    params: KdfParams


async def new_password(password: str, params: KdfParams) -> NewPassword:
    """Hash `password` and derive its wrapping key at `params` (with production costs two
    Argon2id runs, about half a second), outside any transaction: on SQLite's one writer no
    person's message waits for a counsellor setting up their account."""
    salt = new_salt()
    return NewPassword(
        await asyncio.to_thread(hash_password, password),
        await slow_kdf(password, salt, params),
        salt,
        params,
    )


async def complete_setup(tx: Tx, token: str, password: NewPassword, totp_secret: str) -> int | None:
    """Set the password (made by `new_password`) and the TOTP secret of an invited account;
    the token is used up.

    Returns the counsellor id, or None if the token is unknown, used or expired.
    """
    row = await _pending_setup(tx, token)
    if row is None:
        return None
    try:
        private = _unwrap_setup(token, row)
    except CryptoError:
        return None
    tx.removed_secrets("setup")  # the row's older image with the token-wrapped key
    # A new key pair now: the one made at the invitation was wrapped under the link's token,
    # and a leaked link plus a database copy from the invitation window must not open the
    # team keys sealed to this account later. Everything sealed to the old pair moves.
    pair = generate_keypair()
    wraps = await tx.session.scalars(
        select(TeamKeyWrap).where(
            TeamKeyWrap.counsellor_id == row.id, TeamKeyWrap.holder == "counsellor"
        )
    )
    for w in wraps:
        aad = _team_aad(w.team_key_id, "counsellor", row.id)
        w.wrapped = seal(pair.public, open_sealed(private, w.wrapped, aad), aad)
    row.public_key = pair.public
    stamp(tx, row)
    row.password_hash = password.password_hash
    row.private_key_wrapped = wrap(
        password.key, pair.private, aad_for("counsellor-key", row.username)
    )
    row.kdf_salt = password.salt
    row.kdf_params = password.params.to_dict()
    row.setup_token_hash = None
    row.setup_expires_at = None
    row.failed_logins = 0
    row.locked_until = None
    row.totp_last_step = None
    row.totp_secret_ct = tx.keys.encrypt("totp", totp_secret.encode("ascii"), _totp_aad(row.id))
    await tx.session.flush()
    return row.id


async def set_totp_secret(tx: Tx, counsellor_id: int, totp_secret: str) -> None:
    """Give an account (e.g. one made with `add_counsellor`) a TOTP secret."""
    await tx.session.execute(
        update(Counsellor)
        .where(Counsellor.id == counsellor_id)
        .values(
            totp_secret_ct=tx.keys.encrypt(
                "totp", totp_secret.encode("ascii"), _totp_aad(counsellor_id)
            ),
            totp_last_step=None,
        )
    )


# ---------------------------------------------------------------- login bookkeeping


@dataclass(frozen=True)
class LoginAccount:
    """What the login needs before checking a password: never the password hash itself."""

    counsellor_id: int
    failed_logins: int
    totp_secret: str | None
    totp_last_step: int | None


async def login_account(tx: Tx, username: str) -> LoginAccount | None:
    """The account's lockout state and TOTP secret; None for an unknown or inactive name."""
    row = await tx.session.scalar(select(Counsellor).where(Counsellor.username == username))
    if row is None or not row.active:
        return None
    secret = (
        None
        if row.totp_secret_ct is None
        else tx.keys.decrypt("totp", row.totp_secret_ct, _totp_aad(row.id)).decode("ascii")
    )
    return LoginAccount(row.id, row.failed_logins, secret, row.totp_last_step)


async def record_login_failure(tx: Tx, counsellor_id: int) -> int:
    """Count a failed login in a row, for the admins to see; returns the count.

    It never locks the account: a lock for everyone would let anyone who knows the name keep
    the counsellor out. The console slows and locks out per name and client instead
    (bot/console/login_guard.py)."""
    row = await tx.session.get(Counsellor, counsellor_id)
    if row is None:
        return 0
    row.failed_logins = (row.failed_logins or 0) + 1
    await tx.session.flush()
    return row.failed_logins


async def record_login_success(tx: Tx, counsellor_id: int, totp_step: int) -> bool:
    """Reset the failure count and use up the TOTP time step. False if that step (or a later
    one) was used already: a code seen once cannot log in again."""
    result = await tx.session.execute(
        update(Counsellor)
        .where(
            Counsellor.id == counsellor_id,
            (Counsellor.totp_last_step.is_(None)) | (Counsellor.totp_last_step < totp_step),
        )
        .values(failed_logins=0, locked_until=None, totp_last_step=totp_step)
    )
    return getattr(result, "rowcount", 0) == 1


async def team_ids_of(tx: Tx, counsellor_id: int) -> list[str]:
    rows = await tx.session.scalars(
        select(TeamMember.team_id)
        .where(TeamMember.counsellor_id == counsellor_id)
        .order_by(TeamMember.team_id)
    )
    return list(rows)


async def team_names(tx: Tx) -> dict[str, str]:
    rows = await tx.session.execute(select(Team.id, Team.name))
    return {team_id: name for team_id, name in rows}


async def is_member(tx: Tx, team_id: str, counsellor_id: int) -> bool:
    """Whether an active counsellor belongs to the team."""
    found = await tx.session.scalar(
        select(TeamMember.counsellor_id)
        .join(Counsellor, Counsellor.id == TeamMember.counsellor_id)
        .where(
            TeamMember.team_id == team_id,
            TeamMember.counsellor_id == counsellor_id,
            Counsellor.active.is_(True),
            Counsellor.password_hash.is_not(None),
        )
    )
    return found is not None


async def colleagues(tx: Tx, team_id: str, counsellor_id: int) -> list[tuple[int, str]]:
    """(id, username) of the other active, set-up members of a team."""
    rows = await tx.session.execute(
        select(Counsellor.id, Counsellor.username)
        .join(TeamMember, TeamMember.counsellor_id == Counsellor.id)
        .where(
            TeamMember.team_id == team_id,
            Counsellor.id != counsellor_id,
            Counsellor.active.is_(True),
            Counsellor.password_hash.is_not(None),
        )
        .order_by(Counsellor.username)
    )
    return [(cid, name) for cid, name in rows]


# ---------------------------------------------------------------- running the office (admins)


@dataclass(frozen=True)
class CounsellorInfo:
    """An account as the admin pages list it: never a secret, never a hash."""

    id: int
    username: str
    role: str
    teams: tuple[str, ...]
    active: bool
    set_up: bool
    second_factor: bool
    setup_expires_at: datetime | None
    failed_logins: int
    """Failed logins in a row since the last good one (from any client)."""


async def counsellors(tx: Tx) -> list[CounsellorInfo]:
    rows = (await tx.session.scalars(select(Counsellor).order_by(Counsellor.username))).all()
    members = await tx.session.execute(select(TeamMember.counsellor_id, TeamMember.team_id))
    teams_of: dict[int, list[str]] = {}
    for cid, team_id in members:
        teams_of.setdefault(cid, []).append(team_id)
    return [
        CounsellorInfo(
            r.id,
            r.username,
            r.role,
            tuple(sorted(teams_of.get(r.id, []))),
            r.active,
            r.password_hash is not None,
            r.totp_secret_ct is not None,
            r.setup_expires_at,
            r.failed_logins or 0,
        )
        for r in rows
    ]


@dataclass(frozen=True, repr=False)
class Rotation:
    """A team's new key after a rotation: the private half goes to the members' live sessions
    (their next login unwraps it anyway), never to storage in the clear."""

    team_id: str
    key_id: int
    private: bytes
    member_ids: tuple[int, ...]


async def rotate_team_key(tx: Tx, team_id: str) -> Rotation:
    """Give the team a new key for new cases, wrapped for every active member and sealed for
    the recovery key; older keys are retired (kept, so earlier cases stay readable).

    Needs no secret: members' public keys and the team's recovery public key suffice. A
    counsellor who left and kept a copy of an old team key cannot read cases sealed after.
    """
    team = await tx.session.get(Team, team_id)
    if team is None:
        raise TeamError(f"team {team_id!r} does not exist")
    if team.recovery_public_key is None:
        raise TeamError(f"team {team_id!r} predates sealed recovery wraps; rotate with its key")
    if not intact(tx, team):
        log.error("the recovery public key of team %s failed its integrity check", team_id)
        raise TeamError(
            f"the recovery public key of team {team_id!r} was not written by this service; "
            "no new team key is sealed to it (restore the database from a backup)"
        )
    pair = generate_keypair()
    key = TeamKey(team_id=team_id, public_key=pair.public, created_at=tx.now)
    tx.session.add(key)
    await tx.session.flush()
    stamp(tx, key)
    await tx.session.execute(
        update(TeamKey)
        .where(TeamKey.team_id == team_id, TeamKey.id != key.id, TeamKey.retired_at.is_(None))
        .values(retired_at=tx.now)
    )
    tx.session.add(
        TeamKeyWrap(
            team_key_id=key.id,
            holder="recovery",
            wrapped=seal(team.recovery_public_key, pair.private, _team_aad(key.id, "recovery")),
        )
    )
    members = []
    for member in await tx.session.scalars(
        select(Counsellor)
        .join(TeamMember, TeamMember.counsellor_id == Counsellor.id)
        .where(TeamMember.team_id == team_id, Counsellor.active.is_(True))
    ):
        if intact(tx, member):
            members.append((member.id, member.public_key))
        else:  # a swapped public key would hand the new team key to whoever made it
            log.error("the key of counsellor %s failed its integrity check; skipped", member.id)
    for counsellor_id, public_key in members:
        tx.session.add(
            TeamKeyWrap(
                team_key_id=key.id,
                holder="counsellor",
                counsellor_id=counsellor_id,
                wrapped=seal(
                    public_key, pair.private, _team_aad(key.id, "counsellor", counsellor_id)
                ),
            )
        )
    await tx.session.flush()
    return Rotation(team_id, key.id, pair.private, tuple(cid for cid, _ in members))


async def deactivate(tx: Tx, counsellor_id: int) -> list[Rotation] | None:
    """Close an account for good: it can no longer log in, every wrap of a team key for it is
    deleted (its password opens nothing) and its memberships go. Each of its teams gets a new
    key for new cases (docs/architecture.md: closing an account rotates the team key), so even a
    copy of the old team key taken while employed opens nothing written from now on.

    None if there is no such active account.
    """
    row = await tx.session.get(Counsellor, counsellor_id)
    if row is None or not row.active:
        return None
    team_ids = await team_ids_of(tx, counsellor_id)
    row.active = False
    row.setup_token_hash = None
    row.setup_expires_at = None
    row.totp_secret_ct = None
    await tx.session.execute(
        delete(TeamKeyWrap).where(
            TeamKeyWrap.holder == "counsellor", TeamKeyWrap.counsellor_id == counsellor_id
        )
    )
    await tx.session.execute(delete(TeamMember).where(TeamMember.counsellor_id == counsellor_id))
    await tx.session.flush()
    rotations = []
    for team_id in team_ids:
        team = await tx.session.get(Team, team_id)
        if team is not None and team.recovery_public_key is not None:
            rotations.append(await rotate_team_key(tx, team_id))
    return rotations


async def reset_second_factor(
    tx: Tx, counsellor_id: int, *, valid_for: timedelta = SETUP_VALIDITY
) -> str | None:
    """Forget the account's TOTP secret (a lost or stolen phone stops working at once) and
    return a one-time link token to enrol a new one with the current password."""
    row = await tx.session.get(Counsellor, counsellor_id)
    if row is None or not row.active or row.password_hash is None:
        return None
    token = secrets.token_urlsafe(32)
    row.totp_secret_ct = None
    row.totp_last_step = None
    row.setup_token_hash = _setup_hash(tx, token)
    row.setup_expires_at = tx.now + valid_for
    await tx.session.flush()
    return token


async def needs_password(tx: Tx, token: str) -> bool:
    """Whether a valid setup token is a second-factor reset (the account has a password)."""
    row = await _pending_setup(tx, token)
    return row is not None and row.password_hash is not None


async def reenrol_second_factor(
    tx: Tx, token: str, unlocked: Unlocked | None, totp_secret: str
) -> int | None:
    """Enrol a new TOTP secret after a reset: the token must still be valid and the current
    password fit, checked before the write transaction (`login_rows` and `open_keys`, as a
    login; None for a wrong password) and confirmed here (`keep`). The token is used up;
    returns the counsellor id, or None."""
    row = await _pending_setup(tx, token)
    if unlocked is None:
        return None
    if row is None or row.password_hash is None or row.id != unlocked.keys.counsellor_id:
        unlocked.keys.forget()
        return None
    keys = await keep(tx, unlocked)
    if keys is None:
        return None
    keys.forget()
    row.setup_token_hash = None
    row.setup_expires_at = None
    row.totp_last_step = None
    row.totp_secret_ct = tx.keys.encrypt("totp", totp_secret.encode("ascii"), _totp_aad(row.id))
    await tx.session.flush()
    return row.id


async def add_member(tx: Tx, team_id: str, counsellor_id: int, team_keys: dict[int, bytes]) -> bool:
    """Put an active counsellor into a team, wrapping the team's keys (given by a member's
    session or the recovery key) for their public key. False if they are a member already."""
    row = await tx.session.get(Counsellor, counsellor_id)
    if row is None or not row.active:
        raise TeamError("no such active counsellor")
    if await tx.session.get(TeamMember, (team_id, counsellor_id)) is not None:
        return False
    await _join_teams(tx, counsellor_id, row.public_key, {team_id: team_keys})
    return True


async def remove_member(tx: Tx, team_id: str, counsellor_id: int) -> Rotation | None:
    """Take a counsellor out of one team: their wraps of that team's keys and the membership
    go, and the team gets a new key for new cases (ARCHITECTURE.md: removing a member rotates
    the team key). None if they were not a member."""
    if await tx.session.get(TeamMember, (team_id, counsellor_id)) is None:
        return None
    own = select(TeamKey.id).where(TeamKey.team_id == team_id)
    await tx.session.execute(
        delete(TeamKeyWrap).where(
            TeamKeyWrap.holder == "counsellor",
            TeamKeyWrap.counsellor_id == counsellor_id,
            TeamKeyWrap.team_key_id.in_(own),
        )
    )
    await tx.session.execute(
        delete(TeamMember).where(
            TeamMember.team_id == team_id, TeamMember.counsellor_id == counsellor_id
        )
    )
    await tx.session.flush()
    return await rotate_team_key(tx, team_id)
