"""A new case's key pair and code (with its Argon2id key) are made before the transaction that
writes the case: ahead, in a small pool, or, when none is ready, outside the handover's
transaction while everyone else's messages go on. Each handover gets a fresh code that
opens its case, and the pool fills up again. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.channels.memory import MemoryChannel
from storage import cases, teams
from storage.case_material import SIZE, CodePool
from storage.models import Case
from tests.conftest import Office
from tests.integration.test_console import intake
from tests.integration.test_conversation import Person


async def _filled(office: Office) -> None:
    office.store.codes.refill(office.store.kdf)
    for _ in range(200):
        if office.store.codes.ready == SIZE:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the pool did not fill")


async def _case_count(office: Office) -> int:
    async with office.store.read() as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(Case)) or 0)


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


async def test_with_nothing_made_ahead_the_handover_still_makes_one_case_and_answers_once(
    office: Office,
) -> None:
    office.store.codes = CodePool(size=0)  # nothing is ever ready
    channel = MemoryChannel()
    person = Person(office.store, channel)
    await person.send(command="start", language="de")
    await person.send(choice="accept")
    await person.send(choice="no")
    await person.send(choice="this_week")
    await person.send(choice="garbsen")
    told = await person.send(text="Man hat mir die Wohnung nicht gegeben.")

    assert person.last is not None and person.last.case is not None
    assert person.last.owner == "queued"
    assert await _case_count(office) == 1
    assert len(told) == 1 and person.last.case.case_code in told[0].text
    async with office.store.tx() as tx:
        found = await cases.private_key_for_code(tx, person.last.case.case_code)
    assert found is not None and found[0] == person.last.case.case_id


class _GatedExecutor(ThreadPoolExecutor):
    """Threads that make case material, held shut until the test opens them."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.opened = threading.Event()
        self.submitted = asyncio.Event()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted.set()

        def gated() -> Any:
            self.opened.wait()
            return fn(*args, **kwargs)

        return super().submit(gated)


@pytest.fixture
async def gate() -> AsyncIterator[_GatedExecutor]:
    executor = _GatedExecutor()
    try:
        yield executor
    finally:
        executor.opened.set()  # never leave a thread waiting
        executor.shutdown()


async def test_others_are_answered_while_a_handover_waits_for_its_case_code(
    office: Office, gate: _GatedExecutor
) -> None:
    # Nothing made ahead: the handover must make its own material, on the gated threads.
    office.store.codes = CodePool(size=0, threads=gate)
    handing_over = Person(office.store, MemoryChannel())
    other = Person(office.store, MemoryChannel())
    for fields in (
        {"command": "start", "language": "de"},
        {"choice": "accept"},
        {"choice": "no"},
        {"choice": "this_week"},
        {"choice": "garbsen"},
    ):
        await handing_over.send(**fields)
    await other.send(command="start", language="de")

    last = asyncio.create_task(handing_over.send(text="Man hat mir die Wohnung nicht gegeben."))
    await asyncio.wait_for(gate.submitted.wait(), 30)  # its Argon2id waits for a thread now
    answered = await asyncio.wait_for(other.send(choice="accept"), 30)

    assert answered, "the other person got no answer while the handover waited"
    assert not last.done()
    gate.opened.set()
    told = await asyncio.wait_for(last, 30)
    assert handing_over.last is not None and handing_over.last.case is not None
    assert len(told) == 1 and handing_over.last.case.case_code in told[0].text
    assert await _case_count(office) == 1


async def test_a_replaced_code_comes_from_the_pool_too(office: Office) -> None:
    _, case_id = await intake(office, MemoryChannel())
    await _filled(office)
    made = await office.store.case_material()
    assert office.store.codes.ready == SIZE - 1  # taken from the pool, not made now
    async with office.store.tx() as tx:
        keys = await teams.unlock_with_recovery_key(tx, "region", office.recovery["region"])
        private = await cases.private_key_for_team(tx, case_id, keys)
        assert private is not None
        code = await cases.replace_code(tx, case_id, private, made)
    async with office.store.tx() as tx:
        found = await cases.private_key_for_code(tx, code)
    assert found is not None and found[0] == case_id
