"""A phone on a bad network resends a report: it exists exactly once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.db import utcnow
from congdan.models import IdempotencyKey, Media, OutboxMessage, Report
from tests.conftest import Actors, jpeg_with_gps, make_relay, png_bytes, report_body


async def _count(maker: async_sessionmaker[AsyncSession], model: type) -> int:
    async with maker() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_same_key_same_body_replays(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
) -> None:
    key = str(uuid.uuid4())
    first = await client.post("/api/v1/reports", json=report_body(), headers={"Idempotency-Key": key})
    again = await client.post("/api/v1/reports", json=report_body(), headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.headers["location"] == first.headers["location"] == f"/api/v1/reports/{first.json()['id']}"
    assert await _count(maker, Report) == 1
    assert await _count(maker, OutboxMessage) == 2  # submitted + assigned, once


async def test_same_key_other_body_is_422(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
) -> None:
    key = str(uuid.uuid4())
    assert (
        await client.post("/api/v1/reports", json=report_body(), headers={"Idempotency-Key": key})
    ).status_code == 201
    r = await client.post(
        "/api/v1/reports", json=report_body(description="khác"), headers={"Idempotency-Key": key}
    )
    assert r.status_code == 422 and r.json()["type"] == "/problems/idempotency-mismatch"
    assert await _count(maker, Report) == 1


async def test_keys_are_per_caller(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    a, b = await actors.resident(), await actors.resident()
    key = "same-key"
    ra = await client.post("/api/v1/reports", json=report_body(), headers={**a, "Idempotency-Key": key})
    rb = await client.post("/api/v1/reports", json=report_body(), headers={**b, "Idempotency-Key": key})
    assert ra.status_code == rb.status_code == 201 and ra.json()["id"] != rb.json()["id"]


async def test_failed_request_frees_the_key(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
) -> None:
    key = str(uuid.uuid4())
    bad = await client.post(
        "/api/v1/reports", json=report_body(category="nope"), headers={"Idempotency-Key": key}
    )
    assert bad.status_code == 422
    assert await _count(maker, IdempotencyKey) == 0
    # The corrected body under the same key goes through.
    good = await client.post(
        "/api/v1/reports", json=report_body(category="garbage"), headers={"Idempotency-Key": key}
    )
    assert good.status_code == 201


async def test_in_flight_duplicate_is_409_and_abandoned_claim_is_taken_over(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
) -> None:
    from congdan.idempotency import service as idem

    key = str(uuid.uuid4())
    body = report_body()
    # Simulate a first request that claimed the key and is still running.
    claimed = await idem.claim(
        maker,
        scope="reports:anonymous",
        key=key,
        fingerprint=idem.request_hash(
            body
            | {
                "kind": "report",
                "address": None,
                "photos": [],
                "visibility": "public",
                "hide_identity": False,
                "contact": None,
            }
        ),
        lock_seconds=60,
    )
    assert claimed is None
    r = await client.post("/api/v1/reports", json=body, headers={"Idempotency-Key": key})
    assert r.status_code == 409 and r.headers["retry-after"] == "1"
    assert await _count(maker, Report) == 0
    # The process that claimed it died: once its lock lapses a retry goes through, exactly once.
    async with maker() as s, s.begin():
        await s.execute(update(IdempotencyKey).values(locked_until=utcnow() - timedelta(seconds=1)))
    r = await client.post("/api/v1/reports", json=body, headers={"Idempotency-Key": key})
    assert r.status_code == 201, r.text
    r2 = await client.post("/api/v1/reports", json=body, headers={"Idempotency-Key": key})
    assert r2.json()["id"] == r.json()["id"]
    assert await _count(maker, Report) == 1


async def test_concurrent_retries_create_exactly_one(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
) -> None:
    for _round in range(3):
        key = str(uuid.uuid4())
        body = report_body(description=f"Gửi lại khi mạng chập chờn {key}")
        responses = await asyncio.gather(
            *[client.post("/api/v1/reports", json=body, headers={"Idempotency-Key": key}) for _ in range(8)]
        )
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {201, 409}, statuses
        created = {r.json()["id"] for r in responses if r.status_code == 201}
        assert len(created) == 1
        async with maker() as s:
            n = await s.scalar(
                select(func.count()).select_from(Report).where(Report.description == body["description"])
            )
        assert n == 1
        # A client that got 409 retries and receives the original answer.
        retry = await client.post("/api/v1/reports", json=body, headers={"Idempotency-Key": key})
        assert retry.status_code == 201 and retry.json()["id"] in created


async def test_bad_key_is_400(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/reports", json=report_body(), headers={"Idempotency-Key": "   "})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_workers_forget_keys_past_their_retention(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], settings: Any
) -> None:

    for key in ("old-key", "fresh-key"):
        r = await client.post("/api/v1/reports", json=report_body(), headers={"Idempotency-Key": key})
        assert r.status_code == 201
    async with maker() as s, s.begin():
        await s.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == "old-key")
            .values(created_at=utcnow() - timedelta(hours=settings.idempotency_retention_hours + 1))
        )
    relay = make_relay(maker, settings)
    stop = asyncio.Event()
    worker = asyncio.create_task(relay.run_forever(stop))  # housekeeping runs on its first round
    try:
        for _ in range(100):
            async with maker() as s:
                keys = set((await s.scalars(select(IdempotencyKey.key))).all())
            if "old-key" not in keys:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await worker
    assert keys == {"fresh-key"}
    # Past retention, the same key is a new request.
    r = await client.post("/api/v1/reports", json=report_body(), headers={"Idempotency-Key": "old-key"})
    assert r.status_code == 201
    async with maker() as s:
        assert await s.scalar(select(func.count()).select_from(Report)) == 3


async def test_a_retried_upload_stores_one_photo_and_its_replay_has_no_gps(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
) -> None:
    photo = jpeg_with_gps()
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    files = {"file": ("photo.jpg", photo, "image/jpeg")}
    first = await client.post("/api/v1/uploads", files=files, headers=headers)
    again = await client.post("/api/v1/uploads", files=files, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert again.headers.get("idempotent-replayed") == "true"
    assert first.json()["exif_location"] == {"lat": 10.7725, "long": 106.698056}
    assert "exif_location" not in again.json()
    assert again.json() == {k: v for k, v in first.json().items() if k != "exif_location"}
    assert await _count(maker, Media) == 1
    async with maker() as s:
        (remembered,) = (await s.scalars(select(IdempotencyKey))).all()
    stored = str({c.key: getattr(remembered, c.key) for c in IdempotencyKey.__table__.columns})
    assert remembered.response_body is not None and "exif_location" not in remembered.response_body
    assert "10.77" not in stored and "106.69" not in stored
    # Another photo under the same key is another request, not a replay.
    other = await client.post(
        "/api/v1/uploads", files={"file": ("b.png", png_bytes(), "image/png")}, headers=headers
    )
    assert other.status_code == 422 and other.json()["type"] == "/problems/idempotency-mismatch"
