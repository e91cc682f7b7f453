"""Showing or publishing a flow validates it (a third of a second for the shipped intake)
outside the write transaction and the event loop, so people's messages go on meanwhile; and
the service knows a new version at once, so its first conversation does not parse it again
inside a write transaction."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest

from bot.channels.base import InboundMessage
from bot.console import flow_pages
from bot.conversation import flows
from dialogs import loader
from tests.integration.test_console import Console_
from tests.integration.test_flow_editor import admin, get, new_draft, post

T = TypeVar("T")

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def while_validating(
    env: Console_, monkeypatch: pytest.MonkeyPatch, request: Awaitable[T]
) -> tuple[T, list[bool]]:
    """Run the admin's `request` with a validation that lasts until a person's message is
    in (or gives up after 5 s), for a draft this process has not validated yet (another
    replica showed it). Returns the request's result and, per validation, whether the
    person's message came in while it waited."""
    started, release = threading.Event(), threading.Event()
    waited: list[bool] = []
    real_check = flow_pages.check

    def check(source: str, flow_id: str) -> flow_pages.Checked:
        started.set()
        waited.append(release.wait(5))
        return real_check(source, flow_id)

    monkeypatch.setattr(flow_pages, "check", check)
    monkeypatch.setattr(flow_pages, "_CHECKED", OrderedDict(), raising=False)
    running = asyncio.ensure_future(request)
    assert await asyncio.to_thread(started.wait, 10)
    other = InboundMessage(env.channel.name, "someone", "m1", command="start", language="de")
    try:
        handled = await asyncio.wait_for(env.console.service.handle(other), 10)
    finally:
        release.set()
    assert handled.status == "processed"
    return await running, waited


async def test_people_write_on_while_a_flow_is_validated_for_publishing(
    env: Console_, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid, csrf = await admin(env)
    _, revision = await new_draft(env, sid, csrf)
    publish = post(
        env, sid, csrf, "/console/flows/mini/draft/publish", revision=str(revision), note="x"
    )
    _, waited = await while_validating(env, monkeypatch, publish)
    assert waited == [True], "the person's message waited for the validation"


async def test_the_first_conversation_on_a_new_version_parses_nothing(
    env: Console_, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = env.console.service
    first = InboundMessage(env.channel.name, "person-1", "m1", command="start", language="de")
    parsed: list[Any] = []
    real_parse = loader.parse_flow

    def parse(*args: Any) -> Any:
        parsed.append(args)
        return real_parse(*args)

    monkeypatch.setattr(flows, "parse_flow", parse)
    # The app parsed the published flow as it started, before anyone wrote.
    assert (await service.handle(first)).status == "processed"
    assert parsed == []
    sid, csrf = await admin(env)
    _, revision = await new_draft(env, sid, csrf)
    await post(
        env, sid, csrf, "/console/flows/mini/draft/publish", revision=str(revision), note="x"
    )
    second = InboundMessage(env.channel.name, "person-2", "m2", command="start", language="de")
    handled = await service.handle(second)
    assert handled.status == "processed"
    assert parsed == []  # the new version came from publishing, validated once
    async with env.office.store.read() as tx:
        newest = await service.catalog.current(tx)
    assert newest.number == 2


async def test_people_write_on_while_an_admin_views_a_draft(
    env: Console_, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Showing a draft validates it (with its errors by line): on a worker thread, so the
    people this process serves do not wait for it."""
    sid, csrf = await admin(env)
    await new_draft(env, sid, csrf)
    page, waited = await while_validating(
        env, monkeypatch, get(env, sid, "/console/flows/mini/draft")
    )
    assert 'name="source"' in page
    assert waited == [True], "the person's message waited for the validation"
    # Shown again, the same text is not validated again.
    await get(env, sid, "/console/flows/mini/draft")
    assert len(waited) == 1
