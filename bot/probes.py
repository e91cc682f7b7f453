"""What the background parts of a process report for `/readyz` (bot/health.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Probes:
    """What the background parts report: name -> a check that is True while it runs."""

    checks: dict[str, Callable[[], bool]] = field(default_factory=dict)
    optional: dict[str, Callable[[], bool]] = field(default_factory=dict)
    """Parts the process works without (a messenger sidecar): named, never failing it."""

    def add(self, name: str, check: Callable[[], bool], *, required: bool = True) -> None:
        (self.checks if required else self.optional)[name] = check

    def remove(self, name: str) -> None:
        self.checks.pop(name, None)
        self.optional.pop(name, None)

    def failing(self) -> list[str]:
        return sorted(name for name, check in self.checks.items() if not check())

    def degraded(self) -> list[str]:
        return sorted(name for name, check in self.optional.items() if not check())
