"""The status machine: every allowed move by the right role, every other move refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.db import utcnow
from congdan.models import OutboxMessage, Report, ReportEvent
from congdan.reports.states import TRANSITIONS, Status, label
from tests.conftest import Actors
from tests.conftest import submit as _submit

DISALLOWED = [(s, t) for s in Status for t in Status if t not in TRANSITIONS[s]]


async def _force(
    maker: async_sessionmaker[AsyncSession], report_id: str, status: Status, **values: Any
) -> None:
    import uuid

    async with maker() as s, s.begin():
        await s.execute(
            update(Report).where(Report.id == uuid.UUID(report_id)).values(status=status.value, **values)
        )


async def _move(
    client: httpx.AsyncClient, report_id: str, headers: dict[str, str], to: str, **kw: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/reports/{report_id}/transitions", json={"to": to, **kw}, headers=headers
    )


@pytest.mark.parametrize(("current", "target"), DISALLOWED, ids=[f"{s}->{t}" for s, t in DISALLOWED])
async def test_every_disallowed_transition_is_409(
    client: httpx.AsyncClient,
    actors: Actors,
    maker: async_sessionmaker[AsyncSession],
    current: Status,
    target: Status,
) -> None:
    coordinator = await actors.staff("coordinator")
    report = await _submit(client)
    await _force(maker, report["id"], current)
    async with maker() as s:
        events_before = len((await s.scalars(select(ReportEvent))).all())
    r = await _move(client, report["id"], coordinator, target.value, note="lý do", agency="so_xay_dung")
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["type"] == "/problems/invalid-transition"
    # The statuses are named in residents' words, never by their codes.
    assert f"«{label(current)}»" in problem["detail"] and f"«{label(target)}»" in problem["detail"]
    async with maker() as s:
        assert len((await s.scalars(select(ReportEvent))).all()) == events_before
        assert (await s.get(Report, __import__("uuid").UUID(report["id"]))).status == current.value  # type: ignore[union-attr]


async def test_full_lifecycle_with_events_and_outbox(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    resident = await actors.resident()
    officer = await actors.staff("agency_officer", "so_xay_dung")
    report = await _submit(client, resident)
    rid = report["id"]
    assert report["status"] == "assigned"

    r = await _move(client, rid, officer, "in_progress", note="Đã cử đội kiểm tra.")
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = await client.post(
        f"/api/v1/reports/{rid}/notes", json={"note": "Cần xe lu, báo đội 3"}, headers=officer
    )
    assert r.status_code == 201 and r.json()["public"] is False
    r = await client.post(
        f"/api/v1/reports/{rid}/replies", json={"message": "Sẽ vá trong tuần."}, headers=officer
    )
    assert r.status_code == 201 and r.json()["public"] is True
    r = await _move(client, rid, officer, "resolved", note="Đã vá xong.")
    assert r.status_code == 200 and r.json()["resolved_at"] is not None
    r = await client.post(
        f"/api/v1/reports/{rid}/rating", json={"score": 5, "comment": "Nhanh"}, headers=resident
    )
    assert r.status_code == 200 and r.json()["rating"] == 5
    r = await _move(client, rid, resident, "closed")
    assert r.status_code == 200 and r.json()["closed_at"] is not None

    public_events = (await client.get(f"/api/v1/reports/{rid}/events")).json()["items"]
    assert all(e["public"] for e in public_events)
    assert "Cần xe lu, báo đội 3" not in str(public_events)
    reporter_events = (await client.get(f"/api/v1/reports/{rid}/events", headers=resident)).json()["items"]
    assert "Cần xe lu, báo đội 3" not in str(reporter_events)
    staff_events = (await client.get(f"/api/v1/reports/{rid}/events", headers=officer)).json()["items"]
    assert "Cần xe lu, báo đội 3" in str(staff_events)
    statuses = [(e["from_status"], e["to_status"]) for e in staff_events if e["type"] == "status"]
    assert statuses == [
        (None, "submitted"),
        ("submitted", "assigned"),
        ("assigned", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
    ]
    async with maker() as s:
        changes = (
            await s.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "report.status_changed"))
        ).all()
    assert sorted(str(m.payload["to"]) for m in changes) == sorted(
        ["assigned", "in_progress", "resolved", "closed"]
    )


async def test_transfer_then_coordinator_reassigns(client: httpx.AsyncClient, actors: Actors) -> None:
    officer = await actors.staff("agency_officer", "so_xay_dung")
    coordinator = await actors.staff("coordinator")
    rid = (await _submit(client))["id"]
    assert (await _move(client, rid, officer, "transferred")).status_code == 422  # a note is required
    r = await _move(client, rid, officer, "transferred", note="Thuộc thẩm quyền phường")
    assert r.json()["status"] == "transferred"
    assert (await _move(client, rid, coordinator, "assigned")).status_code == 422  # an agency is required
    assert (await _move(client, rid, coordinator, "assigned", agency="no_such_agency")).status_code == 422
    r = await _move(client, rid, coordinator, "assigned", agency="ubnd_26743")
    assert r.status_code == 200 and r.json()["agency"]["code"] == "ubnd_26743"
    # The first agency no longer handles it.
    assert (await _move(client, rid, officer, "in_progress")).status_code == 403


async def test_wrong_roles_are_403(client: httpx.AsyncClient, actors: Actors) -> None:
    resident = await actors.resident()
    other_agency = await actors.staff("agency_officer", "sawaco")
    officer = await actors.staff("agency_officer", "so_xay_dung")
    rid = (await _submit(client, resident))["id"]
    for who in (resident, other_agency):
        r = await _move(client, rid, who, "in_progress")
        assert r.status_code == 403 and r.json()["type"] == "/problems/forbidden"
    assert (await _move(client, rid, officer, "assigned", agency="sawaco")).status_code == 403
    assert (
        await client.post(f"/api/v1/reports/{rid}/notes", json={"note": "x"}, headers=resident)
    ).status_code == 403
    r = await client.post(f"/api/v1/reports/{rid}/replies", json={"message": "x"}, headers=other_agency)
    assert r.status_code == 403
    assert (await _move(client, rid, {}, "in_progress")).status_code == 401


async def test_reopen_within_seven_days_only_by_reporter(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    resident = await actors.resident()
    coordinator = await actors.staff("coordinator")
    officer = await actors.staff("agency_officer", "so_xay_dung")
    rid = (await _submit(client, resident))["id"]
    await _move(client, rid, officer, "in_progress")
    await _move(client, rid, officer, "resolved", note="Xong")
    assert (await _move(client, rid, coordinator, "reopened", note="x")).status_code == 403
    assert (await _move(client, rid, resident, "reopened")).status_code == 422  # says why
    r = await _move(client, rid, resident, "reopened", note="Vẫn còn ổ gà")
    assert r.status_code == 200 and r.json()["status"] == "reopened"
    r = await _move(client, rid, coordinator, "assigned")  # goes back to the agency that had it
    assert r.status_code == 200 and r.json()["agency"]["code"] == "so_xay_dung"
    await _move(client, rid, officer, "in_progress")
    await _move(client, rid, officer, "resolved", note="Xong lần 2")
    await _force(maker, rid, Status.RESOLVED, resolved_at=utcnow() - timedelta(days=7, minutes=1))
    r = await _move(client, rid, resident, "reopened", note="Lại hỏng")
    assert r.status_code == 409 and "7" in r.json()["detail"]


async def test_rating_rules(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    resident = await actors.resident()
    stranger = await actors.resident()
    rid = (await _submit(client, resident))["id"]
    r = await client.post(f"/api/v1/reports/{rid}/rating", json={"score": 4}, headers=resident)
    assert r.status_code == 409  # not resolved yet
    await _force(maker, rid, Status.RESOLVED, resolved_at=utcnow())
    for bad in (0, 6, "five"):
        r = await client.post(f"/api/v1/reports/{rid}/rating", json={"score": bad}, headers=resident)
        assert r.status_code == 422
    assert (
        await client.post(f"/api/v1/reports/{rid}/rating", json={"score": 4}, headers=stranger)
    ).status_code == 403
    assert (
        await client.post(f"/api/v1/reports/{rid}/rating", json={"score": 4}, headers=resident)
    ).status_code == 200
    r = await client.post(f"/api/v1/reports/{rid}/rating", json={"score": 1}, headers=resident)
    assert r.status_code == 409


async def test_duplicates_link_to_the_original_chain(client: httpx.AsyncClient, actors: Actors) -> None:
    coordinator = await actors.staff("coordinator")
    first = (await _submit(client))["id"]
    second = (await _submit(client))["id"]
    third = (await _submit(client))["id"]
    assert (await _move(client, second, coordinator, "duplicate")).status_code == 422
    assert (await _move(client, second, coordinator, "duplicate", duplicate_of=second)).status_code == 422
    r = await _move(client, second, coordinator, "duplicate", duplicate_of=first)
    assert r.status_code == 200 and r.json()["duplicate_of"] == first
    # Pointing at a duplicate follows it to the report that is actually handled.
    r = await _move(client, third, coordinator, "duplicate", duplicate_of=second)
    assert r.json()["duplicate_of"] == first
    assert (await _move(client, second, coordinator, "assigned", agency="sawaco")).status_code == 409


async def test_reassigning_to_the_same_agency_is_refused(client: httpx.AsyncClient, actors: Actors) -> None:
    coordinator = await actors.staff("coordinator")
    rid = (await _submit(client))["id"]
    assert (await _move(client, rid, coordinator, "assigned", agency="so_xay_dung")).status_code == 409
    r = await _move(client, rid, coordinator, "assigned", agency="sawaco")
    assert r.status_code == 200 and r.json()["agency"]["code"] == "sawaco"


async def test_agency_reply_with_evidence_photos_is_public(client: httpx.AsyncClient, actors: Actors) -> None:
    from tests.conftest import jpeg_with_gps

    officer = await actors.staff("agency_officer", "so_xay_dung")
    rid = (await _submit(client))["id"]
    up = await client.post(
        "/api/v1/uploads", files={"file": ("a.jpg", jpeg_with_gps(), "image/jpeg")}, headers=officer
    )
    assert up.status_code == 201
    await _move(client, rid, officer, "in_progress")
    r = await _move(client, rid, officer, "resolved", note="Đã sửa, ảnh kèm theo", photos=[up.json()["id"]])
    assert r.status_code == 200
    events = (await client.get(f"/api/v1/reports/{rid}/events")).json()["items"]
    resolved = next(e for e in events if e["to_status"] == "resolved")
    assert [p["id"] for p in resolved["photos"]] == [up.json()["id"]]
    assert resolved["agency"]["code"] == "so_xay_dung"
