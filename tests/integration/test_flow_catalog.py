"""New conversations start on the published flow version, which each process keeps instead
of reading it (with the flow's whole source) for every new conversation: a publication in
this process counts at once, one by another process that sends no notification (the CLI
beside a running service on SQLite) within `CURRENT_MAX_AGE`. SQLite and PostgreSQL; the
notification between replicas is tested in test_replicas_live.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from bot.conversation.flows import CURRENT_MAX_AGE, publish_files
from bot.conversation.service import ConversationService
from dialogs.errors import FlowErrors
from storage import flows
from storage.db import Database
from storage.store import Store
from tests.conftest import Office
from tests.integration.test_conversation import NOW, Person

OLD = "Dürfen wir Ihre Angaben speichern?"
NEW = "Dürfen wir speichern?"


class Process:
    """One service process: every person here is served by the same service and catalog."""

    def __init__(self, office: Office) -> None:
        self.office = office
        self.clock = ManualClock(NOW)
        self.channel = MemoryChannel()
        self.service: ConversationService = Person(office.store, self.channel, self.clock).service

    def person(self) -> Person:
        person = Person(self.office.store, self.channel, self.clock)
        person.service = self.service
        return person

    async def first_question(self, person: Person | None = None) -> str:
        replies = await (person or self.person()).send(command="start", language="de")
        return replies[-1].text


def _changed(office: Office) -> str:
    return office.flow_path.read_text(encoding="utf-8").replace(OLD, NEW)


async def test_a_publication_in_this_process_counts_for_the_next_new_conversation(
    office: Office,
) -> None:
    here = Process(office)
    first = here.person()
    assert await here.first_question(first) == OLD

    async with office.store.tx() as tx:
        await flows.publish(tx, "mini", _changed(office), "admin")

    assert await here.first_question() == NEW
    # A conversation goes on with the version it began on.
    assert await here.first_question(first) == OLD


async def test_a_publication_by_another_process_counts_within_the_maximum_age(
    office: Office,
) -> None:
    here = Process(office)
    assert await here.first_question() == OLD

    url = office.store.db.url.render_as_string(hide_password=False)
    cli = Store(Database(url), office.store.keys, office.store.kdf, clock=here.clock)
    try:
        async with cli.tx() as tx:
            await flows.publish(tx, "mini", _changed(office), "cli")
    finally:
        await cli.db.dispose()

    here.clock.advance(seconds=CURRENT_MAX_AGE.total_seconds() - 1)
    assert await here.first_question() == OLD  # not told, so not read again yet
    here.clock.advance(seconds=1)
    assert await here.first_question() == NEW


async def test_a_version_published_before_a_newer_check_still_runs(office: Office) -> None:
    """A version the console accepted before an upgrade added a check (here: an emptied
    question's English text) is what running and new conversations are on: after the
    upgrade they go on, and only the next publication has to pass the new check."""
    source = office.flow_path.read_text(encoding="utf-8").replace(
        'en: "May we store your answers?"', 'en: ""'
    )
    async with office.store.tx() as tx:
        await flows.publish(tx, "mini", source, "admin before the upgrade")
    assert await Process(office).first_question() == OLD


async def test_a_flow_file_published_before_a_newer_check_still_starts_the_service(
    office: Office, tmp_path: Path
) -> None:
    """The same for an office's own flow file, unchanged since it was published: `serve`
    starts on it after the upgrade; publishing it anew has to pass the check."""
    source = office.flow_path.read_text(encoding="utf-8").replace(
        'en: "May we store your answers?"', 'en: ""'
    )
    path = tmp_path / "mini.yaml"
    path.write_text(source, encoding="utf-8")
    async with office.store.tx() as tx:
        before = await flows.publish(tx, "mini", source, "serve before the upgrade")
    assert [v.id for v in await publish_files(office.store, [path], at_start=True)] == [before.id]
    with pytest.raises(FlowErrors, match="the 'en' text is empty"):
        await publish_files(office.store, [path])
