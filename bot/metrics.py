"""Prometheus metrics: the counters the service bumps; served by bot/metrics_http.py on a
listen address of their own, off by default (`[metrics]`).

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

from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

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
CRISIS_MESSAGES: Final = Counter(
    "anlaufstelle_crisis_messages",
    "Crisis messages (emergency numbers) sent in this process: a count only, because a log "
    "line would tie the danger a person named to their conversation for as long as logs are "
    "kept, beyond the deletion of the case.",
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
