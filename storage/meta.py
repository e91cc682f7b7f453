"""Facts about the database itself, e.g. which server key it was made with."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import ServerMeta
from storage.store import Tx


class WrongServerKey(Exception):
    """The configured server key is not the one this database was made with."""


async def check_server_key(tx: Tx) -> bool:
    """Record the key's fingerprint on first use; afterwards refuse another key.

    Returns True when this is a new database (first use).
    """
    fingerprint = tx.keys.fingerprint()
    row = await tx.session.get(ServerMeta, "server_key_fingerprint")
    if row is None:
        tx.session.add(ServerMeta(key="server_key_fingerprint", value=fingerprint))
        return True
    if row.value != fingerprint:
        raise WrongServerKey(
            "the configured server key is not the one this database was created with "
            f"(database expects {row.value}, the key file has {fingerprint})"
        )
    return False


async def verify_server_key(tx: Tx) -> bool:
    """The read-only half of `check_server_key`: WrongServerKey for another key; False when
    the database has recorded no key yet (nothing has ever opened it for writing)."""
    fingerprint = tx.keys.fingerprint()
    recorded = await get(tx, "server_key_fingerprint")
    if recorded is None:
        return False
    if recorded != fingerprint:
        raise WrongServerKey(
            "the configured server key is not the one this database was created with "
            f"(database expects {recorded}, the key file has {fingerprint})"
        )
    return True


async def get(tx: Tx, key: str) -> str | None:
    return await tx.session.scalar(select(ServerMeta.value).where(ServerMeta.key == key))


async def put(tx: Tx, key: str, value: str) -> None:
    row = await tx.session.get(ServerMeta, key)
    if row is None:
        tx.session.add(ServerMeta(key=key, value=value))
    else:
        row.value = value
