"""Rate limits per client and per account, in memory and in Redis: a burst from one client gets
429 with Retry-After while other clients are still served, and nothing turns into a 5xx."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis

from congdan.app import create_app
from congdan.config import Settings
from tests.conftest import PASSWORD, Actors, png_bytes, report_body

REDIS_URL = os.environ.get("CONGDAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

RULES = {
    "client": "40/minute",
    "auth_code_client": "3/minute",
    "auth_code_target": "2/minute",
    "auth_verify_client": "3/minute",
    "auth_verify_target": "2/minute",
    "login_client": "3/minute",
    "login_target": "2/minute",
    "reports_client": "3/minute",
    "reports_account": "2/minute",
    "uploads_client": "2/minute",
    "uploads_account": "2/minute",
}


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest_asyncio.fixture(params=["memory", "redis"])
async def limited(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Any]:
    if request.param == "redis" and not _redis_up():
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    s = settings.model_copy(
        update={
            "rate_limits_enabled": True,
            "rate_limits": RULES,
            "redis_url": REDIS_URL if request.param == "redis" else None,
            # Fresh counters for every test, also in a Redis that outlives the run.
            "rate_limit_key_prefix": f"congdan-test-{uuid.uuid4().hex}",
        }
    )
    app = create_app(s, run_worker=False)
    async with app.router.lifespan_context(app):
        yield app


Client = Callable[[str], httpx.AsyncClient]


@pytest.fixture
def client_from(limited: Any) -> Client:
    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=limited, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://test")

    return make


def _assert_429(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["status"] == 429


async def test_code_requests_limited_per_client_and_others_still_served(client_from: Client) -> None:
    async with client_from("10.0.0.1") as a, client_from("10.0.0.2") as b:
        codes = [
            (await a.post("/api/v1/auth/code", json={"phone": f"+849011{i:05d}"})).status_code
            for i in range(3)
        ]
        assert codes == [202, 202, 202]
        r = await a.post("/api/v1/auth/code", json={"phone": "+84901199999"})
        _assert_429(r)
        assert "thử lại sau" in r.json()["detail"]
        r = await a.post(
            "/api/v1/auth/code", json={"phone": "+84901199998"}, headers={"Accept-Language": "en"}
        )
        _assert_429(r)
        assert r.json()["title"] == "Too many requests"
        assert "try again in" in r.json()["detail"]
        assert (await b.post("/api/v1/auth/code", json={"phone": "+84901188888"})).status_code == 202


async def test_code_requests_limited_per_phone_across_clients(client_from: Client) -> None:
    statuses = []
    for i in range(3):
        async with client_from(f"10.0.1.{i}") as c:
            # The same number written three ways is one target.
            phone = ["+84901234567", "0901234567", "+84 90 123 4567"][i]
            statuses.append((await c.post("/api/v1/auth/code", json={"phone": phone})).status_code)
    assert statuses == [202, 202, 429]
    async with client_from("10.0.1.9") as c:
        assert (await c.post("/api/v1/auth/code", json={"phone": "+84901234568"})).status_code == 202


async def test_verify_limited_per_target(client_from: Client) -> None:
    statuses = []
    for i in range(3):
        async with client_from(f"10.0.2.{i}") as c:
            r = await c.post("/api/v1/auth/code/verify", json={"phone": "+84907654321", "code": "000000"})
            statuses.append(r.status_code)
    assert statuses == [401, 401, 429]


async def test_staff_login_limited_per_account_and_per_client(
    client_from: Client, limited: Any, settings: Settings
) -> None:
    async with client_from("10.0.3.1") as c:
        actors = Actors(c, limited.state.sessionmaker, settings)
        await actors.staff("coordinator")  # one login used
    email = "guessed@example.vn"
    statuses = []
    for i in range(3):
        async with client_from(f"10.0.3.{10 + i}") as c:
            r = await c.post("/api/v1/auth/login", json={"email": email, "password": "x" + PASSWORD})
            statuses.append(r.status_code)
    assert statuses == [401, 401, 429]
    async with client_from("10.0.3.20") as c:
        statuses = []
        for i in range(4):
            r = await c.post("/api/v1/auth/login", json={"email": f"u{i}@example.vn", "password": "x"})
            statuses.append(r.status_code)
    assert statuses == [401, 401, 401, 429]


async def test_reports_limited_per_account_across_clients(
    client_from: Client, limited: Any, settings: Settings
) -> None:
    async with client_from("10.0.4.1") as c:
        # Its own address, so that signing in spends nothing of the report limits below.
        owner = await Actors(c, limited.state.sessionmaker, settings).resident("+84909000001")
    statuses = []
    for i in range(3):
        async with client_from(f"10.0.4.{10 + i}") as c:
            r = await c.post("/api/v1/reports", json=report_body(), headers=owner)
            statuses.append(r.status_code)
    assert statuses == [201, 201, 429]


async def test_reports_limited_per_client(client_from: Client) -> None:
    async with client_from("10.0.5.1") as a, client_from("10.0.5.2") as b:
        statuses = [(await a.post("/api/v1/reports", json=report_body())).status_code for _ in range(4)]
        assert statuses == [201, 201, 201, 429]
        assert (await b.post("/api/v1/reports", json=report_body())).status_code == 201


async def test_uploads_limited(client_from: Client) -> None:
    async with client_from("10.0.6.1") as a, client_from("10.0.6.2") as b:
        files = {"file": ("a.png", png_bytes(), "image/png")}
        statuses = [(await a.post("/api/v1/uploads", files=files)).status_code for _ in range(3)]
        assert statuses == [201, 201, 429]
        assert (await b.post("/api/v1/uploads", files=files)).status_code == 201


async def test_concurrent_burst_gets_429_never_5xx_and_others_are_served(client_from: Client) -> None:
    async with client_from("10.0.7.1") as noisy, client_from("10.0.7.2") as quiet:
        burst = [noisy.get("/api/v1/categories") for _ in range(80)]
        calm = [quiet.get("/api/v1/categories") for _ in range(10)]
        results = await asyncio.gather(*burst, *calm)
    noisy_codes = [r.status_code for r in results[:80]]
    quiet_codes = [r.status_code for r in results[80:]]
    assert noisy_codes.count(200) == 40 and noisy_codes.count(429) == 40
    assert quiet_codes == [200] * 10
    async with client_from("10.0.7.1") as noisy:
        # Probes are never limited, so a limited client cannot make an instance look dead.
        assert (await noisy.get("/healthz")).status_code == 200


async def test_unreachable_redis_lets_requests_through(settings: Settings) -> None:
    s = settings.model_copy(
        update={"rate_limits_enabled": True, "rate_limits": RULES, "redis_url": "redis://127.0.0.1:1/0"}
    )
    app = create_app(s, run_worker=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("10.0.8.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            statuses = [(await c.get("/api/v1/categories")).status_code for _ in range(5)]
    assert statuses == [200] * 5


def test_unknown_rule_is_refused(settings: Settings) -> None:
    with pytest.raises(ValueError, match="unknown rate limit"):
        create_app(settings.model_copy(update={"rate_limits": {"reprots_client": "1/minute"}}))


async def test_code_request_with_a_stale_token_is_still_served(client_from: Client) -> None:
    # Sign-in routes do not look at the caller; a leftover token must not turn them into 401s.
    async with client_from("10.0.9.1") as c:
        r = await c.post(
            "/api/v1/auth/code", json={"phone": "+84901555555"}, headers={"Authorization": "Bearer old"}
        )
    assert r.status_code == 202, r.text
