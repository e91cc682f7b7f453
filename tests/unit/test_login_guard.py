from __future__ import annotations

from bot.console.login_guard import LOCK_AFTER, LOCK_SECONDS, LoginGuard


class Seconds:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_lock_only_the_pair_that_made_them() -> None:
    clock = Seconds()
    guard = LoginGuard(clock)
    for n in range(1, LOCK_AFTER + 1):
        assert not guard.locked("berater-region", "attacker")
        assert guard.failed("berater-region", "attacker") == n
    assert guard.locked("berater-region", "attacker")
    # The counsellor at the office, and other names from the attacker's network, are not.
    assert not guard.locked("berater-region", "office")
    assert not guard.locked("berater-stadt", "attacker")
    clock.now += LOCK_SECONDS + 1
    assert not guard.locked("berater-region", "attacker")
    # The next failure after a lock locks twice as long.
    guard.failed("berater-region", "attacker")
    clock.now += LOCK_SECONDS + 1
    assert guard.locked("berater-region", "attacker")


def test_a_success_forgets_the_failures() -> None:
    guard = LoginGuard(Seconds())
    for _ in range(LOCK_AFTER - 1):
        guard.failed("berater-region", "office")
    guard.succeeded("berater-region", "office")
    assert guard.failed("berater-region", "office") == 1


def test_unknown_names_are_counted_like_real_ones() -> None:
    guard = LoginGuard(Seconds())
    counts = [guard.failed("gibt-es-nicht", "attacker") for _ in range(LOCK_AFTER)]
    assert counts == list(range(1, LOCK_AFTER + 1))
    assert guard.locked("gibt-es-nicht", "attacker")


def test_memory_stays_bounded() -> None:
    guard = LoginGuard(Seconds(), max_keys=10)
    for n in range(100):
        guard.failed(f"name-{n}", "attacker")
    assert len(guard._records) == 10
