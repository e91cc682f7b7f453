"""The cyclic garbage collector, set for a long-running server once it has started.

CPython frees almost everything by reference counting; the cyclic collector only finds
cycles. With its defaults it walked the service's objects about a hundred times a second
under load, and every few seconds made a full pass over the ~190,000 objects of the start-up
(modules, SQLAlchemy's tables and compiled statements, the flows): 100 ms each, with every
conversation standing still meanwhile. Measured (bench/README.md): about a seventh of the CPU of a
web chat answer went to it.

After the start-up the objects that live as long as the process are frozen out of its passes
(`gc.freeze`), after one collection so that no garbage of the start-up is frozen with them.
The first generation is collected after 50,000 new container objects instead of 700: cyclic
garbage (an exception with its traceback, a cancelled task) waits a little longer, a few
megabytes at most, and is still collected. Frozen objects are still freed when nothing
refers to them.
"""

from __future__ import annotations

import gc
from typing import Final

YOUNG_THRESHOLD: Final = 50_000
"""New container objects (allocations less deallocations) before the youngest generation
is collected; CPython's default is 700."""


def settle_after_start() -> None:
    """Call once the service has started (its flows, tables and caches are loaded)."""
    gc.collect()
    gc.freeze()
    _young, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
