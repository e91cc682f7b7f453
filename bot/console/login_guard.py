"""Failed console logins, counted per (account name, client network), in memory.

A wrong password slows down, and after `LOCK_AFTER` failures in a row locks out, only the
client that typed it and only for that name: someone who knows a counsellor's name cannot
keep the counsellor out from elsewhere. Unknown names are counted exactly like real ones, so
neither the delay nor the lock tells which names exist.

Per process and forgotten at a restart: the counts only make guessing slow, Argon2id and the
second factor make it hopeless. With several replicas each counts on its own (a client gets
LOCK_AFTER tries per replica before its lock).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

LOCK_AFTER = 5
"""Failures in a row (per name and client) before that pair is locked."""
LOCK_SECONDS = 15 * 60.0
"""The first lock; each further failure while locked doubles it, up to MAX_LOCK_SECONDS."""
MAX_LOCK_SECONDS = 24 * 3600.0


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0


class LoginGuard:
    def __init__(self, monotonic: Callable[[], float], *, max_keys: int = 10_000) -> None:
        self.monotonic = monotonic
        self.max_keys = max_keys
        self._pepper = secrets.token_bytes(32)
        """Keys the pair hash, so not even this process's memory holds names with addresses."""
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def _key(self, username: str, client: str) -> str:
        pair = f"{username}\x00{client}".encode()
        return hmac.new(self._pepper, pair, hashlib.sha256).hexdigest()

    def locked(self, username: str, client: str) -> bool:
        record = self._records.get(self._key(username, client))
        return record is not None and record.locked_until > self.monotonic()

    def failed(self, username: str, client: str) -> int:
        """Count a failure; returns the failures in a row for this pair (for the delay)."""
        key = self._key(username, client)
        record = self._records.pop(key, None) or _Record()
        self._records[key] = record
        while len(self._records) > self.max_keys:
            self._records.popitem(last=False)
        record.failures += 1
        over = record.failures - LOCK_AFTER
        if over >= 0:
            lock = min(LOCK_SECONDS * 2 ** min(over, 10), MAX_LOCK_SECONDS)
            record.locked_until = self.monotonic() + lock
        return record.failures

    def succeeded(self, username: str, client: str) -> None:
        self._records.pop(self._key(username, client), None)
