"""The process's Prometheus instruments, in one place so that every layer counts into the same ones.

With several processes (`serve --workers N`) prometheus-client keeps each process's values in files
under PROMETHEUS_MULTIPROC_DIR, which must be set before this module is first imported; /metrics
then adds them up (monitoring/api.py).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "congdan_http_requests",
    "HTTP requests answered, by route template and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "congdan_http_request_duration_seconds",
    "Time from the request's arrival to the end of its answer, by route template",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DELIVERIES = Counter(
    "congdan_deliveries", "Messages handed to a channel, by channel and outcome", ["channel", "outcome"]
)
RATE_LIMITED = Counter("congdan_rate_limit_refusals", "Requests refused by a rate limit, by rule", ["rule"])
POOL_IN_USE = Gauge(
    "congdan_db_pool_connections_in_use",
    "Database connections checked out of the pool (summed over live processes)",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "congdan_db_pool_size",
    "Connections the pool keeps (summed over live processes)",
    multiprocess_mode="livesum",
)
OUTBOX_ROUNDS = Counter(
    "congdan_outbox_rounds",
    "Worker rounds finished, by result: rows handled, none due, or the round failed",
    ["result"],
)
OUTBOX_HANDLED = Counter("congdan_outbox_handled", "Outbox rows handled, by event type", ["event_type"])
OUTBOX_FAILURES = Counter(
    "congdan_outbox_handler_failures",
    "Outbox rows whose handler failed (retried later, or dead), by event type",
    ["event_type"],
)
OUTBOX_DEAD = Counter(
    "congdan_outbox_dead_letters", "Outbox rows given up on after their last attempt", ["event_type"]
)
OUTBOX_LAST_ROUND = Gauge(
    "congdan_outbox_last_round_timestamp_seconds",
    "When a worker of this process last finished a round (Unix time)",
    multiprocess_mode="max",
)
