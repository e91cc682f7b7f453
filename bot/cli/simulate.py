"""`anlaufstelle flows simulate`: play a flow in the terminal through the real service.

The person's side is the terminal (numbered choices, typed text, or lines piped on standard
input); everything behind it is what runs in production: the conversation service, the
encrypted store and the outbox. A completed intake therefore leaves a sealed case in the
team's queue, which the summary at the end names.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.channels.base import InboundMessage, OutboundMessage
from bot.channels.memory import MemoryChannel
from bot.cli.bootstrap import FirstStart, open_store
from bot.clock import SystemClock
from bot.conversation.code_hold import CodeHold
from bot.conversation.flows import FlowCatalog, check_teams
from bot.conversation.service import ConversationService
from bot.conversation.units import Handled
from bot.delivery.worker import DeliveryWorker
from bot.settings import Settings
from dialogs.loader import load_flow
from storage import cases
from storage import flows as flow_versions
from storage.store import Store

CHANNEL = "terminal"
HELP = "Type the number of an answer, or text. Commands: /back /restart /lang CODE /quit"


def render(message: OutboundMessage) -> str:
    lines = [message.text]
    for number, option in enumerate(message.choices, start=1):
        lines.append(f"  {number}) {option.label}")
    if message.expects == "choices":
        lines.append("  (several answers possible: numbers separated by commas)")
    for action in message.actions:
        lines.append(f"  [/{action.id}] {action.label}")
    return "\n".join(lines)


def to_inbound(line: str, address: str, counter: Iterator[int]) -> InboundMessage | None:
    """A typed line as the person's message; None for /quit."""
    text = line.rstrip("\n")
    msg_id = f"sim-{next(counter)}"
    command = text.strip()
    if command == "/quit":
        return None
    if command in ("/back", "/restart", "/start"):
        return InboundMessage(CHANNEL, address, msg_id, command=command[1:])  # type: ignore[arg-type]
    if command.startswith("/lang "):
        return InboundMessage(CHANNEL, address, msg_id, language=command.split(maxsplit=1)[1])
    if command == "/skip":
        return InboundMessage(CHANNEL, address, msg_id, choice="skip")
    if command == "/done":
        return InboundMessage(CHANNEL, address, msg_id, text="")
    return InboundMessage(CHANNEL, address, msg_id, text=text)


async def simulate(
    settings: Settings, path: Path, language: str, stdin: TextIO, out: TextIO
) -> int:
    flow = load_flow(path)  # FlowErrors reach the CLI, which prints them with positions
    if language not in flow.languages:
        out.write(f"language {language!r} is not in this flow ({', '.join(flow.languages)})\n")
        return 2
    store, first = await open_store(settings, create=True)
    try:
        if first is not None:
            out.write(first_start_notice(first))
        async with store.tx() as tx:
            await check_teams(tx, flow)
            version = await flow_versions.current(tx, flow.id)
            source = await asyncio.to_thread(path.read_text, encoding="utf-8")
            if version is None or version.digest != flow_versions.digest(source):
                version = await flow_versions.draft(
                    tx, flow.id, source, "simulate", f"from {path.name}"
                )
        channel = MemoryChannel(CHANNEL)
        clock = SystemClock()
        codes = CodeHold(clock)
        worker = DeliveryWorker(store, {CHANNEL: channel}, clock=clock, reveal=codes.reveal)
        service = ConversationService(
            store,
            FlowCatalog(flow.id, pinned_version=version.id),
            response_time=settings.response_time,
            office_contact=settings.office_contact,
            office_name=settings.webchat.office_name,
            clock=clock,
            timezone=ZoneInfo(settings.office_timezone),
            office_hours=settings.office_schedule(),
            codes=codes,
        )
        address = secrets.token_hex(16)
        counter = iter(range(1, 1_000_000))
        interactive = stdin.isatty()
        out.write(HELP + "\n\n")
        last = await _exchange(
            service,
            worker,
            channel,
            InboundMessage(CHANNEL, address, "sim-0", command="start", language=language),
            out,
        )
        while last.owner == "bot":
            if interactive:
                out.write("> ")
                out.flush()
            line = stdin.readline()
            if not line:
                break
            if not interactive:
                out.write(f"> {line.rstrip()}\n")
            msg = to_inbound(line, address, counter)
            if msg is None:
                break
            last = await _exchange(service, worker, channel, msg, out)
        return await _summary(store, last, out)
    finally:
        await store.close()


async def _exchange(
    service: ConversationService,
    worker: DeliveryWorker,
    channel: MemoryChannel,
    msg: InboundMessage,
    out: TextIO,
) -> Handled:
    before = len(channel.sent)
    handled = await service.handle(msg)
    while await worker.run_once():
        pass
    for message in channel.sent[before:]:
        out.write(render(message) + "\n\n")
    out.flush()
    return handled


async def _summary(store: Store, last: Handled, out: TextIO) -> int:
    if last.case is None:
        out.write("The conversation ended without a handover; no case was created.\n")
        return 0 if last.owner == "closed" else 1
    async with store.tx() as tx:
        entry = next(e for e in await cases.queue(tx) if e.case_id == last.case.case_id)
    out.write(
        f"Case {entry.case_id} is waiting in the queue of team {entry.team_id!r} "
        f"(crisis: {'yes' if entry.crisis else 'no'}, "
        f"incident date: {entry.incident_date or 'unknown'}). "
        "Its answers and transcript are sealed to the case key; only the team can read them.\n"
    )
    return 0


def first_start_notice(first: FirstStart) -> str:
    return (
        "First start: a new installation was created.\n"
        f"  Team {first.team_id!r} recovery key (write it on paper and keep it offline; "
        "it is shown only now):\n"
        f"    {first.recovery_key}\n"
        f"  Demo counsellor: {first.counsellor} — set a password and two-factor login at\n"
        f"    {first.setup_link}\n"
        "  (valid for 72 hours, usable once)\n"
        f"  Server key: {first.server_key_file} — copy it to your key backup now (docs/"
        "operations.md, Key escrow): without it no backup of the database can be read.\n\n"
    )
