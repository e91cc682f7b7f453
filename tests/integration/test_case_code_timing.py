"""A wrong case code answers in about the same time whether or not its first group belongs
to a real case: otherwise the time would tell a guesser which first groups exist (and so
which 40 bits remain). Measured as a ratio of medians in one process, never absolute times.
"""

from __future__ import annotations

import statistics
import time

from storage import cases, contacts, conversations, flows
from storage.crypto import CROCKFORD, KdfParams
from storage.store import Store
from tests.conftest import Office


def _other_symbol(symbol: str) -> str:
    return next(c for c in CROCKFORD if c != symbol)


async def test_a_wrong_code_with_a_real_first_group_takes_as_long_as_a_random_one(
    office: Office,
) -> None:
    # Argon2id heavy enough to dominate a database round trip, light enough for a test.
    store = Store(
        office.store.db,
        office.store.keys,
        KdfParams(time_cost=2, memory_cost_kib=16 * 1024),
        clock=office.store.clock,
    )
    made = await store.case_material()
    async with store.tx() as tx:
        contact = await contacts.contact_for(tx, "memory", "person")
        version = await flows.current(tx, "mini")
        assert version is not None
        conversation = await conversations.start(tx, contact.id, version.id, "de", None)
        created = await cases.hand_over(
            tx,
            cases.HandoverRequest(conversation.id, "region", {}, False, None, "memory", "de"),
            made,
        )
    code = created.case_code
    real_group = code[:4] + "-" + "".join(_other_symbol(c) for c in code[5:9]) + code[9:]
    other_group = _other_symbol(code[0]) + code[1:4] + real_group[4:]

    async def seconds(typed: str) -> float:
        start = time.perf_counter()
        async with store.read() as tx:
            assert await cases.private_key_for_code(tx, typed) is None
        return time.perf_counter() - start

    near: list[float] = []
    far: list[float] = []
    for _ in range(7):
        near.append(await seconds(real_group))
        far.append(await seconds(other_group))
    ratio = statistics.median(far) / statistics.median(near)
    assert ratio > 0.5, (statistics.median(near), statistics.median(far))
    async with store.read() as tx:
        assert await cases.private_key_for_code(tx, code) is not None
