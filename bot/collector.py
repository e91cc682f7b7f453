"""The cyclic garbage collector, set for a long-running server once it has started.

CPython frees almost everything by reference counting; the cyclic collector only finds
cycles. With its defaults it walked the service's objects about a hundred times a second
under load, and every few seconds made a full pass over the ~190,000 objects of the start-up
(modules, SQLAlchemy's tables and compiled statements, the flows): 100 ms each, with every
conversation standing still meanwhile. Measured (bench/README.md): about 0.2 ms of the CPU
of every web chat answer went to it.

After the start-up, before the first connection is accepted, the objects there are frozen
out of its passes (`gc.freeze`), after one collection so that no garbage of the start-up is
frozen with them. They live as long as the process, nearly all of them; one that later
falls into a garbage cycle (a pooled database connection replaced, say) is kept, once,
since frozen objects are never collected: bounded by the start-up's own objects.

The youngest generation is then collected after 50,000 new container objects instead of
700, and in any case every few seconds (`collect_now_and_then`): under load that is a pass
now and then instead of a hundred a second, and on a quiet server cyclic garbage (an
exception's frames with a message's decrypted text in them, a cancelled task) still goes
within seconds, as before, and not only when 50,000 new objects have come.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Iterator
from typing import Final

YOUNG_THRESHOLD: Final = 50_000
"""New container objects (allocations less deallocations) before the youngest generation
is collected; CPython's default is 700."""
YOUNG_EVERY_SECONDS: Final = 5.0


def settle_after_start() -> None:
    """Call once the service has started (its flows, tables and caches are loaded), before
    it accepts connections."""
    gc.collect()
    gc.freeze()
    _young, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)


async def collect_now_and_then(seconds: float = YOUNG_EVERY_SECONDS) -> None:
    """Collect the two younger generations every `seconds`, until cancelled."""
    while True:
        await asyncio.sleep(seconds)
        gc.collect(1)


@contextlib.contextmanager
def settled() -> Iterator[None]:
    """`settle_after_start` for a while, undone at the end: for a benchmark, which may run
    inside a test process that must not keep its objects frozen."""
    threshold = gc.get_threshold()
    settle_after_start()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
