"""With the database down, requests fail fast with 503 problem+json instead of hanging or 500."""

from __future__ import annotations

import httpx

from congdan.app import create_app
from congdan.config import Settings
from tests.conftest import TEST_DATA_KEY, report_body


async def test_database_down_is_503(tmp_path: object) -> None:
    # Port 1 on loopback: nothing listens, connections are refused at once.
    settings = Settings(
        data_dir=tmp_path,  # type: ignore[arg-type]
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none",
        secret_key="x",
        data_key=TEST_DATA_KEY,
    )
    app = create_app(settings, run_worker=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["database"] == "unreachable"
            for response in (
                await client.get("/api/v1/reports"),
                await client.post("/api/v1/reports", json=report_body()),
                await client.get("/api/v1/categories"),
            ):
                assert response.status_code == 503, response.text
                assert response.headers["content-type"] == "application/problem+json"
                assert response.headers["retry-after"]
