"""Argon2id off the event loop."""

from __future__ import annotations

import asyncio

from storage.crypto import KdfParams, derive_key


async def slow_kdf(secret: str, salt: bytes, params: KdfParams) -> bytes:
    """Argon2id in a worker thread (argon2 releases the GIL): one derivation takes ~0.2 s with
    the production parameters, which must not freeze every other conversation and socket."""
    return await asyncio.to_thread(derive_key, secret, salt, params)
