"""storage.flow_drafts on SQLite and PostgreSQL: one draft per flow, saves that never
overwrite each other (optimistic locking by revision)."""

from __future__ import annotations

import asyncio

from storage import flow_drafts
from storage import flows as flow_versions
from storage.store import Store


async def test_simultaneous_saves_of_one_revision_exactly_one_wins(store: Store) -> None:
    async with store.tx() as tx:
        made = await flow_drafts.create(tx, "mini", "a: 1\n", None, "admin")
    assert made is not None and made.revision == 1

    async def save(text: str) -> bool:
        async with store.tx() as tx:
            return await flow_drafts.save(tx, "mini", text, 1, "admin") is not None

    results = await asyncio.gather(save("b: 2\n"), save("c: 3\n"))
    assert sorted(results) == [False, True]
    async with store.read() as tx:
        draft = await flow_drafts.get(tx, "mini")
    assert draft is not None and draft.revision == 2
    assert draft.source == ("b: 2\n" if results[0] else "c: 3\n")
    async with store.tx() as tx:
        # A second draft for the same flow is never created; the first is kept as it is.
        assert await flow_drafts.create(tx, "mini", "d: 4\n", None, "other") is None
        assert await flow_drafts.save(tx, "mini", "e: 5\n", 1, "admin") is None  # stale
        assert not await flow_drafts.remove(tx, "mini", 1)  # stale
        assert await flow_drafts.remove(tx, "mini", 2)
        assert await flow_drafts.get(tx, "mini") is None


async def test_versions_are_numbered_per_flow_and_listed_newest_first(store: Store) -> None:
    async with store.tx() as tx:
        first = await flow_versions.publish(tx, "mini", "v: 1\n", "admin", "erste")
        await flow_versions.draft(tx, "mini", "v: draft\n", "preview")
        await flow_versions.publish(tx, "other", "o: 1\n", "admin")
        second = await flow_versions.publish(tx, "mini", "v: 1\n", "admin", "Rückkehr")
    async with store.read() as tx:
        listed = await flow_versions.versions(tx, "mini")
        assert [v.number for v in listed] == [2, 1]
        assert await flow_versions.flow_ids(tx) == ["mini", "other"]
        found = await flow_versions.by_number(tx, "mini", 1)
        assert found is not None and found.id == first.id
        assert await flow_versions.by_number(tx, "mini", 3) is None
        assert await flow_versions.was_published(tx, "mini", second.digest)
        assert not await flow_versions.was_published(tx, "mini", flow_versions.digest("v: draft\n"))
