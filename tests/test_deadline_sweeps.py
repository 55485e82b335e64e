"""The deadline sweeps on a clock the test sets: the reminder, the overdue step with the progress it
requires, the escalation after working days (across Tết 2027), once each, even with two sweeps at once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.db import utcnow
from congdan.models import Notification, OutboxMessage, Report, ReportEvent
from congdan.outbox.relay import Relay
from congdan.reports.sweeps import Swept, sweep
from tests.conftest import Actors, png_bytes, submit

Maker = async_sessionmaker[AsyncSession]
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
# Wednesday 3 February 2027, the last working day before Tết (4–10 February).
DUE = datetime(2027, 2, 3, 10, 0, tzinfo=HCM)


async def _staff(client: httpx.AsyncClient, actors: Actors) -> dict[str, tuple[dict[str, str], uuid.UUID]]:
    found = {}
    for key, role, agency in (
        ("officer", "agency_officer", "so_xay_dung"),
        ("manager", "agency_manager", "so_xay_dung"),
        ("coordinator", "coordinator", None),
    ):
        headers = await actors.staff(role, agency)
        me = (await client.get("/api/v1/me", headers=headers)).json()
        found[key] = (headers, uuid.UUID(me["id"]))
    return found


async def _report_due(client: httpx.AsyncClient, maker: Maker, due: datetime) -> uuid.UUID:
    """A report routed to so_xay_dung whose deadline is `due`."""
    report_id = uuid.UUID((await submit(client))["id"])
    async with maker() as s, s.begin():
        report = await s.get(Report, report_id)
        assert report is not None and report.agency_code == "so_xay_dung"
        report.due_at = due
    return report_id


async def _sweep(maker: Maker, settings: Settings, now: datetime) -> Swept:
    async with maker() as s, s.begin():
        return await sweep(s, settings, now)


async def _titles(maker: Maker, account_id: uuid.UUID) -> list[str]:
    async with maker() as s:
        stmt = select(Notification.title).where(Notification.account_id == account_id)
        stmt = stmt.order_by(Notification.id)
        return list((await s.scalars(stmt)).all())


async def _outbox(maker: Maker, event_type: str) -> int:
    async with maker() as s:
        return int(await s.scalar(select(func.count()).where(OutboxMessage.event_type == event_type)) or 0)


async def test_a_day_before_the_deadline_of_an_unassigned_report_the_managers_are_reminded_once(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, relay: Relay, settings: Settings
) -> None:
    staff = await _staff(client, actors)
    await _report_due(client, maker, DUE)
    await relay.drain()
    assert await _sweep(maker, settings, DUE - timedelta(hours=25)) == Swept(0, 0, 0)
    assert await _sweep(maker, settings, DUE - timedelta(hours=23)) == Swept(1, 0, 0)
    assert await _sweep(maker, settings, DUE - timedelta(hours=22)) == Swept(0, 0, 0)
    await relay.drain()
    manager_titles = await _titles(maker, staff["manager"][1])
    assert sum("sắp đến hạn" in t for t in manager_titles) == 1
    # Nobody was given the report: the managers answer for the deadline, not every officer.
    assert not any("sắp đến hạn" in t for t in await _titles(maker, staff["officer"][1]))
    assert await _titles(maker, staff["coordinator"][1]) == []


async def test_the_officer_given_the_report_is_reminded_and_the_managers_hear_when_it_is_late(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, relay: Relay, settings: Settings
) -> None:
    staff = await _staff(client, actors)
    (manager, manager_id), (_, officer_id) = staff["manager"], staff["officer"]
    report_id = await _report_due(client, maker, DUE)
    body = {"officer": str(officer_id), "report_ids": [str(report_id)]}
    assert (await client.post("/api/v1/staff/queue/assign", json=body, headers=manager)).status_code == 200
    await relay.drain()
    assert await _sweep(maker, settings, DUE - timedelta(hours=23)) == Swept(1, 0, 0)
    await relay.drain()
    assert sum("sắp đến hạn" in t for t in await _titles(maker, officer_id)) == 1
    assert not any("sắp đến hạn" in t for t in await _titles(maker, manager_id))

    assert await _sweep(maker, settings, DUE + timedelta(minutes=1)) == Swept(0, 1, 0)
    await relay.drain()
    assert sum("đã quá hạn" in t for t in await _titles(maker, manager_id)) == 1
    assert sum("đã quá hạn" in t for t in await _titles(maker, officer_id)) == 1


async def test_at_the_deadline_the_report_is_overdue_and_owes_progress_with_photo_and_date(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, relay: Relay, settings: Settings
) -> None:
    staff = await _staff(client, actors)
    officer = staff["officer"][0]
    report_id = await _report_due(client, maker, DUE)
    now = DUE + timedelta(minutes=10)
    assert await _sweep(maker, settings, now) == Swept(0, 1, 0)
    assert await _sweep(maker, settings, now + timedelta(hours=1)) == Swept(0, 0, 0)
    await relay.drain()
    async with maker() as s:
        report = await s.get(Report, report_id)
        assert report is not None and report.overdue_at == now and report.progress_required_at == now
        history = (await s.scalars(select(ReportEvent).where(ReportEvent.report_id == report_id))).all()
    [marked] = [e for e in history if e.type == "overdue"]
    assert marked.actor_role == "system" and not marked.is_public and marked.created_at == now
    assert sum("đã quá hạn" in t for t in await _titles(maker, staff["manager"][1])) == 1
    assert not any("đã quá hạn" in t for t in await _titles(maker, staff["officer"][1]))

    shown = (await client.get(f"/api/v1/reports/{report_id}", headers=officer)).json()
    assert shown["progress_required"] is True and shown["overdue_at"] is not None
    url = f"/api/v1/reports/{report_id}/replies"
    finish = (datetime.now(HCM) + timedelta(days=3)).date().isoformat()
    bare = {"kind": "progress", "message": "Đang tập kết vật tư."}
    r = await client.post(url, json={**bare, "committed_finish_on": finish}, headers=officer)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "photos"
    photo = await client.post(
        "/api/v1/uploads", files={"file": ("a.png", png_bytes(), "image/png")}, headers=officer
    )
    assert photo.status_code == 201, photo.text
    with_photo = {**bare, "photos": [photo.json()["id"]]}
    r = await client.post(url, json=with_photo, headers=officer)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "committed_finish_on"
    r = await client.post(url, json={**with_photo, "committed_finish_on": finish}, headers=officer)
    assert r.status_code == 201, r.text
    shown = (await client.get(f"/api/v1/reports/{report_id}", headers=officer)).json()
    assert shown["progress_required"] is False and shown["committed_finish_on"] == finish
    # Once posted, progress is plain again; a date in the past is refused.
    r = await client.post(url, json={**bare, "committed_finish_on": "2020-01-01"}, headers=officer)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "committed_finish_on"
    assert (await client.post(url, json=bare, headers=officer)).status_code == 201


async def test_escalation_counts_working_days_past_tet(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, relay: Relay, settings: Settings
) -> None:
    staff = await _staff(client, actors)
    report_id = await _report_due(client, maker, DUE)
    assert (await _sweep(maker, settings, DUE + timedelta(minutes=1))).overdue == 1
    # A week later, but Tết: no working day has passed.
    assert (await _sweep(maker, settings, datetime(2027, 2, 10, 18, 0, tzinfo=HCM))).escalated == 0
    assert (await _sweep(maker, settings, datetime(2027, 2, 11, 17, 0, tzinfo=HCM))).escalated == 0
    # Two working days after the deadline (CONGDAN_ESCALATE_AFTER_DAYS=2): Friday 12 at 10:00.
    assert (await _sweep(maker, settings, datetime(2027, 2, 12, 9, 59, tzinfo=HCM))).escalated == 0
    friday = datetime(2027, 2, 12, 10, 0, tzinfo=HCM)
    assert await _sweep(maker, settings, friday) == Swept(0, 0, 1)
    assert await _sweep(maker, settings, friday + timedelta(days=3)) == Swept(0, 0, 0)
    await relay.drain()
    code = (await client.get(f"/api/v1/reports/{report_id}", headers=staff["officer"][0])).json()
    async with maker() as s:
        stmt = select(Notification.body).where(Notification.account_id == staff["coordinator"][1])
        bodies = list((await s.scalars(stmt)).all())
    assert bodies == [f"Phản ánh {code['tracking_code']} đã được chuyển lên lãnh đạo xem xét: quá hạn 2 ngày"]
    assert any("cấp trên" in t for t in await _titles(maker, staff["manager"][1]))


async def test_the_escalation_delay_is_a_setting(
    client: httpx.AsyncClient, maker: Maker, settings: Settings
) -> None:
    await _report_due(client, maker, DUE)
    sooner = settings.model_copy(update={"escalate_after_days": 1})
    assert (await _sweep(maker, sooner, DUE + timedelta(minutes=1))).overdue == 1
    assert (await _sweep(maker, sooner, datetime(2027, 2, 11, 10, 0, tzinfo=HCM))).escalated == 1


async def test_two_sweeps_at_once_send_one_of_each(
    client: httpx.AsyncClient, maker: Maker, settings: Settings
) -> None:
    for _ in range(4):
        await _report_due(client, maker, DUE)
    for now in (DUE - timedelta(hours=2), DUE + timedelta(minutes=5), DUE + timedelta(days=9)):
        first, second = await asyncio.gather(_sweep(maker, settings, now), _sweep(maker, settings, now))
        assert first.total + second.total == 4
    assert await _outbox(maker, "report.due_soon") == 4
    assert await _outbox(maker, "report.overdue") == 4
    assert await _outbox(maker, "report.escalated") == 4


async def test_closed_reports_and_moved_deadlines(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, settings: Settings
) -> None:
    resolved = await _report_due(client, maker, DUE)
    async with maker() as s, s.begin():
        report = await s.get(Report, resolved)
        assert report is not None
        report.status = "resolved"
    assert await _sweep(maker, settings, DUE + timedelta(days=1)) == Swept(0, 0, 0)
    # A category correction gives a new deadline: the sweeps start again for it.
    moved = await _report_due(client, maker, DUE)
    assert (await _sweep(maker, settings, DUE + timedelta(minutes=1))).overdue == 1
    coordinator = await actors.staff("coordinator")
    r = await client.post(
        f"/api/v1/reports/{moved}/category", json={"category": "trees"}, headers=coordinator
    )
    assert r.status_code == 200, r.text
    async with maker() as s:
        report = await s.get(Report, moved)
        assert report is not None and report.due_at != DUE
        assert report.overdue_at is None and report.progress_required_at is None


async def test_workers_run_the_sweep_in_their_housekeeping(
    client: httpx.AsyncClient, maker: Maker, relay: Relay
) -> None:
    report_id = await _report_due(client, maker, utcnow() - timedelta(days=30))
    assert "deadlines_swept" in [name for name, _job in relay.registry.periodic_jobs()]
    await relay.housekeep()
    await relay.housekeep()
    async with maker() as s:
        report = await s.get(Report, report_id)
        assert report is not None and report.overdue_at is not None and report.escalated_at is not None
    assert await _outbox(maker, "report.overdue") == 1 and await _outbox(maker, "report.escalated") == 1
