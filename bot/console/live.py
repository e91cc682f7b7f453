"""Live news for open console tabs, pushed instead of polled.

A nudge carries no content and no case: "something in the queue or a case changed" (or a
case id whose person is typing, for the typing board). Each tab that hears it fetches its
page's JSON at once (the same request it polls with, access checks and all), so nothing
readable ever travels on this path. With several replicas each nudge is relayed to the
others (PostgreSQL NOTIFY through storage/notify.py), so a person writing on replica A moves
the counsellor's page on replica B at once. A tab that loses the stream falls back to
polling until it reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

log = logging.getLogger(__name__)

ACTIVITY: Final = "activity"
HEARTBEAT_SECONDS: Final = 15.0
QUEUE_SIZE: Final = 8
"""Nudges waiting per tab; more are pointless (one fetch brings everything)."""


class LiveBus:
    def __init__(self) -> None:
        self._tabs: set[asyncio.Queue[str]] = set()
        self.relay: Callable[[str], Awaitable[None]] | None = None
        self.on_typing: Callable[[int], None] | None = None
        """Marks a person typing on this replica's typing board (set by the app)."""
        self.replica = secrets.token_hex(4)
        self._tasks: set[asyncio.Task[None]] = set()

    def subscribe(self) -> asyncio.Queue[str]:
        tab: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
        self._tabs.add(tab)
        return tab

    def unsubscribe(self, tab: asyncio.Queue[str]) -> None:
        self._tabs.discard(tab)

    def _local(self, event: str) -> None:
        for tab in list(self._tabs):
            with contextlib.suppress(asyncio.QueueFull):  # that tab will fetch anyway
                tab.put_nowait(event)

    def nudge(self, event: str = ACTIVITY) -> None:
        """Tell every tab here and on the other replicas; never waits, never fails."""
        self._local(event)
        if self.relay is not None:
            task = asyncio.create_task(self._send(event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def typing(self, case_id: int) -> None:
        """The person of a case is typing (already on this replica's board)."""
        self.nudge(f"typing:{case_id}")

    async def _send(self, event: str) -> None:
        assert self.relay is not None
        try:
            await self.relay(f"{self.replica}:{event}")
        except Exception as exc:  # the other replicas' tabs still poll as a fallback
            log.warning("console: relaying news failed (%s)", exc.__class__.__name__)

    def relayed(self, payload: str) -> None:
        replica, _, event = payload.partition(":")
        if replica == self.replica:
            return
        kind, _, case = event.partition(":")
        if kind == "typing" and case.isdigit() and self.on_typing is not None:
            self.on_typing(int(case))
        self._local(event)


async def stream(
    request: web.Request, bus: LiveBus, alive: Callable[[], bool]
) -> web.StreamResponse:
    """Server-sent events: one `nudge` per piece of news, a comment line as a heartbeat; ends
    when the session does (`alive`)."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # a buffering proxy would hold the news back
        }
    )
    await response.prepare(request)
    tab = bus.subscribe()
    try:
        await response.write(b"retry: 3000\n\n")
        while alive():
            try:
                event = await asyncio.wait_for(tab.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                await response.write(b": still here\n\n")
                continue
            name = "typing" if event.startswith("typing:") else "nudge"
            await response.write(f"event: {name}\ndata: {ACTIVITY}\n\n".encode())
    except ConnectionResetError:
        pass  # the tab was closed
    finally:
        bus.unsubscribe(tab)
    return response
