"""GET /metrics in Prometheus's text format, for the scraper only (monitoring/access.py)."""

from __future__ import annotations

import os

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from congdan.db import utcnow
from congdan.kit.errors import NotFound
from congdan.monitoring import repository
from congdan.monitoring.access import scraper_allowed
from congdan.monitoring.middleware import RequestMetrics

router = APIRouter(include_in_schema=False)


def _allowed(request: Request) -> bool:
    return scraper_allowed(
        request.app.state.settings.metrics_token,
        request.headers.get("authorization", ""),
        forwarded="x-forwarded-for" in request.headers or "forwarded" in request.headers,
        client_host=request.client.host if request.client else "",
    )


def _process_figures() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    if not _allowed(request):
        raise NotFound()  # not even saying that it is here
    now = utcnow()
    async with request.app.state.read_sessionmaker() as session:
        due = await repository.outbox_due_by_type(session, now)
    depth = GaugeMetricFamily(
        "congdan_outbox_due",
        "Outbox rows a worker should be handling now, by event type",
        labels=["event_type"],
    )
    age = GaugeMetricFamily(
        "congdan_outbox_oldest_due_age_seconds",
        "How long the oldest due outbox row has waited, by event type",
        labels=["event_type"],
    )
    for event_type, (count, oldest) in sorted(due.items()):
        depth.add_metric([event_type], count)
        age.add_metric([event_type], max((now - oldest).total_seconds(), 0.0))
    from_database = CollectorRegistry()
    from_database.register(_Fixed([depth, age]))
    body = _process_figures() + generate_latest(from_database)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


class _Fixed:
    """A collector that yields figures already read (prometheus-client's collector protocol)."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> list[GaugeMetricFamily]:
        return self.families


def install(app: FastAPI) -> None:
    """The outermost layer times and counts every request; /metrics answers the scraper."""
    app.add_middleware(RequestMetrics)
    app.include_router(router)
