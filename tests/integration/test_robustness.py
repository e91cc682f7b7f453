"""Edges a careless deployment or a hostile peer would hit: proxies, odd headers, damaged rows,
time zones."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from sqlalchemy import select, update

from bot.app import create_app
from bot.channels import bridge, webchat
from bot.channels.base import DeliveryFailed, InboundMessage, OutboundMessage
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock, SystemClock
from bot.conversation.flows import FlowCatalog
from bot.conversation.service import ConversationService
from bot.delivery.worker import DeliveryWorker
from bot.settings import DeliverySettings, Settings
from storage import contacts, conversations, outbox
from storage.models import Conversation, OutboxItem
from storage.store import Store
from tests.conftest import Office


def test_behind_a_trusted_proxy_the_forwarded_client_counts() -> None:
    def request(remote: str, forwarded: str | None) -> Any:
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        req = make_mocked_request("GET", "/chat", headers=headers)
        req._transport_peername = (remote, 1234)  # the mocked peer address
        return req

    proxies = frozenset({"10.0.0.1"})
    assert webchat.client_address(request("10.0.0.1", "198.51.100.7"), proxies) == "198.51.100.7"
    # A client may prepend what it likes; only the proxy's own entry is believed.
    spoofed = request("10.0.0.1", "203.0.113.9, 198.51.100.7")
    assert webchat.client_address(spoofed, proxies) == "198.51.100.7"
    # Not from the proxy: the header is the client's claim and is ignored.
    assert webchat.client_address(request("192.0.2.4", "198.51.100.7"), proxies) == "192.0.2.4"


def test_odd_signature_headers_and_retry_after_values_are_handled() -> None:
    assert not bridge.signature_ok("secret", b"{}", "sha256=ä")
    assert bridge.signature_ok("secret", b"{}", bridge.sign("secret", b"{}"))
    assert bridge._retry_after("inf") is None
    assert bridge._retry_after("1e400") is None
    assert bridge._retry_after("7") == 7.0


class HugeRetryAfter:
    name = "memory"

    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []

    async def send(self, message: OutboundMessage) -> None:
        if message.address == "slow-peer":
            raise DeliveryFailed("HTTP 429", retry_after=1e300)
        self.sent.append(message)


async def test_an_absurd_retry_after_neither_crashes_nor_repeats_a_round(store: Store) -> None:
    async with store.tx() as tx:
        for address in ("slow-peer", "fine-peer"):
            contact = await contacts.contact_for(tx, "memory", address)
            await outbox.enqueue(tx, contact.id, {"text": f"for {address}"})
    channel = HugeRetryAfter()
    worker = DeliveryWorker(
        store, {"memory": channel}, DeliverySettings(backoff_max_seconds=300), clock=SystemClock()
    )
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0  # the delivered one is not sent again
    assert [m.address for m in channel.sent] == ["fine-peer"]


async def test_an_unreadable_outbox_row_is_parked_and_the_others_go_out(store: Store) -> None:
    async with store.tx() as tx:
        for address in ("damaged", "fine"):
            contact = await contacts.contact_for(tx, "memory", address)
            await outbox.enqueue(tx, contact.id, {"text": f"for {address}"})
        first = await tx.session.scalar(select(OutboxItem.id).order_by(OutboxItem.id))
        await tx.session.execute(
            update(OutboxItem).where(OutboxItem.id == first).values(payload_ct=b"\x03garbage")
        )
    channel = MemoryChannel()
    worker = DeliveryWorker(store, {"memory": channel}, clock=SystemClock())
    assert await worker.run_once() == 1
    assert [m.address for m in channel.sent] == ["fine"]
    async with store.tx() as tx:
        parked = (await tx.session.scalars(select(OutboxItem))).one()
    assert parked.last_error == "unreadable: CryptoError"


async def test_a_damaged_dialog_state_starts_over_without_logging_answers(
    office: Office, caplog: pytest.LogCaptureFixture
) -> None:
    service = ConversationService(
        office.store, FlowCatalog("mini"), response_time={}, clock=SystemClock()
    )
    await service.handle(InboundMessage("memory", "p", "1", command="start", language="de"))
    async with office.store.tx() as tx:
        conv_id = await tx.session.scalar(select(Conversation.id))
        assert conv_id is not None
        bad = {"node": "when", "language": "de", "answers": {"x": "CANARY-ANSWER"}, "bogus": 1}
        await conversations.save_state(tx, conv_id, bad, "de")
    caplog.set_level(logging.DEBUG)
    handled = await service.handle(InboundMessage("memory", "p", "2", choice="accept"))
    assert handled.status == "processed"
    assert "CANARY-ANSWER" not in caplog.text
    assert "unreadable" in caplog.text


async def test_today_means_the_offices_day_not_utc(office: Office) -> None:
    """23:30 UTC on 10 June is already 11 June in Hannover: typing that date is not 'future'."""
    late = datetime(2026, 6, 10, 23, 30, tzinfo=UTC)
    clock = ManualClock(late)
    service = ConversationService(
        office.store,
        FlowCatalog("mini"),
        response_time={},
        clock=clock,
        timezone=ZoneInfo("Europe/Berlin"),
    )
    channel = MemoryChannel()
    worker = DeliveryWorker(office.store, {"memory": channel}, clock=clock)
    for msg in (
        InboundMessage("memory", "tz", "m1", command="start", language="de"),
        InboundMessage("memory", "tz", "m2", choice="accept"),
        InboundMessage("memory", "tz", "m3", choice="no"),
        InboundMessage("memory", "tz", "m4", text="11.06.2026"),
    ):
        await service.handle(msg)
    while await worker.run_once():
        pass
    texts = [m.text for m in channel.sent]
    assert "Das Datum liegt in der Zukunft." not in texts
    assert texts[-1] == "Wo ist es passiert?"


async def test_after_a_kill_the_next_start_on_sqlite_offers_leased_replies_at_once(
    office: Office,
) -> None:
    """A run killed between sending a reply and deleting its row leaves it leased; as the
    head of the person's queue it would hold back every later reply for a minute."""
    store = office.store
    async with store.tx() as tx:
        contact = await contacts.contact_for(tx, "memory", "person")
        await outbox.enqueue(tx, contact.id, {"text": "die letzte Frage"})
    async with store.tx() as tx:  # the run that is killed now
        assert len(await outbox.claim_due(tx, 10, timedelta(seconds=60))) == 1
    channel = MemoryChannel()
    settings = Settings(delivery=DeliverySettings(poll_seconds=0.05))
    app = create_app(settings, store, channels={channel.name: channel}, flow_id="mini")
    async with TestClient(TestServer(app, host="127.0.0.1")):
        # Within seconds, not the lease's minute (a busy machine may take a few).
        for _ in range(200 if store.db.backend == "sqlite" else 40):
            if channel.sent:
                break
            await asyncio.sleep(0.05)
    if store.db.backend == "sqlite":
        assert [m.text for m in channel.sent] == ["die letzte Frage"]
    else:
        # Another replica may hold that lease rightly: there it runs out instead.
        assert channel.sent == []
