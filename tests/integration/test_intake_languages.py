"""The shipped intake completed in each of its languages through the conversation service,
on SQLite and PostgreSQL: every reply the person gets is in the language they chose."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.channels.base import InboundMessage, OutboundMessage
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from bot.conversation.flows import FlowCatalog, publish_files
from bot.conversation.service import ConversationService
from bot.delivery.worker import DeliveryWorker
from bot.settings import DeliverySettings
from dialogs.loader import load_flow
from dialogs.model import HandoverNode
from tests.conftest import Office

INTAKE = Path(__file__).resolve().parents[2] / "dialogs" / "flows" / "intake.yaml"
LANGUAGES = ["de", "ls", "en", "tr", "ru", "uk", "pl", "ar", "fa"]
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


async def complete(office: Office, language: str) -> list[OutboundMessage]:
    """Every message the person gets while going through the whole intake in `language`."""
    channel = MemoryChannel()
    clock = ManualClock(NOW)
    service = ConversationService(
        office.store, FlowCatalog("intake"), response_time={"de": "bald"}, clock=clock
    )
    worker = DeliveryWorker(
        office.store,
        {channel.name: channel},
        DeliverySettings(backoff_initial_seconds=0.01),
        clock=clock,
        reveal=service.codes.reveal,
    )
    address = f"person-{language}-{next(_ids)}"

    async def send(**fields: Any) -> None:
        msg = InboundMessage(channel.name, address, f"m{next(_ids)}", **fields)
        await service.handle(msg)
        while await worker.run_once():
            pass

    await send(command="start")
    for step in (
        {"choice": language},
        {"choice": "accept"},
        {"choice": "no"},
        {"choice": "this_week"},
        {"choices": ("work",)},
        {"choice": "garbsen"},
        {"choices": ("racism", "language")},
        {"text": "Die Wohnung wurde mir wegen meines Namens verweigert."},
        {"choice": "affected"},
        {"choices": ("information", "counselling")},
        {"choice": "anonymous_chat"},
        {"choice": "social_media"},
    ):
        await send(**step)
    return channel.to(address)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_whole_intake_speaks_the_chosen_language(office: Office, language: str) -> None:
    """Each reply differs from the German text; choice labels too (but for the ones written
    once for all languages, such as the towns)."""
    await publish_files(office.store, [INTAKE])
    flow = load_flow(INTAKE)
    german = {
        flow.text(text, "de")
        for text in [flow.title, *flow.ui.values(), flow.crisis.message]
        + [n.text for n in flow.nodes if hasattr(n, "text")]
    }
    sent = await complete(office, language)
    first, *replies = sent
    assert "Welcome!" in first.text  # the language question reads the same in every language
    assert replies[-1].kind != "error" and "social_media" not in replies[-1].text
    assert not [m for m in replies if m.kind == "error"]
    # The reply after the last answer is the handover, in the chosen language.
    handover_node = flow.node("handover")
    assert isinstance(handover_node, HandoverNode)
    handover = flow.text(handover_node.text, language)
    assert replies[-1].text.startswith(handover.split("{", 1)[0].strip()[:40])
    if language != "de":
        assert not [m.text for m in replies if m.text in german]
    if language not in ("de", "ls"):  # Leichte Sprache says "Ja" and "Nein" as German does
        german_labels = {
            flow.text(c.label, "de")
            for n in flow.nodes
            for c in getattr(n, "choices", [])
            if "*" not in c.label
        }
        labels = [c.label for m in replies for c in m.choices]
        assert labels and not [label for label in labels if label in german_labels]
