"""Reads from a streaming replica (CONGDAN_DATABASE_REPLICA_URL), against a real primary and
replica made for these tests: anonymous public reads (the map and its page's list, Open311 GET)
come from the replica;
a browser that has just written, and any signed-in caller, read the primary and see their own
write; a replica that falls behind past the setting, or stops, sends reads back to the primary, and
is used again once it is back."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from congdan.app import create_app
from congdan.config import Settings
from congdan.migrate import upgrade
from congdan.replica import WROTE_COOKIE
from tests.conftest import TEST_DATA_KEY, Actors, report_body
from tests.pg_cluster import Cluster, pg_bin, primary_and_replica

pytestmark = pytest.mark.skipif(
    not os.environ.get("CONGDAN_TEST_DATABASE_URL") or pg_bin() is None,
    reason="a replica is PostgreSQL's: run with CONGDAN_TEST_DATABASE_URL",
)


@pytest.fixture(scope="module")
def clusters() -> Iterator[tuple[Cluster, Cluster]]:
    with primary_and_replica() as pair:
        yield pair


@asynccontextmanager
async def running(clusters: tuple[Cluster, Cluster], data_dir: Path, max_lag: float) -> AsyncIterator[Any]:
    primary, replica = clusters
    settings = Settings(
        data_dir=data_dir,
        database_url=primary.url,
        database_replica_url=replica.url,
        replica_max_lag_seconds=max_lag,
        secret_key="test-secret-key",
        data_key=TEST_DATA_KEY,
        rate_limits_enabled=False,
    )
    await upgrade(settings)
    app = create_app(settings, run_worker=False)
    async with app.router.lifespan_context(app):
        yield app


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def _until(app: Any, usable: bool) -> None:
    deadline = time.monotonic() + 60
    while await app.state.replica.check() is not usable:
        assert time.monotonic() < deadline, f"the replica did not become {'usable' if usable else 'unusable'}"
        await asyncio.sleep(0.2)


async def _seen(client: httpx.AsyncClient, report: dict[str, Any], **headers: str) -> bool:
    r = await client.get(f"/open311/v2/requests/{report['id']}.json", headers=headers)
    assert r.status_code in (200, 404), r.text
    on_map = await client.get("/api/v1/reports/map", headers=headers)
    assert on_map.status_code == 200, on_map.text
    mapped = any(f["properties"]["code"] == report["tracking_code"] for f in on_map.json()["features"])
    assert mapped == (r.status_code == 200)  # both reads from the same database
    page = await client.get("/ban-do", headers=headers)  # the public list, as a page
    assert page.status_code == 200, page.text
    assert (f"/theo-doi/{report['tracking_code']}" in page.text) == mapped
    return mapped


async def test_anonymous_reads_come_from_the_replica_and_writers_read_their_own_write(
    clusters: tuple[Cluster, Cluster], tmp_path: Path
) -> None:
    _, replica = clusters
    async with running(clusters, tmp_path, max_lag=600) as app:
        await _until(app, usable=True)
        replica.sql("SELECT pg_wal_replay_pause()")
        try:
            async with _client(app) as writer, _client(app) as reader:
                made = await writer.post("/api/v1/reports", json=report_body())
                assert made.status_code == 201, made.text
                report = made.json()
                assert WROTE_COOKIE in writer.cookies
                assert not await _seen(reader, report)  # the replica has not replayed it
                assert await _seen(writer, report)  # the writer reads the primary
                resident = await Actors(reader, app.state.sessionmaker, app.state.settings).resident()
                assert await _seen(reader, report, **resident)  # so does anyone signed in
                reader.cookies.clear()
        finally:
            replica.sql("SELECT pg_wal_replay_resume()")
        async with _client(app) as reader:
            deadline = time.monotonic() + 60
            while not await _seen(reader, report):
                assert time.monotonic() < deadline, "the replica did not catch up"
                await asyncio.sleep(0.2)


async def test_a_replica_behind_the_limit_is_left_for_the_primary(
    clusters: tuple[Cluster, Cluster], tmp_path: Path
) -> None:
    _, replica = clusters
    async with running(clusters, tmp_path, max_lag=0.5) as app:
        await _until(app, usable=True)
        replica.sql("SELECT pg_wal_replay_pause()")
        try:
            async with _client(app) as writer:
                made = await writer.post("/api/v1/reports", json=report_body())
                assert made.status_code == 201, made.text
            await _until(app, usable=False)
            assert app.state.replica.lag > 0.5
            async with _client(app) as reader:
                assert await _seen(reader, made.json())  # read from the primary
        finally:
            replica.sql("SELECT pg_wal_replay_resume()")
        await _until(app, usable=True)


async def test_a_stopped_replica_sends_reads_to_the_primary_until_it_is_back(
    clusters: tuple[Cluster, Cluster], tmp_path: Path
) -> None:
    _, replica = clusters
    async with running(clusters, tmp_path, max_lag=600) as app:
        await _until(app, usable=True)
        async with _client(app) as writer:
            made = await writer.post("/api/v1/reports", json=report_body())
            assert made.status_code == 201, made.text
        replica.stop()
        try:
            await _until(app, usable=False)
            async with _client(app) as reader:
                assert await _seen(reader, made.json())
                listed = await reader.get("/open311/v2/requests.json")
                assert listed.status_code == 200, listed.text
        finally:
            replica.start()
        await _until(app, usable=True)
        async with _client(app) as reader:
            assert await _seen(reader, made.json())
