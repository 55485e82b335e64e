from __future__ import annotations

import httpx

from tests.conftest import report_body


async def test_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    r = await client.get("/readyz")
    assert r.status_code == 200 and r.json()["database"] == "ok"


async def test_submit_and_read(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/reports", json=report_body())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "assigned"
    assert body["agency"]["code"] == "so_xay_dung"
    got = await client.get(f"/api/v1/reports/{body['id']}")
    assert got.status_code == 200
