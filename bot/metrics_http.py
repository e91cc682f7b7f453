"""The metrics listener and the request timing (aiohttp side of bot/metrics.py): the
database gauges are read at each scrape."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta, tzinfo

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from bot.conversation.handover import deadline_days_left
from bot.metrics import (
    NEAR_DEADLINE,
    NEAR_DEADLINE_DAYS,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
    QUEUE_LENGTH,
    REGISTRY,
    REQUESTS,
)
from storage import gauges
from storage.store import Store

log = logging.getLogger(__name__)


async def refresh(store: Store, now: datetime, office_tz: tzinfo) -> None:
    """Set the database gauges from one read-only snapshot."""
    async with store.read(now) as tx:
        snap = await gauges.snapshot(tx)
    QUEUE_LENGTH.clear()
    for team, count in snap.waiting_per_team.items():
        QUEUE_LENGTH.labels(team=team).set(count)
    OUTBOX_BACKLOG.set(snap.outbox_backlog)
    age = (now - snap.outbox_oldest) if snap.outbox_oldest else timedelta(0)
    OUTBOX_OLDEST_AGE.set(max(age.total_seconds(), 0.0))
    today = now.astimezone(office_tz).date()
    near = 0
    for incident in snap.open_incident_dates:
        left = deadline_days_left(incident, today)
        if left is not None and left <= NEAR_DEADLINE_DAYS:
            near += 1
    NEAR_DEADLINE.set(near)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def request_timing(request: web.Request, handler: Handler) -> web.StreamResponse:
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    with REQUESTS.labels(route=route, method=request.method).time():
        return await handler(request)


def metrics_app(store: Store, clock: Callable[[], datetime], office_tz: tzinfo) -> web.Application:
    async def metrics(request: web.Request) -> web.Response:
        await refresh(store, clock(), office_tz)
        return web.Response(
            body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    return app


class MetricsListenError(Exception):
    """The metrics listener could not bind its address (busy, or not this host's)."""


async def serve_metrics(
    store: Store, clock: Callable[[], datetime], office_tz: tzinfo, host: str, port: int
) -> AsyncIterator[None]:
    """Run the metrics listener for as long as the service runs (an app cleanup context)."""
    runner = web.AppRunner(metrics_app(store, clock, office_tz), access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            raise MetricsListenError(
                f"cannot listen for metrics on {host}:{port} "
                f"({os.strerror(exc.errno) if exc.errno and exc.errno > 0 else exc.strerror})"
            ) from None
        log.info("metrics on %s:%s/metrics", host, port)
        yield
    finally:
        await runner.cleanup()
