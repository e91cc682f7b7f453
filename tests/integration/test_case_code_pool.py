"""Case codes are made ahead of the handovers that use them (their Argon2id key outside the
handover's transaction): each handover gets a fresh code that opens its case, and the pool
fills up again. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from bot.channels.memory import MemoryChannel
from storage import cases, teams
from storage.case_material import SIZE
from tests.conftest import Office
from tests.integration.test_console import intake


async def _filled(office: Office) -> None:
    office.store.codes.refill(office.store.kdf)
    for _ in range(200):
        if office.store.codes.ready == SIZE:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the pool did not fill")


async def test_each_handover_takes_a_fresh_code_made_ahead_and_it_opens_the_case(
    office: Office,
) -> None:
    await _filled(office)
    codes = []
    for account in ("Erster Bericht", "Zweiter Bericht", "Dritter Bericht"):
        person, case_id = await intake(office, MemoryChannel(), account=account)
        assert person.last is not None and person.last.case is not None
        code = person.last.case.case_code
        codes.append(code)
        async with office.store.tx() as tx:
            found = await cases.private_key_for_code(tx, code)
        assert found is not None and found[0] == case_id
    assert len(set(codes)) == 3  # never the same code twice, also past the pool's size
    await _filled(office)  # and it fills again for the next ones


async def test_a_replaced_code_comes_from_the_pool_too(office: Office) -> None:
    _, case_id = await intake(office, MemoryChannel())
    await _filled(office)
    async with office.store.tx() as tx:
        keys = await teams.unlock_with_recovery_key(tx, "region", office.recovery["region"])
        private = await cases.private_key_for_team(tx, case_id, keys)
        assert private is not None
        code = await cases.replace_code(tx, case_id, private)
    async with office.store.tx() as tx:
        found = await cases.private_key_for_code(tx, code)
    assert found is not None and found[0] == case_id
