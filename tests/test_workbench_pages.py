"""The workbench pages: the queue with its filters and bulk actions, triage with one-click routing
and the deadline board, the monthly report; each for the roles that use it, signed in by pages."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.service import create_staff
from congdan.db import utcnow
from congdan.kit.dates import CITY_TZ
from congdan.performance.service import period_of
from congdan.reports.deadlines import working_days_between
from tests.conftest import PASSWORD
from tests.staff_support import StaffLogin, csrf_of, page_sign_in
from tests.workbench_support import AGENCY, OTHER, get_report, make_report

Maker = async_sessionmaker[AsyncSession]


@asynccontextmanager
async def _signed_in(
    app: Any, maker: Maker, role: str, agency: str | None = AGENCY
) -> AsyncIterator[httpx.AsyncClient]:
    email = f"{role}.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(
            session, email=email, password=PASSWORD, role=role, agency_code=agency, display_name=email[:12]
        )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        await page_sign_in(client, StaffLogin(email, PASSWORD))
        yield client


def _rows(html: str) -> list[str]:
    """The tracking codes of the table's rows, in order."""
    return re.findall(r'<td><a href="/staff/reports/[0-9a-f-]+"><code>([0-9A-Z]+)</code></a>', html)


def _working_days_ago(now: datetime, days: int) -> datetime:
    """A deadline `days` working days before today in the city, whatever day of the week the test
    runs on (three calendar days before a Saturday are only two working days)."""
    today = now.astimezone(CITY_TZ).date()
    due = now - timedelta(days=1)
    while working_days_between(due.astimezone(CITY_TZ).date(), today) < days:
        due -= timedelta(days=1)
    return due


async def _code(maker: Maker, report_id: uuid.UUID) -> str:
    return (await get_report(maker, report_id)).tracking_code


async def test_the_queue_for_an_officer_sorted_by_due_date_with_filters_and_counts(
    app: Any, maker: Maker
) -> None:
    now = utcnow()
    later = await make_report(maker, due_at=now + timedelta(days=3))
    late = await make_report(maker, due_at=_working_days_ago(now, 3), status="in_progress")
    soon = await make_report(maker, due_at=now + timedelta(hours=5), reopened_at=now)
    elsewhere = await make_report(maker, agency_code=OTHER, due_at=now - timedelta(days=1))
    async with _signed_in(app, maker, "agency_officer") as officer:
        page = await officer.get("/staff/")
        assert page.status_code == 200
        assert "<h1>Hàng đợi</h1>" in page.text
        assert _rows(page.text) == [await _code(maker, r) for r in (late, soon, later)]
        assert await _code(maker, elsewhere) not in page.text  # another agency's report
        assert 'class="due late">quá hạn 3 ngày<' in page.text
        assert 'Quá hạn <span class="count">(1)</span>' in page.text
        assert 'Đến hạn trong 24 giờ <span class="count">(1)</span>' in page.text
        overdue = await officer.get("/staff/?due=overdue")
        assert _rows(overdue.text) == [await _code(maker, late)]
        reopened = await officer.get("/staff/?reopened=1&status=assigned")
        assert _rows(reopened.text) == [await _code(maker, soon)]
        assert 'value="assigned" checked' in reopened.text
        english = await officer.get("/staff/?lang=en")
        assert "overdue by 3 days" in english.text and "<h1>Queue</h1>" in english.text
        partial = await officer.get("/staff/?lang=vi", headers={"HX-Request": "true"})
        assert "<html" not in partial.text and "<h1>Hàng đợi</h1>" in partial.text


async def test_the_queue_pages_by_keyset(app: Any, maker: Maker) -> None:
    now = utcnow()
    made = [await make_report(maker, due_at=now + timedelta(hours=i + 1)) for i in range(52)]
    async with _signed_in(app, maker, "agency_manager") as manager:
        first = await manager.get("/staff/")
        assert len(_rows(first.text)) == 50
        link = re.search(r'<a href="([^"]+)" rel="next">', first.text)
        assert link
        second = await manager.get(link.group(1).replace("&amp;", "&"))
        assert _rows(second.text) == [await _code(maker, r) for r in made[50:]]
        assert 'rel="next"' not in second.text


async def test_bulk_accept_and_assign_from_the_queue(app: Any, maker: Maker) -> None:
    one = await make_report(maker, due_at=utcnow() + timedelta(days=1))
    two = await make_report(maker, due_at=utcnow() + timedelta(days=2))
    async with _signed_in(app, maker, "agency_manager") as manager:
        page = await manager.get("/staff/")
        officer = re.search(r'<select id="bulk-officer" name="officer">\s*<option value="([^"]+)"', page.text)
        assert officer, "the manager's agency has an officer to give work to"
        r = await manager.post(
            "/staff/hang-doi/hang-loat",
            data={
                "csrf_token": csrf_of(page.text),
                "action": "assign",
                "officer": officer.group(1),
                "report_ids": [str(one)],
                "back": "",
            },
        )
        assert r.status_code == 303, r.text
        assert str((await get_report(maker, one)).assignee_id) == officer.group(1)

        r = await manager.post(
            "/staff/hang-doi/hang-loat",
            data={
                "csrf_token": csrf_of(page.text),
                "action": "accept",
                "report_ids": [str(one), str(two)],
                "back": "due=soon",
            },
        )
        assert r.status_code == 303 and r.headers["location"] == "/staff/?due=soon&done=accepted"
        assert (await get_report(maker, one)).status == "in_progress"
        assert (await get_report(maker, two)).status == "in_progress"

        # Accepting again is refused for both, nothing changes, and each refusal is a sentence.
        three = await make_report(maker, due_at=utcnow() + timedelta(days=3))
        r = await manager.post(
            "/staff/hang-doi/hang-loat",
            data={"csrf_token": csrf_of(page.text), "action": "accept", "report_ids": [str(three), str(one)]},
        )
        assert r.status_code == 409, r.text
        assert "Không phản ánh nào thay đổi" in r.text
        code = await _code(maker, one)
        assert re.search(rf"<li>{code}: [^<]+</li>", r.text)
        assert (await get_report(maker, three)).status == "assigned"
        assert "Đang xử lý" in r.text  # the page shows the reports as they are
        no_token = await manager.post(
            "/staff/hang-doi/hang-loat", data={"action": "accept", "report_ids": [str(three)]}
        )
        assert no_token.status_code == 403


