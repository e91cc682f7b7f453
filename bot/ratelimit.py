"""Token buckets in memory: floods and guessing are slowed without storing who anyone is.

Keys are whatever the caller picks (a connection, a keyed hash of an IP address); nothing
here is persisted or logged, so a restart forgets all of it, which is acceptable for limits
that only need to make abuse slow.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable


class TokenBucket:
    """`capacity` actions at once, refilled at `rate` per second."""

    __slots__ = ("capacity", "clock", "rate", "stamp", "tokens")  # one per open web chat socket

    def __init__(self, capacity: float, rate: float, clock: Callable[[], float]) -> None:
        self.capacity = capacity
        self.rate = rate
        self.clock = clock
        self.tokens = capacity
        self.stamp = clock()

    def take(self, cost: float = 1.0) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


class KeyedLimiter:
    """One bucket per key, the least recently used forgotten beyond `max_keys`."""

    def __init__(
        self,
        capacity: float,
        rate: float,
        clock: Callable[[], float],
        max_keys: int = 10_000,
    ) -> None:
        self.capacity = capacity
        self.rate = rate
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, key: str, cost: float = 1.0) -> bool:
        bucket = self._buckets.pop(key, None) or TokenBucket(self.capacity, self.rate, self.clock)
        self._buckets[key] = bucket
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return bucket.take(cost)

    def give_back(self, key: str, cost: float = 1.0) -> None:
        """Undo a `take` that turned out not to be what the limit is for (a case code that
        was right: only wrong ones are guesses). Never beyond the bucket's capacity."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket.tokens = min(bucket.capacity, bucket.tokens + cost)
