"""PostgreSQL refusing connections (too many clients, shutting down, starting up) answers 503,
not 500: found by bench/crash.py, where connections made during a restart got "the database
system is shutting down"."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest

from congdan.app import create_app
from congdan.config import Settings
from tests.conftest import TEST_DATA_KEY, report_body

PG_URL = os.environ.get("CONGDAN_TEST_DATABASE_URL")


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (CONGDAN_TEST_DATABASE_URL)")
async def test_connections_refused_by_postgres_are_503(tmp_path: Path) -> None:
    assert PG_URL is not None
    role = f"congdan_full_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    # A role allowed no connections: PostgreSQL refuses each with SQLSTATE 53300, as it does
    # when max_connections is reached.
    await admin.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0')
    try:
        base = PG_URL.rpartition("/")[0].replace("postgres@", f"{role}@")
        settings = Settings(
            data_dir=tmp_path, database_url=f"{base}/postgres", secret_key="x", data_key=TEST_DATA_KEY
        )
        app = create_app(settings, run_worker=False)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                for response in (
                    await client.get("/api/v1/reports"),
                    await client.post("/api/v1/reports", json=report_body()),
                ):
                    assert response.status_code == 503, response.text
                    assert response.headers["content-type"] == "application/problem+json"
                    assert response.headers["retry-after"]
    finally:
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()
