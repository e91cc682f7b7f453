"""Opening the service's storage: server key, database, migrations, and the first start.

Every failure here is a `StartupError` with one sentence that tells the operator what to do;
the CLI prints it and exits non-zero instead of showing a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.flows import SHIPPED_INTAKE
from bot.settings import Settings
from storage import meta, teams
from storage.crypto import KdfParams, ServerKey, ServerKeyError
from storage.db import Database, DatabaseUnavailable
from storage.meta import WrongServerKey
from storage.migrate import upgrade
from storage.store import Store, Tx

DEMO_TEAM = ("region", "Antidiskriminierungsstelle Region Hannover")
DEMO_COUNSELLOR = "demo"


class StartupError(Exception):
    """The service cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class FirstStart:
    """Secrets made on the very first start, shown once and never stored in the clear."""

    team_id: str
    recovery_key: str
    counsellor: str
    setup_link: str
    """One-time link where the demo counsellor sets a password and enrols two-factor."""


def server_key(settings: Settings, *, create: bool) -> ServerKey:
    path = settings.resolved_server_key_file
    if not path.exists():
        if not create or settings.server_key_file is not None:
            raise StartupError(
                f"server key file {path} is missing; restore it from your key backup, "
                "or run `anlaufstelle init` for a new installation"
            )
        key = ServerKey.generate()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            key.save(path)
        except OSError as exc:
            raise StartupError(
                f"cannot create the server key file {path} ({exc.strerror})"
            ) from None
        except ServerKeyError as exc:
            raise StartupError(str(exc)) from None
        return key
    try:
        return ServerKey.load(path)
    except ServerKeyError as exc:
        raise StartupError(str(exc)) from None


def kdf_params(settings: Settings) -> KdfParams:
    return KdfParams(time_cost=settings.kdf_time_cost, memory_cost_kib=settings.kdf_memory_kib)


async def open_store(settings: Settings, *, create: bool) -> tuple[Store, FirstStart | None]:
    """Open (and on first start create) the database; returns the store and first-start secrets."""
    if create:
        try:
            # Only the service's user may list or read the database, WAL and key files.
            settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            if settings.data_dir.stat().st_mode & 0o077:
                # Made earlier, or by hand under a usual umask: it holds the database,
                # its WAL and (by default) the server key.
                settings.data_dir.chmod(0o700)
        except OSError as exc:
            raise StartupError(
                f"cannot create the data directory {settings.data_dir} ({exc.strerror})"
            ) from None
    key = server_key(settings, create=create)
    try:
        db = Database(settings.resolved_database_url)
    except DatabaseUnavailable as exc:
        raise StartupError(str(exc)) from None
    try:
        await db.check()
        await upgrade(db)
        store = Store(db, key, kdf_params(settings))
        async with store.tx() as tx:
            new = await meta.check_server_key(tx)
            first = await _first_start(tx, settings) if new and create else None
        return store, first
    except DatabaseUnavailable as exc:
        await db.dispose()
        raise StartupError(str(exc)) from None
    except WrongServerKey as exc:
        await db.dispose()
        raise StartupError(str(exc)) from None
    except BaseException:
        await db.dispose()
        raise


async def _first_start(tx: Tx, settings: Settings) -> FirstStart | None:
    if await teams.team_exists(tx, DEMO_TEAM[0]):
        return None
    created = await teams.create_team(tx, *DEMO_TEAM)
    keys = await teams.unlock_with_recovery_key(tx, created.team_id, created.recovery_key)
    # An invitation, not a password: the console requires two-factor, which the person
    # enrols on the setup page with their own authenticator app.
    token = await teams.invite_counsellor(tx, DEMO_COUNSELLOR, "admin", {created.team_id: keys})
    return FirstStart(
        created.team_id, created.recovery_key, DEMO_COUNSELLOR, setup_url(settings, token)
    )


def setup_url(settings: Settings, token: str) -> str:
    base = settings.console.public_url or f"http://{settings.host}:{settings.port}"
    return f"{base.rstrip('/')}/console/setup/{token}"


def shipped_flows(settings: Settings) -> list[Path]:
    return settings.flows or [SHIPPED_INTAKE]
