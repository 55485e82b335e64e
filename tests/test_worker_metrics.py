"""A standalone `congdan worker` answers Prometheus on a listener of its own: its deliveries by
channel and outcome, its handled rows, failures, dead letters and rounds, for the scraper only;
/healthz and /readyz say whether its loop works; any other path is not found."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.db import utcnow
from congdan.models import OutboxMessage
from congdan.monitoring.listener import Probe, application
from congdan.notifications.service import SEND_EVENT
from congdan.outbox.service import emit
from tests.conftest import submit
from tests.fresh_db import cli_env
from tests.live_server import congdan_script, congdan_worker

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
PHONE = "+84901234517"


def _samples(text: str) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def _scrape_until(url: str, done: Any, headers: dict[str, str] | None = None) -> Samples:
    deadline = asyncio.get_running_loop().time() + 30
    async with httpx.AsyncClient(trust_env=False) as scraper:
        while True:
            answer = await scraper.get(f"{url}/metrics", headers=headers or {})
            assert answer.status_code == 200, answer.text
            assert answer.headers["content-type"].startswith("text/plain")
            samples = _samples(answer.text)
            if done(samples):
                return samples
            assert asyncio.get_running_loop().time() < deadline, answer.text[-3000:]
            await asyncio.sleep(0.2)


async def _until_nothing_due(maker: async_sessionmaker[AsyncSession]) -> None:
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        waiting = (OutboxMessage.status == "processing") | (
            (OutboxMessage.status == "pending") & (OutboxMessage.available_at <= utcnow())
        )
        async with maker() as session:
            if not await session.scalar(select(func.count()).where(waiting)):
                return
        assert asyncio.get_running_loop().time() < deadline, "the worker left rows due"
        await asyncio.sleep(0.2)


async def test_the_worker_counts_what_it_delivers_on_its_own_listener(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    tmp_path: Path,
) -> None:
    shared_folder = tmp_path / "metrics-of-serve"
    shared_folder.mkdir()
    with congdan_worker(
        settings,
        tmp_path / "worker.log",
        CONGDAN_NOTIFY_MAX_ATTEMPTS="1",
        # A folder `serve --workers` counts into: the worker must keep its figures to itself.
        PROMETHEUS_MULTIPROC_DIR=str(shared_folder),
    ) as worker:
        await submit(client, contact={"phone": PHONE})
        async with maker() as session, session.begin():
            # A message without its address: the handler fails, and with one attempt it is dead.
            broken = {"channel": "sms"}
            emit(session, SEND_EVENT, aggregate_type="recipient", aggregate_id="broken", payload=broken)

        await _until_nothing_due(maker)
        samples = await _scrape_until(worker.url, lambda _: True)
        sent = _value(samples, "congdan_deliveries_total", channel="sms", outcome="sent")
        # Every text the development SMS channel wrote is counted, once.
        assert sent >= 1 and sent == len(worker.texts_to(PHONE))
        assert _value(samples, "congdan_outbox_dead_letters_total", event_type=SEND_EVENT) == 1
        assert _value(samples, "congdan_outbox_handler_failures_total", event_type=SEND_EVENT) == 1
        assert _value(samples, "congdan_outbox_handled_total", event_type="report.submitted") == 1
        assert _value(samples, "congdan_outbox_handled_total", event_type=SEND_EVENT) >= 1
        assert _value(samples, "congdan_outbox_rounds_total", result="handled") >= 1
        assert _value(samples, "congdan_outbox_last_round_timestamp_seconds") > 0
        assert ("congdan_db_pool_size", ()) in samples
        # The outbox's depth is read from the database by `serve`, not measured a second time here.
        assert not any(name == "congdan_outbox_due" for name, _ in samples)

        async with httpx.AsyncClient(base_url=worker.url, trust_env=False) as other:
            assert (await other.get("/healthz")).json() == {"status": "ok"}
            ready = await other.get("/readyz")
            assert ready.status_code == 200 and ready.json()["status"] == "ok"
            for path in ("/", "/metrics/", "/favicon.ico", "/api/v1/reports"):
                answer = await other.get(path)
                assert answer.status_code == 404 and "congdan_" not in answer.text, path
            proxied = await other.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
            assert proxied.status_code == 404 and "congdan_" not in proxied.text
            assert (await other.post("/metrics")).status_code == 405
    assert list(shared_folder.iterdir()) == []


async def test_with_a_token_the_worker_answers_only_the_scraper_that_sends_it(
    settings: Settings, tmp_path: Path
) -> None:
    token = "scraper-token-456"
    with congdan_worker(settings, tmp_path / "worker.log", CONGDAN_METRICS_TOKEN=token) as worker:
        async with httpx.AsyncClient(base_url=worker.url, trust_env=False) as scraper:
            assert (await scraper.get("/metrics")).status_code == 404
            wrong = await scraper.get("/metrics", headers={"Authorization": "Bearer guess"})
            assert wrong.status_code == 404 and "congdan_" not in wrong.text
        samples = await _scrape_until(
            worker.url,
            lambda s: _value(s, "congdan_outbox_rounds_total", result="idle") >= 1,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert ("congdan_outbox_last_round_timestamp_seconds", ()) in samples


def test_the_worker_does_not_start_when_its_metrics_port_is_taken(settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [congdan_script(), "worker", "--metrics-port", str(port)],
            env=cli_env(settings),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1, result.stderr
    assert f"could not listen on 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr


def _get(app: Any, path: str) -> tuple[str, bytes]:
    environ: dict[str, Any] = {"PATH_INFO": path}
    setup_testing_defaults(environ)
    status: list[str] = []

    def start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        status.append(line)

    body: Iterable[bytes] = app(environ, start_response)
    return status[0], b"".join(body)


def test_readyz_fails_while_the_loop_has_not_finished_a_round_for_the_stall_window() -> None:
    since = {"seconds": 3.0}
    app = application(None, Probe(lambda: since["seconds"], stall_seconds=10.0, pool=lambda: None))
    status, body = _get(app, "/readyz")
    assert status.startswith("200") and b'"stalled"' not in body
    since["seconds"] = 11.0
    status, body = _get(app, "/readyz")
    assert status.startswith("503") and b'"stalled": true' in body
