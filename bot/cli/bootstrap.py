"""Opening the service's storage: server key, database, migrations, and the first start.

Every failure here is a `StartupError` with one sentence that tells the operator what to do;
the CLI prints it and exits non-zero instead of showing a traceback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from bot.clock import Clock, SystemClock
from bot.conversation.flows import SHIPPED_INTAKE
from bot.settings import Settings
from storage import integrity, meta, teams
from storage.crypto import KdfParams, ServerKey, ServerKeyError
from storage.db import Database, DatabaseDamaged, DatabaseUnavailable, is_damage, sqlite_file
from storage.meta import WrongServerKey
from storage.migrate import current_revision, exclusive_start, head_revision, knows, upgrade
from storage.store import Store, Tx

DEMO_TEAM = ("region", "Antidiskriminierungsstelle Region Hannover")
DEMO_COUNSELLOR = "demo"


class StartupError(Exception):
    """The service cannot start; the message says why and what to do."""


class KeyDoesNotFit(StartupError):
    """The server key file is readable but not the key this database was made with."""


RESTORE = (
    "stop the service and restore the last backup with its server key "
    '(docs/operations.md, Backup and restore, "A damaged database")'
)
"""What to do about a damaged database: nothing else mends it."""


def damaged(text: str) -> str:
    """A damaged database's one line: which database, SQLite's word on it, what to do."""
    return f"{text}: {RESTORE}"


@contextlib.contextmanager
def damage_reported(db: Database) -> Iterator[None]:
    """A damaged page that a query runs into becomes one StartupError, not a traceback."""
    try:
        yield
    except DBAPIError as exc:
        if not is_damage(exc):
            raise
        raise StartupError(damaged(db.damaged(str(exc.orig)))) from None


Migrated = Callable[[str | None, str | None], None]
"""Told the schema a database had before `open_store` migrated it and the one it has now
(before is None for a new database); equal when there was nothing to do."""


@dataclass(frozen=True)
class FirstStart:
    """Secrets made on the very first start, shown once and never stored in the clear."""

    team_id: str
    recovery_key: str
    counsellor: str
    setup_link: str
    """One-time link where the demo counsellor sets a password and enrols two-factor."""
    server_key_file: Path
    """Made now too: without a copy of it no backup of the database can be read."""


def server_key(settings: Settings, *, create: bool) -> ServerKey:
    """The server key from its file; with `create` a new one where there is no file, which
    `save_new_key` writes only once the database has accepted it."""
    path = settings.resolved_server_key_file
    if not path.exists():
        if not create or settings.server_key_file is not None:
            raise StartupError(_missing_key(path))
        return ServerKey.generate()
    try:
        return ServerKey.load(path)
    except ServerKeyError as exc:
        raise StartupError(str(exc)) from None


def _missing_key(path: Path) -> str:
    return (
        f"server key file {path} is missing; restore it from your key backup, "
        "or run `anlaufstelle init` for a new installation"
    )


def save_new_key(settings: Settings, key: ServerKey) -> None:
    """Write a key made by `server_key`, before the database records it as its own: a
    database that goes on to commit is never bound to a key that is not on disk."""
    path = settings.resolved_server_key_file
    if path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        key.save(path)
    except OSError as exc:
        raise StartupError(f"cannot create the server key file {path} ({exc.strerror})") from None
    except ServerKeyError as exc:
        raise StartupError(str(exc)) from None


def kdf_params(settings: Settings) -> KdfParams:
    return KdfParams(time_cost=settings.kdf_time_cost, memory_cost_kib=settings.kdf_memory_kib)


async def open_store(
    settings: Settings,
    *,
    create: bool,
    first_start: bool = True,
    clock: Clock | None = None,
    migrated: Migrated | None = None,
) -> tuple[Store, FirstStart | None]:
    """Open the database; returns the store and the first-start secrets, if made now.

    create=True (init, serve, simulate) makes what is missing: data directory, server key,
    database, the newest schema and, with `first_start`, the demo team of a database without
    teams. create=False (every other command) only opens what exists: it never creates a
    database file, never migrates and never records a key, so a wrong data_dir is reported
    as "no database here" instead of being filled with a new, empty installation.

    The store runs on `clock` (the machine's if not given); `serve` hands the same clock to
    the app factory. With create=True, `migrated` hears what the migration did.
    """
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
    fresh_key = not settings.resolved_server_key_file.exists()
    key = server_key(settings, create=create)
    clock = clock or SystemClock()
    db = await open_database(settings, create=create, clock=clock)
    try:
        store = Store(db, key, kdf_params(settings), clock=clock)
        first = None
        if create:
            async with exclusive_start(db):
                before = await _refuse_newer_schema(db)
                await upgrade(db)
                if migrated is not None:
                    migrated(before, await current_revision(db))
                async with store.tx() as tx:
                    try:
                        await meta.check_server_key(tx)
                    except WrongServerKey:
                        if not fresh_key:
                            raise
                        # A database made with another key, restored without its key
                        # file: refused, and no new, wrong key file is left behind.
                        raise StartupError(
                            _missing_key(settings.resolved_server_key_file)
                        ) from None
                    if fresh_key:
                        save_new_key(settings, key)
                    await integrity.backfill(tx)
                    if first_start:
                        first = await _first_start(tx, settings)
        else:
            await check_schema(db)
            async with store.read() as tx:
                if not await meta.verify_server_key(tx):
                    raise StartupError(f"{_no_database(db)} (it was never opened by the service)")
        return store, first
    except DatabaseUnavailable as exc:
        await db.dispose()
        raise StartupError(str(exc)) from None
    except WrongServerKey as exc:
        await db.dispose()
        raise KeyDoesNotFit(str(exc)) from None
    except DBAPIError as exc:
        await db.dispose()
        if not is_damage(exc):
            raise
        raise StartupError(damaged(db.damaged(str(exc.orig)))) from None
    except BaseException:
        await db.dispose()
        raise


async def open_database(
    settings: Settings, *, create: bool, clock: Clock | None = None
) -> Database:
    """Connect to the configured database; with create=False an SQLite file must exist.
    `clock` times how long a pooled PostgreSQL connection lay idle (storage/db.py)."""
    url = settings.resolved_database_url
    idle_clock = (clock or SystemClock()).monotonic
    try:
        # An unsupported URL is named before a missing file.
        db = Database(url, create=create, idle_clock=idle_clock)
    except DatabaseUnavailable as exc:
        raise StartupError(str(exc)) from None
    file = sqlite_file(url)
    if not create and file is not None and not file.exists():
        await db.dispose()
        raise StartupError(
            f"no database here: {file} does not exist (is data_dir right? "
            "`anlaufstelle init` makes a new installation)"
        )
    try:
        await db.check()
    except DatabaseDamaged as exc:
        await db.dispose()
        raise StartupError(damaged(str(exc))) from None
    except DatabaseUnavailable as exc:
        await db.dispose()
        raise StartupError(str(exc)) from None
    return db


async def check_schema(db: Database) -> None:
    """StartupError unless the database has this version's schema; reads only."""
    with damage_reported(db):
        current = await current_revision(db)
    if current is None:
        raise StartupError(f"{_no_database(db)} (it has no tables)")
    head = head_revision()
    if current != head:
        raise StartupError(
            f"the database at {db.safe_url} has schema {current}, this version needs {head}: "
            "back it up, then start `anlaufstelle serve` once to migrate it"
        )


async def _refuse_newer_schema(db: Database) -> str | None:
    """A replica whose code is older than the database's schema (another replica was
    upgraded first) must not run against it: one line, before anything is touched.
    Returns the schema the database has (None: no tables yet)."""
    current = await current_revision(db)
    if current is not None and not knows(current):
        raise StartupError(
            f"the database at {db.safe_url} has schema {current}, newer than this version of "
            f"Anlaufstelle knows (up to {head_revision()}): start the newer version here too"
        )
    return current


def _no_database(db: Database) -> str:
    return f"no Anlaufstelle database here: {db.safe_url}"


async def first_start(store: Store, settings: Settings) -> FirstStart | None:
    """The demo team and its counsellor's invitation, when the database has no team yet.

    `serve` calls this only once its port is bound, so the secrets it prints are never made
    by a start that then fails; a start that failed earlier leaves no team, and the next
    one makes and prints them."""
    async with exclusive_start(store.db), store.tx() as tx:
        return await _first_start(tx, settings)


async def _first_start(tx: Tx, settings: Settings) -> FirstStart | None:
    if await teams.team_names(tx):
        return None
    created = await teams.create_team(tx, *DEMO_TEAM)
    keys = await teams.unlock_with_recovery_key(tx, created.team_id, created.recovery_key)
    # An invitation, not a password: the console requires two-factor, which the person
    # enrols on the setup page with their own authenticator app.
    token = await teams.invite_counsellor(tx, DEMO_COUNSELLOR, "admin", {created.team_id: keys})
    return FirstStart(
        created.team_id,
        created.recovery_key,
        DEMO_COUNSELLOR,
        setup_url(settings, token),
        settings.resolved_server_key_file,
    )


def setup_url(settings: Settings, token: str, base: str | None = None) -> str:
    return f"{(base or console_base(settings)).rstrip('/')}/console/setup#{token}"


def console_base(settings: Settings) -> str:
    """console.public_url, else the listen address as a browser on this machine reaches it."""
    if settings.console.public_url:
        return settings.console.public_url.rstrip("/")
    host = settings.host
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - compared, not bound
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


LISTEN_ADDRESS = "console_listen_address"
"""server_meta key: where `serve` last listened, for links made by another command when
console.public_url is not set (that command's own host and port may be the defaults)."""


def shipped_flows(settings: Settings) -> list[Path]:
    return settings.flows or [SHIPPED_INTAKE]
