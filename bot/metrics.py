"""Prometheus metrics, on a listen address of their own and off by default (`[metrics]`).

Counts and gauges only. No metric has a label that could single out a person or say what a
case is about: no category, no language, no municipality, no channel address. Why each one
is safe, beside it:

- conversations started / handovers: process-wide counts (sum them over replicas);
- unit of work: how long one inbound message takes from receipt to durable commit;
- HTTP request latency by route *template* (`/console/cases/{case_id}`, never the value) and
  method; a path that matches no route counts as "unmatched" (no free-form label values);
- delivery failures by channel (web chat, Telegram, …): a channel is a kind, not a person;
- queue length per team (team ids are the office's own names), outbox backlog and the age
  of its oldest reply, and open cases near the AGG deadline: read from the database at each
  scrape, so every replica reports the same numbers (take one, not the sum).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta, tzinfo
from typing import Final

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from bot.conversation.handover import deadline_days_left
from storage import gauges
from storage.store import Store

log = logging.getLogger(__name__)

REGISTRY: Final = CollectorRegistry()

CONVERSATIONS_STARTED: Final = Counter(
    "anlaufstelle_conversations_started",
    "Conversations started (first contact or a new start) in this process.",
    registry=REGISTRY,
)
HANDOVERS: Final = Counter(
    "anlaufstelle_handovers",
    "Cases handed to a team's queue in this process.",
    registry=REGISTRY,
)
UNIT_OF_WORK: Final = Histogram(
    "anlaufstelle_unit_of_work_seconds",
    "One inbound message, from receipt to its durable commit.",
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUESTS: Final = Histogram(
    "anlaufstelle_http_request_seconds",
    "HTTP requests by route template and method.",
    ["route", "method"],
    registry=REGISTRY,
)
DELIVERY_FAILURES: Final = Counter(
    "anlaufstelle_delivery_failures",
    "Failed delivery attempts (each is retried) by channel.",
    ["channel"],
    registry=REGISTRY,
)
QUEUE_LENGTH: Final = Gauge(
    "anlaufstelle_queue_length",
    "Cases waiting unclaimed in a team's queue (whole database).",
    ["team"],
    registry=REGISTRY,
)
OUTBOX_BACKLOG: Final = Gauge(
    "anlaufstelle_outbox_backlog",
    "Replies waiting for delivery (whole database).",
    registry=REGISTRY,
)
OUTBOX_OLDEST_AGE: Final = Gauge(
    "anlaufstelle_outbox_oldest_age_seconds",
    "Age of the oldest reply waiting for delivery; 0 when none waits.",
    registry=REGISTRY,
)
NEAR_DEADLINE: Final = Gauge(
    "anlaufstelle_cases_near_agg_deadline",
    f"Open cases whose two-month AGG period ends within {14} days (incident date known).",
    registry=REGISTRY,
)
NEAR_DEADLINE_DAYS: Final = 14


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


async def serve_metrics(
    store: Store, clock: Callable[[], datetime], office_tz: tzinfo, host: str, port: int
) -> AsyncIterator[None]:
    """Run the metrics listener for as long as the service runs (an app cleanup context)."""
    runner = web.AppRunner(metrics_app(store, clock, office_tz), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("metrics on %s:%s/metrics", host, port)
        yield
    finally:
        await runner.cleanup()
