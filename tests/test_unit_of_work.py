"""One unit of work per request: committed once before the answer leaves, rolled back on any error;
reading requests take no write lock and cannot write unless they say so."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.app import create_app
from congdan.config import Settings
from congdan.db import make_engine
from congdan.deps import SessionDep, writes
from congdan.kit.errors import BadRequest
from congdan.models import OutboxMessage
from congdan.outbox.service import emit


async def _rows(maker: async_sessionmaker[AsyncSession], marker: str) -> int:
    async with maker() as session:
        found = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.aggregate_id == marker)
        )
        return int(found or 0)


def _write(session: AsyncSession, marker: str) -> None:
    emit(session, "test.unit_of_work", aggregate_type="test", aggregate_id=marker, payload={})


@pytest_asyncio.fixture
async def probe(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """An app with a few routes that write, fail, or read, as endpoints do."""
    app = create_app(settings, run_worker=False)

    async def write_then_fail(marker: str, session: SessionDep) -> None:
        _write(session, marker)
        await session.flush()
        raise BadRequest("refused after writing")

    async def write_then_crash(marker: str, session: SessionDep) -> None:
        _write(session, marker)
        await session.flush()
        raise RuntimeError("a bug after the write")

    async def write(marker: str, session: SessionDep) -> dict[str, str]:
        _write(session, marker)
        return {"marker": marker}

    async def read_that_writes(marker: str, session: SessionDep) -> None:
        _write(session, marker)
        await session.flush()

    @writes
    async def declared_read_that_writes(marker: str, session: SessionDep) -> dict[str, str]:
        _write(session, marker)
        return {"marker": marker}

    async def read(session: SessionDep) -> dict[str, int]:
        return {"one": int(await session.scalar(text("SELECT 1")) or 0)}

    app.add_api_route("/api/v1/t/fail/{marker}", write_then_fail, methods=["POST"])
    app.add_api_route("/api/v1/t/crash/{marker}", write_then_crash, methods=["POST"])
    app.add_api_route("/api/v1/t/write/{marker}", write, methods=["POST"], status_code=201)
    app.add_api_route("/api/v1/t/read-writes/{marker}", read_that_writes, methods=["GET"])
    app.add_api_route("/api/v1/t/declared/{marker}", declared_read_that_writes, methods=["GET"])
    app.add_api_route("/api/v1/t/read", read, methods=["GET"])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, app.state.sessionmaker


async def test_a_refusal_after_a_write_leaves_nothing_behind(probe: tuple[httpx.AsyncClient, Any]) -> None:
    client, maker = probe
    marker = uuid.uuid4().hex
    answer = await client.post(f"/api/v1/t/fail/{marker}")
    assert answer.status_code == 400
    assert await _rows(maker, marker) == 0


async def test_an_unexpected_error_after_a_write_leaves_nothing_behind(
    probe: tuple[httpx.AsyncClient, Any],
) -> None:
    client, maker = probe
    marker = uuid.uuid4().hex
    answer = await client.post(f"/api/v1/t/crash/{marker}")
    assert answer.status_code == 500
    assert await _rows(maker, marker) == 0


async def test_a_write_is_stored_when_its_answer_arrives(probe: tuple[httpx.AsyncClient, Any]) -> None:
    client, maker = probe
    marker = uuid.uuid4().hex
    answer = await client.post(f"/api/v1/t/write/{marker}")
    assert answer.status_code == 201
    # Read on a connection of its own: committed, not merely flushed in the request's transaction.
    assert await _rows(maker, marker) == 1


async def test_a_reading_request_cannot_write_unless_it_says_so(probe: tuple[httpx.AsyncClient, Any]) -> None:
    client, maker = probe
    marker = uuid.uuid4().hex
    refused = await client.get(f"/api/v1/t/read-writes/{marker}")
    assert refused.status_code == 500
    assert await _rows(maker, marker) == 0
    declared = await client.get(f"/api/v1/t/declared/{marker}")
    assert declared.status_code == 200
    assert await _rows(maker, marker) == 1


async def test_reads_do_not_wait_for_a_writer_on_sqlite(
    probe: tuple[httpx.AsyncClient, Any], settings: Settings, is_postgres: bool
) -> None:
    if is_postgres:
        pytest.skip("PostgreSQL readers never wait for writers; the write lock is SQLite's")
    client, _maker = probe
    engine = make_engine(settings)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))  # begins with BEGIN IMMEDIATE: the write lock is held
            try:
                answer = await client.get("/api/v1/t/read")
                assert answer.status_code == 200 and answer.json() == {"one": 1}
            finally:
                await conn.rollback()
    finally:
        await engine.dispose()
