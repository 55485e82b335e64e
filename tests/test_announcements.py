"""Announcements and emergency alerts: publishing, scheduling, targeting, attachments, the public page
and Atom feed, subscriptions, and alerts that override quiet hours and report their progress."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.db import utcnow
from congdan.models import Announcement, Area, Notification, OutboxMessage
from congdan.outbox import repository as outbox_repository
from congdan.outbox.relay import Relay
from congdan.outbox.service import emit
from tests.conftest import Actors, make_relay
from tests.servers import HttpRecorder

Maker = async_sessionmaker[AsyncSession]
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
async def units(maker: Maker) -> list[str]:
    async with maker() as s:
        return list((await s.scalars(select(Area.code).order_by(Area.code).limit(3))).all())


@pytest.fixture
def wired(settings: Settings, http_server: HttpRecorder) -> Settings:
    return settings.model_copy(update={"sms_gateway_url": f"{http_server.url}/sms", "alert_batch_size": 2})


@pytest.fixture
def worker(maker: Maker, wired: Settings) -> Relay:
    return make_relay(maker, wired)


async def _me(client: httpx.AsyncClient, headers: dict[str, str]) -> uuid.UUID:
    return uuid.UUID((await client.get("/api/v1/me", headers=headers)).json()["id"])


async def _publish(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    data = {"title": "Sửa chữa đường Lê Lợi", "body": "Cấm xe từ 22 giờ đến 5 giờ sáng."} | body
    for key in ("publish_at", "expires_at"):
        if isinstance(data.get(key), datetime):
            data[key] = data[key].isoformat()
    return await client.post("/api/v1/announcements", json=data, headers=headers)


async def _titles(client: httpx.AsyncClient, **params: str) -> list[str]:
    r = await client.get("/api/v1/announcements", params=params)
    assert r.status_code == 200, r.text
    return [i["title"] for i in r.json()["items"]]


async def _inbox_titles(maker: Maker, account_id: uuid.UUID) -> list[str]:
    async with maker() as s:
        stmt = (
            select(Notification.title).where(Notification.account_id == account_id).order_by(Notification.id)
        )
        return list((await s.scalars(stmt)).all())


async def _subscribe(client: httpx.AsyncClient, headers: dict[str, str], **body: list[str]) -> httpx.Response:
    return await client.put("/api/v1/me/subscriptions", json=body, headers=headers)


async def test_who_may_publish_and_alert(client: httpx.AsyncClient, actors: Actors) -> None:
    officer = await actors.staff("agency_officer", "so_xay_dung")
    manager = await actors.staff("agency_manager", "so_xay_dung")
    resident = await actors.resident()
    assert (await _publish(client, {})).status_code == 401
    assert (await _publish(client, resident)).status_code == 403
    assert (await _publish(client, officer, agency="so_y_te")).status_code == 403
    r = await _publish(client, officer)
    assert r.status_code == 201 and r.json()["agency"] == "so_xay_dung"
    alert = {"alert_type": "water_cut", "title": "Cắt nước", "body": "Cắt nước 8 giờ."}
    assert (await client.post("/api/v1/alerts", json=alert, headers=officer)).status_code == 403
    assert (await client.post("/api/v1/alerts", json=alert, headers=manager)).status_code == 201
    bad = await client.post("/api/v1/alerts", json={**alert, "alert_type": "ufo"}, headers=manager)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "alert_type"


async def test_scheduled_publication_and_expiry(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, worker: Relay, units: list[str]
) -> None:
    officer = await actors.staff("agency_officer", "so_xay_dung")
    resident = await actors.resident()
    assert (await _subscribe(client, resident, units=[units[0]])).status_code == 200
    later = utcnow() + timedelta(hours=3)
    r = await _publish(
        client, officer, title="Thông báo hẹn giờ", scope="units", units=[units[0]], publish_at=later
    )
    assert r.status_code == 201
    aid = r.json()["id"]
    assert await _titles(client) == []
    assert (await client.get(f"/api/v1/announcements/{aid}")).status_code == 404
    await worker.drain()
    me = await _me(client, resident)
    assert await _inbox_titles(maker, me) == []  # not before its time

    async with maker() as s, s.begin():  # the time comes
        await s.execute(update(Announcement).values(publish_at=utcnow() - timedelta(seconds=1)))
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.event_type == "announcement.fanout")
            .values(available_at=utcnow() - timedelta(seconds=1))
        )
    assert await _titles(client) == ["Thông báo hẹn giờ"]
    await worker.drain()
    assert await _inbox_titles(maker, me) == ["Thông báo mới: Thông báo hẹn giờ"]

    async with maker() as s, s.begin():  # and passes
        await s.execute(update(Announcement).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert await _titles(client) == []
    bad = await _publish(client, officer, publish_at=later, expires_at=later - timedelta(hours=1))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "expires_at"


async def test_targeting_by_units_and_topic(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, worker: Relay, units: list[str]
) -> None:
    officer = await actors.staff("agency_officer", "so_xay_dung")
    here, there = await actors.resident(), await actors.resident()
    reader = await actors.resident()
    await _subscribe(client, here, units=[units[0]])
    await _subscribe(client, there, units=[units[1]])
    await _subscribe(client, reader, topics=["traffic"])
    await _publish(client, officer, title="Toàn thành phố")
    await _publish(client, officer, title="Riêng phường A", scope="units", units=[units[0]])
    await _publish(client, officer, title="Giao thông", scope="topic", topic="traffic")
    assert sorted(await _titles(client, unit=units[0])) == ["Giao thông", "Riêng phường A", "Toàn thành phố"]
    assert sorted(await _titles(client, unit=units[1])) == ["Giao thông", "Toàn thành phố"]
    assert await _titles(client, topic="traffic") == ["Giao thông"]
    await worker.drain()
    assert await _inbox_titles(maker, await _me(client, here)) == ["Thông báo mới: Riêng phường A"]
    assert await _inbox_titles(maker, await _me(client, there)) == []
    assert await _inbox_titles(maker, await _me(client, reader)) == ["Thông báo mới: Giao thông"]
    bad = await _publish(client, officer, scope="units", units=["khong-co"])
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "units"


async def test_withdrawn_news_leaves_the_feed(client: httpx.AsyncClient, actors: Actors) -> None:
    officer = await actors.staff("agency_officer", "so_xay_dung")
    other = await actors.staff("agency_officer", "so_y_te")
    aid = (await _publish(client, officer)).json()["id"]
    assert (await client.post(f"/api/v1/announcements/{aid}/withdraw", headers=other)).status_code == 403
    r = await client.post(f"/api/v1/announcements/{aid}/withdraw", headers=officer)
    assert r.status_code == 200 and r.json()["withdrawn"] is True
    assert await _titles(client) == []


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def test_attachments_are_typed_by_content(client: httpx.AsyncClient, actors: Actors) -> None:
    officer = await actors.staff("agency_officer", "so_xay_dung")
    aid = (await _publish(client, officer)).json()["id"]
    r = await client.post(
        f"/api/v1/announcements/{aid}/attachments",
        files={"file": ("../../Lịch cấm đường.pdf", PDF, "text/plain")},
        headers=officer,
    )
    assert r.status_code == 201, r.text
    attachment = r.json()
    assert attachment["content_type"] == "application/pdf" and "/" not in attachment["filename"]
    download = await client.get(attachment["url"])
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    fake = await client.post(
        f"/api/v1/announcements/{aid}/attachments",
        files={"file": ("virus.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
        headers=officer,
    )
    assert fake.status_code == 415
    listed = (await client.get(f"/api/v1/announcements/{aid}")).json()
    assert [a["id"] for a in listed["attachments"]] == [attachment["id"]]
    resident = await actors.resident()
    denied = await client.post(
        f"/api/v1/announcements/{aid}/attachments", files={"file": ("a.pdf", PDF)}, headers=resident
    )
    assert denied.status_code == 403


async def test_public_page_and_atom_feed(client: httpx.AsyncClient, actors: Actors) -> None:
    officer = await actors.staff("agency_officer", "so_xay_dung")
    first = (await _publish(client, officer, title="Tin thứ nhất", topic="traffic")).json()
    await _publish(client, officer, title="Tin thứ hai <b>đậm</b>")
    await client.post(
        f"/api/v1/announcements/{first['id']}/attachments", files={"file": ("lich.pdf", PDF)}, headers=officer
    )
    page = await client.get("/tin-tuc")
    assert page.status_code == 200 and "Tin tức và thông báo" in page.text
    assert "Tin thứ nhất" in page.text and "&lt;b&gt;đậm&lt;/b&gt;" in page.text  # escaped
    assert page.text.index("Tin thứ hai") < page.text.index("Tin thứ nhất")  # newest first
    english = await client.get("/tin-tuc", headers={"Accept-Language": "en"})
    assert "News and notices" in english.text
    item = await client.get(f"/tin-tuc/{first['id']}")
    assert item.status_code == 200 and "lich.pdf" in item.text and "Giao thông" in item.text
    assert (await client.get(f"/tin-tuc/{uuid.uuid4()}")).status_code == 404
    atom = await client.get("/tin-tuc/atom.xml")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(atom.content)
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert titles == ["Tin thứ hai <b>đậm</b>", "Tin thứ nhất"]
    assert root.findall(f"{ATOM}entry")[1].find(f"{ATOM}category").get("term") == "traffic"  # type: ignore[union-attr]


async def test_subscriptions_api(client: httpx.AsyncClient, actors: Actors, units: list[str]) -> None:
    resident = await actors.resident()
    r = await _subscribe(client, resident, units=[units[1], units[0], units[0]], topics=["health"])
    assert r.status_code == 200 and r.json() == {"units": sorted(units[:2]), "topics": ["health"]}
    assert (await client.get("/api/v1/me/subscriptions", headers=resident)).json() == r.json()
    bad = await _subscribe(client, resident, topics=["khong-co"])
    assert bad.status_code == 422
    assert (await client.get("/api/v1/me/subscriptions")).status_code == 401
    topics = (await client.get("/api/v1/announcement-topics", headers={"Accept-Language": "en"})).json()
    assert {"code": "traffic", "name": "Traffic"} in topics


async def test_emergency_alert_reaches_everyone_in_the_units_despite_quiet_hours(
    client: httpx.AsyncClient,
    actors: Actors,
    maker: Maker,
    worker: Relay,
    http_server: HttpRecorder,
    units: list[str],
) -> None:
    manager = await actors.staff("agency_manager", "so_xay_dung")
    inside = [await actors.resident() for _ in range(5)]
    outside = await actors.resident()
    local_now = datetime.now(UTC) + timedelta(hours=7)
    quiet = {
        "start": (local_now - timedelta(hours=1)).strftime("%H:%M"),
        "end": (local_now + timedelta(hours=1)).strftime("%H:%M"),
    }
    for headers in inside:
        await _subscribe(client, headers, units=[units[0]])
        # Quiet hours now, and SMS off: an alert comes through all the same.
        await client.put("/api/v1/me/notification-preferences", json={"quiet_hours": quiet}, headers=headers)
    await _subscribe(client, outside, units=[units[1]])
    await worker.drain()
    http_server.requests.clear()  # sign-in codes

    r = await client.post(
        "/api/v1/alerts",
        json={
            "alert_type": "flood_tide",
            "title": "Triều cường",
            "body": "Nước dâng 1,8 m lúc 17 giờ.",
            "units": [units[0]],
        },
        headers=manager,
    )
    assert r.status_code == 201
    aid = r.json()["id"]
    before = (await client.get(f"/api/v1/alerts/{aid}/progress", headers=manager)).json()
    assert before["fanned_out"] is False and before["queued"] == 0
    await worker.drain()

    phones = sorted(req.json()["to"] for req in http_server.requests)
    inside_phones = sorted([(await client.get("/api/v1/me", headers=h)).json()["phone"] for h in inside])
    assert phones == inside_phones
    assert all("Canh bao khan" in req.json()["text"] for req in http_server.requests)
    for headers in inside:
        assert await _inbox_titles(maker, await _me(client, headers)) == ["Cảnh báo khẩn cấp: Triều cường"]
    assert await _inbox_titles(maker, await _me(client, outside)) == []
    async with maker() as s:
        batches = (
            await s.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "announcement.fanout"))
        ).all()
    assert len(batches) == 3  # five residents, two per batch

    progress = (await client.get(f"/api/v1/alerts/{aid}/progress", headers=manager)).json()
    assert progress["fanned_out"] is True and progress["pending"] == 0
    assert progress["by_status"] == {"sent": 5, "delivered": 5} and progress["queued"] == 10
    resident = inside[0]
    assert (await client.get(f"/api/v1/alerts/{aid}/progress", headers=resident)).status_code == 403
    assert "Triều cường" in (await client.get("/tin-tuc")).text


async def test_progress_counts_failures(
    client: httpx.AsyncClient, actors: Actors, worker: Relay, http_server: HttpRecorder, units: list[str]
) -> None:
    coordinator = await actors.staff("coordinator")
    for _ in range(2):
        await _subscribe(client, await actors.resident(), units=[units[2]])
    await worker.drain()
    http_server.status = 503
    r = await client.post(
        "/api/v1/alerts",
        json={"alert_type": "storm", "title": "Bão số 9", "body": "Tránh ra đường.", "units": [units[2]]},
        headers=coordinator,
    )
    await worker.drain()
    progress = (await client.get(f"/api/v1/alerts/{r.json()['id']}/progress", headers=coordinator)).json()
    assert progress["by_status"] == {"failed": 2, "delivered": 2} and progress["pending"] == 2


async def test_urgent_rows_are_claimed_first(maker: Maker) -> None:
    async with maker() as s, s.begin():
        ordinary = [
            emit(s, "test.none", aggregate_type="t", aggregate_id=str(n), payload={}) for n in range(5)
        ]
        urgent = emit(s, "test.none", aggregate_type="t", aggregate_id="u", payload={})
        urgent.priority = 10
        await s.flush()
    now = utcnow()
    async with maker() as s, s.begin():
        claimed = await outbox_repository.claim(
            s, worker_id="w", now=now, lease_until=now + timedelta(seconds=30), limit=2
        )
    assert claimed == [urgent.id, ordinary[0].id]
