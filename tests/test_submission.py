"""Submitting reports: validation, routing, deadlines, tracking codes, nothing written on bad input."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.models import OutboxMessage, Report, ReportEvent
from congdan.reports.deadlines import add_working_days
from tests.conftest import BEN_THANH, Actors, report_body

PROBLEM = "application/problem+json"


async def _counts(maker: async_sessionmaker[AsyncSession]) -> tuple[int, int, int]:
    async with maker() as s:
        return (
            int(await s.scalar(select(func.count()).select_from(Report)) or 0),
            int(await s.scalar(select(func.count()).select_from(ReportEvent)) or 0),
            int(await s.scalar(select(func.count()).select_from(OutboxMessage)) or 0),
        )


async def test_city_level_category_goes_to_the_department(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/reports", json=report_body())
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/api/v1/reports/{body['id']}"
    assert body["status"] == "assigned"
    assert body["agency"]["code"] == "so_xay_dung"
    assert body["area"] == {"code": "26743", "name": "Phường Bến Thành", "approximate": True}
    assert body["category"]["code"] == "road_damage"
    assert body["visibility"] == "public" and body["is_mine"] is False


async def test_ward_level_category_goes_to_the_units_committee(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/reports", json=report_body(category="garbage", description="Rác ùn ứ đầu hẻm")
    )
    assert r.status_code == 201
    assert r.json()["agency"]["code"] == "ubnd_26743"


async def test_text_the_machine_cannot_place_waits_for_triage(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/reports", json=report_body(category=None, description="xyz qwerty 123"))
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "triage" and body["agency"] is None


async def test_address_only_is_accepted_and_located(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/reports",
        json={
            "category": "garbage",
            "description": "Rác tràn ra đường",
            "address": "12 Lê Lợi, phuong Ben Thanh, TP HCM",
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["location"] is None
    assert body["area"]["code"] == "26743"
    assert body["agency"]["code"] == "ubnd_26743"


async def test_suggestion_needs_no_location(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/reports", json={"kind": "suggestion", "description": "Nên kéo dài giờ làm việc thứ Bảy."}
    )
    assert r.status_code == 201
    assert r.json()["kind"] == "suggestion"


async def test_tracking_code_is_readable_and_random(client: httpx.AsyncClient) -> None:
    codes = set()
    for _ in range(5):
        r = await client.post("/api/v1/reports", json=report_body())
        code = r.json()["tracking_code"]
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", code)
        codes.add(code)
    assert len(codes) == 5
    found = await client.get(f"/api/v1/reports/by-code/{code.lower().replace('-', ' ')}")
    assert found.status_code == 200 and found.json()["tracking_code"] == code
    assert (await client.get("/api/v1/reports/by-code/AAAAA-AAAAA")).status_code == 404


async def test_due_date_counts_working_days(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/reports", json=report_body(category="water_supply"))
    body = r.json()
    created = datetime.fromisoformat(body["created_at"])
    assert datetime.fromisoformat(body["due_at"]) == add_working_days(created, 2)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (report_body(description=""), "description"),
        (report_body(description="x" * 4001), "description"),
        (report_body(description="   \u0000  "), "description"),
        (report_body(location={"lat": 21.0285, "long": 105.8542}), "location"),  # Hà Nội
        (report_body(location={"lat": 95, "long": 106.7}), "location.lat"),
        (report_body(location={"lat": "north", "long": 106.7}), "location.lat"),
        (report_body(category="potholes"), "category"),
        (report_body(kind="complaint"), "kind"),
        (report_body(visibility="secret"), "visibility"),
        (report_body(location=None), "location"),
        (report_body(photos=["not-a-uuid"]), "photos.0"),
        (report_body(photos=["01a22bd7-f206-7cf3-9dea-fa03aedaa9ca"]), "photos"),
        (report_body(contact={"phone": "12"}), "contact.phone"),
        (report_body(contact={"email": "not-an-email"}), "contact.email"),
        (report_body(unexpected=True), "unexpected"),
    ],
)
async def test_bad_input_is_a_clear_422_and_writes_nothing(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], body: dict[str, object], field: str
) -> None:
    before = await _counts(maker)
    r = await client.post("/api/v1/reports", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    problem = r.json()
    assert problem["status"] == 422 and problem["type"].startswith("/problems/")
    assert field in [e["field"] for e in problem["errors"]]
    assert all(e["message"] for e in problem["errors"])
    assert await _counts(maker) == before


async def test_malformed_json_and_wrong_content_are_4xx(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/reports", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    r = await client.post("/api/v1/reports", json=[1, 2, 3])
    assert r.status_code == 422


async def test_oversized_body_is_413_and_writes_nothing(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
) -> None:
    before = await _counts(maker)
    big = report_body(description="a" * (13 * 1024 * 1024))
    r = await client.post("/api/v1/reports", json=big)
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM
    assert await _counts(maker) == before


async def test_errors_speak_the_callers_language(client: httpx.AsyncClient) -> None:
    vi = (
        await client.post("/api/v1/reports", json=report_body(location={"lat": 21.0, "long": 105.8}))
    ).json()
    en = (
        await client.post(
            "/api/v1/reports",
            json=report_body(location={"lat": 21.0, "long": 105.8}),
            headers={"Accept-Language": "en-US,en;q=0.9"},
        )
    ).json()
    assert vi["title"] == "Dữ liệu gửi lên không hợp lệ"
    assert en["title"] == "The submitted data is not valid"
    assert "Thành phố Hồ Chí Minh" in vi["errors"][0]["message"]
    assert "Ho Chi Minh City" in en["errors"][0]["message"]


async def test_submission_writes_events_and_outbox_in_one_go(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
) -> None:
    r = await client.post("/api/v1/reports", json=report_body())
    report_id = r.json()["id"]
    async with maker() as s:
        events = (await s.scalars(select(ReportEvent).order_by(ReportEvent.created_at, ReportEvent.id))).all()
        outbox = (await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [(e.from_status, e.to_status) for e in events] == [(None, "submitted"), ("submitted", "assigned")]
    assert [m.event_type for m in outbox] == ["report.submitted", "report.status_changed"]
    assert all(m.aggregate_id == report_id for m in outbox)


async def test_signed_in_resident_owns_the_report(client: httpx.AsyncClient, actors: Actors) -> None:
    me = await actors.resident()
    r = await client.post("/api/v1/reports", json=report_body(visibility="private"), headers=me)
    assert r.status_code == 201
    assert r.json()["is_mine"] is True
    mine = await client.get("/api/v1/reports?mine=true", headers=me)
    assert [i["id"] for i in mine.json()["items"]] == [r.json()["id"]]


async def test_point_on_the_city_edge_islands_is_inside(client: httpx.AsyncClient) -> None:
    # Côn Đảo special zone, 230 km out at sea, is part of the city since 2025.
    r = await client.post("/api/v1/reports", json=report_body(location={"lat": 8.6826, "long": 106.6092}))
    assert r.status_code == 201, r.text
    assert r.json()["area"]["name"] == "Đặc khu Côn Đảo"


async def test_same_point_near_ben_thanh_is_not_outside(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/reports", json=report_body(location=BEN_THANH))
    assert r.status_code == 201


async def test_a_tracking_code_already_taken_asks_to_send_again_and_the_retry_goes_through(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await client.post("/api/v1/reports", json=report_body())
    assert first.status_code == 201
    taken = first.json()["tracking_code"]
    before = await _counts(maker)
    # The draw repeats a code in use (one chance in 2^50 per report already made, forced here).
    monkeypatch.setattr("congdan.reports.submission.tracking_code", lambda: taken)
    key = {"Idempotency-Key": "thu-lai-ma-theo-doi-1"}
    r = await client.post("/api/v1/reports", json=report_body(), headers=key)
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.headers["retry-after"] == "1"
    assert await _counts(maker) == before  # nothing written, nothing announced
    monkeypatch.undo()
    again = await client.post("/api/v1/reports", json=report_body(), headers=key)
    assert again.status_code == 201, again.text
    assert again.json()["tracking_code"] != taken
    assert "idempotent-replayed" not in again.headers