async def test_another_agencys_reports_cannot_be_accepted(app: Any, maker: Maker) -> None:
    theirs = await make_report(maker, agency_code=OTHER)
    async with _signed_in(app, maker, "agency_officer") as officer:
        page = await officer.get("/staff/")
        r = await officer.post(
            "/staff/hang-doi/hang-loat",
            data={"csrf_token": csrf_of(page.text), "action": "accept", "report_ids": [str(theirs)]},
        )
        assert r.status_code in (403, 404, 409)
        assert (await get_report(maker, theirs)).status == "assigned"
        assert await _code(maker, theirs) not in r.text


async def test_triage_is_for_coordinators_and_routes_in_one_click(app: Any, maker: Maker) -> None:
    waiting = await make_report(
        maker,
        status="triage",
        agency_code=None,
        category_code=None,
        description="Ổ gà sâu giữa đường, xe máy ngã",
    )
    await make_report(maker, due_at=utcnow() - timedelta(days=2))
    async with _signed_in(app, maker, "agency_officer") as officer:
        refused = await officer.get("/staff/triage")
        assert refused.status_code == 403
        assert "text/html" in refused.headers["content-type"]
        assert "Chỉ điều phối viên hoặc quản trị viên" in refused.text
    async with _signed_in(app, maker, "coordinator", agency=None) as coordinator:
        page = await coordinator.get("/staff/triage")
        assert page.status_code == 200
        code = await _code(maker, waiting)
        assert code in page.text
        assert "Hạn xử lý toàn thành phố" in page.text and "Sở Xây dựng" in page.text
        guesses = re.findall(
            rf'action="/staff/triage/{waiting}/chuyen">.*?name="category" value="([a-z_]+)"',
            page.text,
            re.S,
        )
        assert 1 <= len(guesses) <= 3
        r = await coordinator.post(
            f"/staff/triage/{waiting}/chuyen",
            data={"csrf_token": csrf_of(page.text), "category": guesses[0]},
        )
        assert r.status_code == 303, r.text
        routed = await get_report(maker, waiting)
        assert routed.category_code == guesses[0] and routed.status == "assigned"
        after = await coordinator.get(r.headers["location"])
        assert f'id="r-{code}"' not in after.text and f"Đã chuyển phản ánh {code}." in after.text

        # Any agency, from the select; the coordinator's queue sees every agency.
        other = await make_report(maker, status="transferred", agency_code=AGENCY)
        r = await coordinator.post(
            f"/staff/triage/{other}/chuyen", data={"csrf_token": csrf_of(page.text), "agency": OTHER}
        )
        assert r.status_code == 303
        assert (await get_report(maker, other)).agency_code == OTHER
        queue = await coordinator.get(f"/staff/?agency={OTHER}")
        assert _rows(queue.text) == [await _code(maker, other)]


async def test_the_monthly_report_page_and_its_downloads(app: Any, maker: Maker) -> None:
    previous = period_of(period_of(utcnow()).start - timedelta(seconds=1))
    late = await make_report(
        maker,
        created_at=previous.start + timedelta(hours=1),
        due_at=previous.start + timedelta(days=2),
        status="in_progress",
    )
    theirs = await make_report(
        maker,
        agency_code=OTHER,
        created_at=previous.start + timedelta(hours=1),
        due_at=previous.start + timedelta(days=2),
    )
    url = f"/staff/reports/monthly?month={previous.label}"
    async with _signed_in(app, maker, "agency_officer") as officer:
        page = await officer.get(url)
        assert page.status_code == 200
        assert f"Báo cáo tháng {previous.label}" in page.text
        assert "Sở Xây dựng" in page.text and "Phản ánh trễ hạn" in page.text
        assert await _code(maker, late) in page.text
        assert await _code(maker, theirs) not in page.text  # another agency's late list
        xlsx = await officer.get(f"/staff/reports/monthly.xlsx?month={previous.label}")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        pdf = await officer.get(f"/staff/reports/monthly.pdf?month={previous.label}")
        assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    async with _signed_in(app, maker, "coordinator", agency=None) as coordinator:
        page = await coordinator.get(url)
        assert await _code(maker, late) in page.text and await _code(maker, theirs) in page.text


async def test_pages_send_the_signed_out_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in ("/staff/triage", "/staff/reports/monthly", "/staff/reports/monthly.xlsx"):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/staff/?next=")


async def test_the_first_addresses_of_triage_and_the_monthly_report_lead_to_the_named_ones(
    client: httpx.AsyncClient,
) -> None:
    for old, new in (
        ("/staff/phan-loai?cursor=x", "/staff/triage?cursor=x"),
        ("/staff/bao-cao-thang?month=2026-10", "/staff/reports/monthly?month=2026-10"),
    ):
        r = await client.get(old)
        assert r.status_code == 308 and r.headers["location"] == new
