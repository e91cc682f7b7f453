"""Run something while a request derives a key from a password or a case code (Argon2id,
a quarter to half a second with production costs): the derivation is held open until the
other thing is done, so a test sees whether that other thing had to wait for it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any, TypeVar

import pytest

from storage.kdf import slow_kdf

Meanwhile = Callable[[], Awaitable[None]]
T = TypeVar("T")


async def during_derivation(
    monkeypatch: pytest.MonkeyPatch, deriver: ModuleType, act: Awaitable[T], meanwhile: Meanwhile
) -> T:
    """Run `act`; while it derives a key (through `deriver.slow_kdf`), run `meanwhile` to its
    end (within 10 s)."""
    deriving, done = asyncio.Event(), asyncio.Event()

    async def derive(*args: Any) -> bytes:
        deriving.set()
        await done.wait()  # a derivation that lasts until `meanwhile` is over
        return await slow_kdf(*args)

    monkeypatch.setattr(deriver, "slow_kdf", derive)
    acting = asyncio.ensure_future(act)
    try:
        waiting = asyncio.ensure_future(deriving.wait())
        await asyncio.wait({acting, waiting}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if acting.done():
            acting.result()  # it failed (or ended) before deriving: that is the error to see
            raise AssertionError("it ended without deriving a key")
        assert deriving.is_set(), "it did not derive a key within 10 s"
        await asyncio.wait_for(meanwhile(), 10)
    except BaseException:
        acting.cancel()  # not left behind unawaited when the test fails
        raise
    finally:
        done.set()
    return await acting
