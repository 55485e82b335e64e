"""Whoever holds a private report's tracking code (read out on the phone, written on a note) asks
the API for it by code and gets the description, exact location, address and photos."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.models import OutboxMessage
from tests.conftest import Actors, jpeg_with_gps, submit

SECRET = "Hàng xóm số 12 Nguyễn Huệ đổ trộm phế thải mỗi đêm"
ADDRESS = "12 Nguyễn Huệ, Bến Nghé"
PHONE = "0903123499"
PRIVATE_FIELDS = ("description", "location", "address", "photos", "contact", "category", "area")


async def _photo(client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> str:
    r = await client.post(
        "/api/v1/uploads", files={"file": ("a.jpg", jpeg_with_gps(), "image/jpeg")}, headers=headers or {}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _private(
    client: httpx.AsyncClient, actors: Actors, headers: dict[str, str] | None = None, **extra: Any
) -> tuple[dict[str, Any], str]:
    report = await submit(
        client,
        headers,
        description=SECRET,
        address=ADDRESS,
        photos=[await _photo(client, headers)],
        visibility="private",
        **extra,
    )
    officer = await actors.staff("agency_officer", report["agency"]["code"])
    reply_photo = await _photo(client, officer)
    r = await client.post(
        f"/api/v1/reports/{report['id']}/replies",
        json={"message": "Đã cử người kiểm tra.", "photos": [reply_photo]},
        headers=officer,
    )
    assert r.status_code == 201, r.text
    return report, officer["Authorization"]


def _assert_short(body: dict[str, Any], report: dict[str, Any]) -> None:
    assert body["tracking_code"] == report["tracking_code"] and body["visibility"] == "private"
    assert body["status"] == report["status"] and body["agency"]["code"] == report["agency"]["code"]
    assert "due_at" in body
    assert [e["note"] for e in body["replies"]] == ["Đã cử người kiểm tra."]
    assert all(e["photos"] == [] for e in body["replies"])
    for name in (*PRIVATE_FIELDS, "id"):
        assert name not in body


async def test_the_code_alone_shows_status_agency_deadline_and_replies(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    owner = await actors.resident()
    report, officer = await _private(client, actors, owner)
    url = f"/api/v1/reports/by-code/{report['tracking_code'].lower()}"
    stranger = await actors.resident()
    other = "so_y_te" if report["agency"]["code"] != "so_y_te" else "so_xay_dung"
    other_officer = await actors.staff("agency_officer", other)
    for who in ({}, stranger, other_officer):
        r = await client.get(url, headers=who)
        assert r.status_code == 200, r.text
        assert SECRET not in r.text and "Nguyễn Huệ" not in r.text and "/media/" not in r.text
        _assert_short(r.json(), report)
    # The reporter's account and staff who may see it get the full report.
    for who in (owner, {"Authorization": officer}, await actors.staff("coordinator")):
        full = (await client.get(url, headers=who)).json()
        assert full["description"] == SECRET and full["address"] == ADDRESS and full["photos"]
    # A public report is public in full, by code as by id.
    public = await submit(client, description="Ổ gà trước chợ Bến Thành")
    body = (await client.get(f"/api/v1/reports/by-code/{public['tracking_code']}")).json()
    assert body["description"] == "Ổ gà trước chợ Bến Thành" and body["id"] == public["id"]


async def test_the_proven_reporter_sees_it_in_full(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    report, _officer = await _private(client, actors, contact={"phone": PHONE})
    code = report["tracking_code"]
    asked = await client.post(f"/api/v1/reports/by-code/{code}/proof", json={"contact": PHONE})
    assert asked.status_code == 202, asked.text
    async with maker() as s:
        stmt = select(OutboxMessage).where(OutboxMessage.event_type == "auth.code_requested")
        one_time = (await s.scalars(stmt.order_by(OutboxMessage.id.desc()))).first()
    assert one_time is not None
    answer = {"contact": PHONE, "code": one_time.payload["code"]}
    r = await client.post(f"/api/v1/reports/by-code/{code}/proof/verify", json=answer)
    assert r.status_code == 200, r.text
    proven = {"Authorization": f"Bearer {r.json()['access_token']}"}
    full = (await client.get(f"/api/v1/reports/by-code/{code}", headers=proven)).json()
    assert full["description"] == SECRET and full["contact"]["phone"] == "+84903123499"
    _assert_short((await client.get(f"/api/v1/reports/by-code/{code}")).json(), report)


async def test_open311_does_not_open_private_reports_by_token_or_id(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    report, _officer = await _private(client, actors)
    for path in (f"tokens/{report['tracking_code']}", f"requests/{report['id']}"):
        for fmt in ("json", "xml"):
            r = await client.get(f"/open311/v2/{path}.{fmt}")
            assert r.status_code == 404, (path, fmt, r.text)
            assert SECRET not in r.text and ADDRESS not in r.text
