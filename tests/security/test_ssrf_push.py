"""A resident cannot make the server POST to an address of their choosing through a web-push
subscription: endpoints must be https on public addresses (checked at registration and again,
on the very addresses connected to, at send time), optionally on known push services only, and
redirects are never followed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.app import create_app
from congdan.config import Settings
from congdan.integrations.push_endpoints import host_allowed
from congdan.models import Delivery, PushSubscription
from tests.conftest import Actors, make_relay, report_body
from tests.servers import HttpRecorder, listening_socket, port_of
from tests.test_push import Browser

Maker = async_sessionmaker[AsyncSession]


@pytest.fixture
def strict(settings: Settings) -> Settings:
    """The settings a production server runs with: no private push endpoints."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return settings.model_copy(
        update={"push_allow_private_endpoints": False, "vapid_private_key": pem, "notify_max_attempts": 3}
    )


@pytest_asyncio.fixture
async def strict_client(strict: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(strict, run_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as c,
    ):
        yield c


INTERNAL = [
    "https://127.0.0.1/push",
    "https://127.0.0.1:6379/",
    "https://localhost:8000/push",
    "https://10.0.0.5/push",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/push",
    "https://[::ffff:127.0.0.1]/push",
    "https://0.0.0.0/push",
    "https://no-such-host.invalid/push",
    "http://push.example.com/abc",
    "https://[::1/push",
    "https://push.example.com:99999/abc",
]


@pytest.mark.parametrize("endpoint", INTERNAL)
async def test_internal_endpoints_are_refused_at_registration(
    strict_client: httpx.AsyncClient, maker: Maker, strict: Settings, endpoint: str
) -> None:
    resident = await Actors(strict_client, maker, strict).resident()
    r = await strict_client.post(
        "/api/v1/me/push-subscriptions", json=Browser(endpoint).subscription(), headers=resident
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "endpoint"
    async with maker() as session:
        assert (await session.scalars(select(PushSubscription))).all() == []


async def test_only_allowed_push_services_when_listed(strict: Settings, maker: Maker) -> None:
    listed = strict.model_copy(update={"push_allowed_hosts": "fcm.googleapis.com, *.notify.windows.com"})
    app = create_app(listed, run_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as c,
    ):
        resident = await Actors(c, maker, listed).resident()
        r = await c.post(
            "/api/v1/me/push-subscriptions",
            json=Browser("https://push.attacker.example/abc").subscription(),
            headers={**resident, "Accept-Language": "en"},
        )
    assert r.status_code == 422
    assert "push service" in r.json()["errors"][0]["message"]
    allowed = ["fcm.googleapis.com", "wns2-par02p.notify.windows.com"]
    refused = ["notify.windows.com.attacker.example", "evilnotify.windows.com", "googleapis.com"]
    assert all(host_allowed(h, listed.push_allowed_host_list) for h in allowed)
    assert not any(host_allowed(h, listed.push_allowed_host_list) for h in refused)


async def _stored_subscription(
    maker: Maker, client: httpx.AsyncClient, settings: Settings, endpoint: str
) -> dict[str, str]:
    """A resident whose device row points at `endpoint`, as a row registered while the name still
    resolved to a public address (DNS rebinding), or before endpoints were checked."""
    resident = await Actors(client, maker, settings).resident()
    me = (await client.get("/api/v1/me", headers=resident)).json()
    keys = Browser(endpoint).subscription()["keys"]
    async with maker() as session, session.begin():
        session.add(
            PushSubscription(
                endpoint=endpoint, account_id=uuid.UUID(me["id"]), p256dh=keys["p256dh"], auth=keys["auth"]
            )
        )
    return resident


@pytest.mark.parametrize("form", ["http://127.0.0.1:{port}/push", "https://localhost:{port}/push"])
async def test_an_internal_endpoint_already_stored_is_not_reached_at_send_time(
    strict_client: httpx.AsyncClient, maker: Maker, strict: Settings, http_server: HttpRecorder, form: str
) -> None:
    port = http_server.url.rsplit(":", 1)[1]
    resident = await _stored_subscription(maker, strict_client, strict, form.format(port=port))
    r = await strict_client.post("/api/v1/reports", json=report_body(), headers=resident)
    assert r.status_code == 201, r.text
    await make_relay(maker, strict).drain()
    assert http_server.requests == []
    async with maker() as session:
        push = (await session.scalars(select(Delivery).where(Delivery.channel == "push"))).all()
        remaining = (await session.scalars(select(PushSubscription))).all()
    assert push and {d.status for d in push} == {"rejected"}
    assert all("refused endpoint" in (d.provider_response or "") for d in push)
    assert remaining == []  # forgotten, so it is not tried again


@pytest_asyncio.fixture
async def redirecting() -> AsyncIterator[dict[str, Any]]:
    """A push endpoint that answers with a redirect to an internal address."""
    seen: dict[str, Any] = {"internal": 0, "push": 0}

    async def push(request: web.Request) -> web.Response:
        seen["push"] += 1
        raise web.HTTPTemporaryRedirect(location=f"http://127.0.0.1:{seen['port']}/internal")

    async def internal(request: web.Request) -> web.Response:
        seen["internal"] += 1
        return web.Response(status=201)

    app = web.Application()
    app.router.add_post("/push", push)
    app.router.add_post("/internal", internal)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = listening_socket()
    seen["port"] = port_of(sock)
    await web.SockSite(runner, sock).start()
    try:
        yield seen
    finally:
        await runner.cleanup()


async def test_redirects_are_not_followed(
    client: httpx.AsyncClient, maker: Maker, settings: Settings, strict: Settings, redirecting: dict[str, Any]
) -> None:
    # Loopback is allowed here (the test's own push service), so only the redirect rule is tested.
    wired = strict.model_copy(update={"push_allow_private_endpoints": True})
    resident = await Actors(client, maker, settings).resident()
    r = await client.post(
        "/api/v1/me/push-subscriptions",
        json=Browser(f"http://127.0.0.1:{redirecting['port']}/push").subscription(),
        headers=resident,
    )
    assert r.status_code == 201, r.text
    assert (await client.post("/api/v1/reports", json=report_body(), headers=resident)).status_code == 201
    await make_relay(maker, wired).drain()
    assert redirecting["push"] >= 1
    assert redirecting["internal"] == 0
    async with maker() as session:
        push = (await session.scalars(select(Delivery).where(Delivery.channel == "push"))).all()
    assert push and {d.status for d in push} == {"rejected"}
