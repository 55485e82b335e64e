"""Web push with pywebpush against a real local HTTP push endpoint: the test plays the browser,
holding the subscription's private key, and decrypts what the push service received."""

from __future__ import annotations

import base64
import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import http_ece
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.models import Area, Delivery, PushSubscription
from congdan.outbox.relay import Relay
from tests.conftest import Actors, make_relay, submit
from tests.servers import HttpRecorder

Maker = async_sessionmaker[AsyncSession]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class Browser:
    """A push subscription as a browser makes one: its own key pair and auth secret."""

    def __init__(self, endpoint: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    def subscription(self) -> dict[str, Any]:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": _b64(point), "auth": _b64(self.auth)}}

    def read(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm")
        result: dict[str, Any] = json.loads(plain)
        return result


@pytest.fixture(scope="module")
def vapid_pem() -> str:
    vapid = Vapid02()
    vapid.generate_keys()
    return vapid.private_pem().decode()


@pytest.fixture
def wired(settings: Settings, vapid_pem: str) -> Settings:
    return settings.model_copy(update={"vapid_private_key": vapid_pem, "notify_max_attempts": 3})


@pytest.fixture
def worker(maker: Maker, wired: Settings) -> Relay:
    return make_relay(maker, wired)


async def _register(client: httpx.AsyncClient, headers: dict[str, str], browser: Browser) -> None:
    r = await client.post("/api/v1/me/push-subscriptions", json=browser.subscription(), headers=headers)
    assert r.status_code == 201, r.text


async def test_report_updates_arrive_encrypted_and_signed(
    client: httpx.AsyncClient, actors: Actors, worker: Relay, http_server: HttpRecorder, wired: Settings
) -> None:
    resident = await actors.resident()
    phone, tablet = Browser(f"{http_server.url}/push/phone"), Browser(f"{http_server.url}/push/tablet")
    await _register(client, resident, phone)
    await _register(client, resident, tablet)
    await worker.drain()  # the sign-in code went by SMS (the dev log)
    report = await submit(client, resident)
    await worker.drain()

    by_device: dict[str, list[dict[str, Any]]] = {"/push/phone": [], "/push/tablet": []}
    for request in http_server.requests:
        browser = phone if request.path == "/push/phone" else tablet
        by_device[request.path].append(browser.read(request.body))
        assert request.headers["Content-Encoding"] == "aes128gcm"
        assert request.headers["Urgency"] == "normal"
        assert request.headers["Authorization"].startswith("vapid t=")
    for messages in by_device.values():
        assert [m["title"] for m in messages] == [
            f"Đã nhận phản ánh {report['tracking_code']}",
            f"Cập nhật phản ánh {report['tracking_code']}",
        ]
    # The signing key is the one the app publishes for browsers to subscribe with.
    published = (await client.get("/api/v1/push/vapid-public-key")).json()["public_key"]
    assert published is None  # the test app itself has no VAPID key configured
    from congdan.integrations.push import load_vapid, public_key

    key = public_key(load_vapid(wired.vapid_private_key or ""))
    assert f"k={key}" in http_server.requests[0].headers["Authorization"]


async def test_gone_subscriptions_are_pruned_and_others_retried(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, worker: Relay, http_server: HttpRecorder
) -> None:
    resident = await actors.resident()
    await _register(client, resident, Browser(f"{http_server.url}/push/old"))
    await worker.drain()
    http_server.answers = [410, 503]  # received: the device is gone; assigned: the service is busy
    await submit(client, resident)
    await worker.drain()
    async with maker() as s:
        remaining = (await s.scalars(select(PushSubscription))).all()
        push = (await s.scalars(select(Delivery).where(Delivery.channel == "push"))).all()
    assert remaining == []
    assert sorted((d.status, d.attempts) for d in push) == [("failed", 1), ("rejected", 1)]
    assert any("410" in (d.provider_response or "") for d in push), [d.provider_response for d in push]


async def test_alerts_push_with_high_urgency_during_quiet_hours(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, worker: Relay, http_server: HttpRecorder
) -> None:
    async with maker() as s:
        unit = (await s.scalars(select(Area.code).limit(1))).one()
    manager = await actors.staff("agency_manager", "so_xay_dung")
    resident = await actors.resident()
    browser = Browser(f"{http_server.url}/push/{uuid.uuid4().hex}")
    await _register(client, resident, browser)
    local = datetime.now(UTC) + timedelta(hours=7)
    quiet = {
        "start": (local - timedelta(hours=1)).strftime("%H:%M"),
        "end": (local + timedelta(hours=1)).strftime("%H:%M"),
    }
    await client.put("/api/v1/me/notification-preferences", json={"quiet_hours": quiet}, headers=resident)
    await client.put("/api/v1/me/subscriptions", json={"units": [unit]}, headers=resident)
    await worker.drain()
    r = await client.post(
        "/api/v1/alerts",
        json={
            "alert_type": "road_closure",
            "title": "Cấm đường",
            "body": "Cấm xe đường Nguyễn Huệ.",
            "units": [unit],
        },
        headers=manager,
    )
    assert r.status_code == 201
    await worker.drain()
    [request] = http_server.requests
    assert request.headers["Urgency"] == "high"
    message = browser.read(request.body)
    assert message["title"] == "Cảnh báo khẩn cấp: Cấm đường" and message["urgent"] is True


async def test_push_subscription_api(client: httpx.AsyncClient, actors: Actors, maker: Maker) -> None:
    one, two = await actors.resident(), await actors.resident()
    browser = Browser("https://push.example.invalid/abc")
    await _register(client, one, browser)
    await _register(client, two, browser)  # the same device, now signed in as someone else
    async with maker() as s:
        rows = (await s.scalars(select(PushSubscription))).all()
    assert len(rows) == 1
    bad = await client.post(
        "/api/v1/me/push-subscriptions",
        json={"endpoint": "ftp://x", "keys": {"p256dh": "", "auth": ""}},
        headers=one,
    )
    assert bad.status_code == 422
    r = await client.delete(
        "/api/v1/me/push-subscriptions", params={"endpoint": browser.endpoint}, headers=one
    )
    assert r.status_code == 204
    async with maker() as s:
        assert len((await s.scalars(select(PushSubscription))).all()) == 1  # not theirs any more
    await client.delete("/api/v1/me/push-subscriptions", params={"endpoint": browser.endpoint}, headers=two)
    async with maker() as s:
        assert (await s.scalars(select(PushSubscription))).all() == []
    assert (
        await client.post("/api/v1/me/push-subscriptions", json=browser.subscription())
    ).status_code == 401
