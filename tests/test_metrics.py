"""/metrics for Prometheus: requests by route template and status with their latency, outbox rows
due by event type with the age of the oldest, deliveries by channel and outcome, rate-limit
refusals, the database pool — and only for the scraper, never for the public."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from congdan.app import create_app
from congdan.config import Settings
from congdan.outbox.relay import Relay
from tests.conftest import submit


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def _scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = await client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return _samples(r.text)


def _total(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


async def test_requests_are_counted_and_timed_by_route_template_not_by_path(
    client: httpx.AsyncClient,
) -> None:
    made = [await submit(client) for _ in range(3)]
    before = await _scrape(client)
    for report in made:
        assert (await client.get(f"/api/v1/reports/{report['id']}")).status_code == 200
    assert (await client.get("/api/v1/reports/00000000-0000-0000-0000-000000000000")).status_code == 404
    after = await _scrape(client)
    route = "/api/v1/reports/{report_id:uuid}"
    key = dict(method="GET", route=route)
    assert (
        _total(after, "congdan_http_requests_total", status="200", **key)
        - _total(before, "congdan_http_requests_total", status="200", **key)
        == 3
    )
    assert (
        _total(after, "congdan_http_requests_total", status="404", **key)
        - _total(before, "congdan_http_requests_total", status="404", **key)
        == 1
    )
    assert (
        _total(after, "congdan_http_request_duration_seconds_count", **key)
        - _total(before, "congdan_http_request_duration_seconds_count", **key)
        == 4
    )
    assert not any(report["id"] in str(labels) for (_, labels) in after)  # no series per report
    assert ("congdan_db_pool_size", ()) in after


async def test_outbox_rows_due_and_deliveries_are_reported(client: httpx.AsyncClient, relay: Relay) -> None:
    await relay.drain()
    before = await _scrape(client)
    await submit(client, contact={"phone": "+84901239876"})
    waiting = await _scrape(client)
    assert _total(waiting, "congdan_outbox_due", event_type="report.submitted") >= 1
    assert ("congdan_outbox_oldest_due_age_seconds", (("event_type", "report.submitted"),)) in waiting
    await relay.drain()
    drained = await _scrape(client)
    assert _total(drained, "congdan_outbox_due") == 0
    sent = _total(drained, "congdan_deliveries_total", outcome="sent") - _total(
        before, "congdan_deliveries_total", outcome="sent"
    )
    assert sent >= 1


@pytest_asyncio.fixture
async def strict_app(settings: Settings) -> AsyncIterator[Any]:
    strict = settings.model_copy(
        update={
            "metrics_token": "scraper-token-123",
            "rate_limits_enabled": True,
            "rate_limits": {"client": "3/minute"},
        }
    )
    app = create_app(strict, run_worker=False)
    async with app.router.lifespan_context(app):
        yield app


async def test_only_the_scraper_is_answered(client: httpx.AsyncClient, app: Any, strict_app: Any) -> None:
    proxied = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 404 and "congdan_" not in proxied.text
    remote = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=remote, base_url="http://test") as outsider:
        r = await outsider.get("/metrics")
        assert r.status_code == 404 and "congdan_" not in r.text

    with_token = httpx.ASGITransport(app=strict_app, client=("198.51.100.7", 40000))
    async with httpx.AsyncClient(transport=with_token, base_url="http://test") as scraper:
        assert (await scraper.get("/metrics")).status_code == 404  # no token
        wrong = await scraper.get("/metrics", headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 404
    with_token = httpx.ASGITransport(app=strict_app, client=("198.51.100.6", 40000))
    async with httpx.AsyncClient(transport=with_token, base_url="http://test") as scraper:
        right = await scraper.get("/metrics", headers={"Authorization": "Bearer scraper-token-123"})
        assert right.status_code == 200 and "congdan_http_requests_total" in right.text


async def test_rate_limit_refusals_are_counted(strict_app: Any) -> None:
    token = {"Authorization": "Bearer scraper-token-123"}
    caller = httpx.ASGITransport(app=strict_app, client=("198.51.100.8", 40000))
    scraping = httpx.ASGITransport(app=strict_app, client=("198.51.100.9", 40000))  # a limit of its own
    async with (
        httpx.AsyncClient(transport=caller, base_url="http://test") as client,
        httpx.AsyncClient(transport=scraping, base_url="http://test") as scraper,
    ):
        before = _samples((await scraper.get("/metrics", headers=token)).text)
        statuses = [(await client.get("/api/v1/categories")).status_code for _ in range(4)]
        assert 429 in statuses
        after = _samples((await scraper.get("/metrics", headers=token)).text)
    refused = _total(after, "congdan_rate_limit_refusals_total", rule="client") - _total(
        before, "congdan_rate_limit_refusals_total", rule="client"
    )
    assert refused == statuses.count(429)
