"""The monthly unit report on the 1022 calendar (25th 12:00 to 25th 12:00, city time): figures per
agency, the ranking, who sees which late list, and the XLSX and PDF downloads read back."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.authz.policy import Principal
from congdan.db import utcnow
from congdan.models import Report, ReportEvent
from congdan.performance.service import Period, monthly, period_of
from tests.conftest import Actors

Maker = async_sessionmaker[AsyncSession]
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MAY = "2026-05"  # 25/04/2026 12:00 → 25/05/2026 12:00; 27/4, 30/4 and 1/5 are holidays


def local(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=HCM)


async def _report(
    s: AsyncSession,
    agency: str,
    created: datetime,
    due: datetime,
    *,
    status: str = "assigned",
    resolved: datetime | None = None,
    rating: int | None = None,
    reply_after: timedelta | None = None,
    reopened: datetime | None = None,
) -> Report:
    code = uuid.uuid4().hex[:10].upper()
    report = Report(
        tracking_code=code,
        kind="report",
        description="Ổ gà",
        search_text="o ga",
        status=status,
        agency_code=agency,
        created_at=created,
        updated_at=created,
        due_at=due,
        resolved_at=resolved,
        rating=rating,
        rated_at=resolved + timedelta(days=1) if rating and resolved else None,
    )
    s.add(report)
    await s.flush()
    if reply_after is not None:
        s.add(_event(report, "reply", created + reply_after))
        s.add(_event(report, "reply", created + reply_after + timedelta(hours=30)))  # only the first counts
    if reopened is not None:
        s.add(_event(report, "status", reopened, to_status="reopened"))
    return report


def _event(report: Report, type_: str, at: datetime, to_status: str | None = None) -> ReportEvent:
    return ReportEvent(
        report_id=report.id,
        type=type_,
        to_status=to_status,
        actor_role="agency_officer",
        agency_code=report.agency_code,
        note="…",
        is_public=True,
        created_at=at,
    )


@pytest.fixture
async def may(maker: Maker) -> dict[str, str]:
    """so_xay_dung: one on time, one resolved late, one never resolved; so_y_te: one on time and a
    rejection (not judged); cong_an_tphcm: received only, its deadline after the month."""
    async with maker() as s, s.begin():
        on_time = await _report(
            s, "so_xay_dung", local(4, 28), local(5, 6), status="closed", resolved=local(5, 5),
            rating=5, reply_after=timedelta(hours=2),
        )  # fmt: skip
        late = await _report(
            s, "so_xay_dung", local(4, 29), local(5, 7), status="resolved", resolved=local(5, 11),
            rating=3, reply_after=timedelta(hours=6), reopened=local(5, 12),
        )  # fmt: skip
        open_late = await _report(s, "so_xay_dung", local(5, 4), local(5, 11), status="in_progress")
        await _report(
            s, "so_y_te", local(5, 4), local(5, 11), status="resolved", resolved=local(5, 8),
            rating=4, reply_after=timedelta(hours=1),
        )  # fmt: skip
        await _report(s, "so_y_te", local(5, 5), local(5, 12), status="rejected")
        await _report(s, "cong_an_tphcm", local(5, 20), local(5, 27))
        # 11:59 on the 25th of April still belongs to April's report.
        await _report(s, "cong_an_tphcm", local(4, 25, 11, 59), local(4, 24))
    codes = (on_time.tracking_code, late.tracking_code, open_late.tracking_code)
    return dict(zip(("on_time", "late", "open_late"), codes, strict=True))


def test_the_1022_month_turns_at_noon_on_the_25th() -> None:
    assert period_of(local(5, 25, 11, 59)) == Period(2026, 5)
    assert period_of(local(5, 25, 12, 0)) == Period(2026, 6)
    assert period_of(datetime(2026, 12, 25, 12, 0, tzinfo=HCM)) == Period(2027, 1)
    january = Period(2027, 1)
    assert (january.start, january.end) == (
        datetime(2026, 12, 25, 12, 0, tzinfo=HCM),
        datetime(2027, 1, 25, 12, 0, tzinfo=HCM),
    )


async def test_figures_ranking_and_late_lists(
    client: httpx.AsyncClient, actors: Actors, may: dict[str, str]
) -> None:
    coordinator = await actors.staff("coordinator")
    r = await client.get("/api/v1/performance/monthly", params={"month": MAY}, headers=coordinator)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["period"]["month"] == MAY and body["period"]["complete"] is True
    assert datetime.fromisoformat(body["period"]["start"]) == local(4, 25, 12)
    ranked = {a["agency_code"]: a for a in body["agencies"]}
    assert [a["agency_code"] for a in body["agencies"]] == ["so_y_te", "so_xay_dung", "cong_an_tphcm"]
    a = ranked["so_xay_dung"]
    assert (a["rank"], a["received"], a["handled"], a["on_time"], a["late"]) == (2, 3, 2, 1, 2)
    assert a["on_time_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert a["median_first_reply_hours"] == 4.0  # 2 h and 6 h; the open report has no reply
    assert a["median_resolution_hours"] == 228.0  # 7 and 12 days
    assert (a["rating_mean"], a["rating_count"], a["reopened"], a["reopen_rate"]) == (4.0, 2, 1, 0.5)
    late = {x["tracking_code"]: x["working_days_late"] for x in a["late_reports"]}
    # Due Thursday 7/5, resolved Monday 11/5: two working days; due 11/5, open at 25/5: ten.
    assert late == {may["late"]: 2, may["open_late"]: 10}
    b = ranked["so_y_te"]
    assert (b["received"], b["on_time"], b["late"], b["on_time_rate"]) == (2, 1, 0, 1.0)
    assert b["late_reports"] == []
    c = ranked["cong_an_tphcm"]
    assert (c["received"], c["on_time_rate"], c["rank"]) == (1, None, 3)
    assert "tỉ lệ đúng hạn" in body["ranking_rule"]


async def test_agency_staff_see_the_ranking_and_only_their_own_late_list(
    client: httpx.AsyncClient, actors: Actors, may: dict[str, str]
) -> None:
    for role in ("agency_officer", "agency_manager"):
        headers = await actors.staff(role, "so_y_te")
        r = await client.get("/api/v1/performance/monthly", params={"month": MAY}, headers=headers)
        body = r.json()
        lists = {a["agency_code"]: a["late_reports"] for a in body["agencies"]}
        assert lists == {"so_y_te": [], "so_xay_dung": None, "cong_an_tphcm": None}
    admin = await actors.staff("admin")
    body = (await client.get("/api/v1/performance/monthly", params={"month": MAY}, headers=admin)).json()
    assert all(a["late_reports"] is not None for a in body["agencies"])
    under_way = await client.get("/api/v1/performance/monthly", headers=admin)
    assert under_way.json()["period"]["month"] == period_of(utcnow()).label
    resident = await actors.resident()
    assert (await client.get("/api/v1/performance/monthly", headers=resident)).status_code == 403
    assert (await client.get("/api/v1/performance/monthly.pdf")).status_code == 401
    r = await client.get("/api/v1/performance/monthly", params={"month": "2026-13"}, headers=admin)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


async def test_the_month_under_way_judges_only_deadlines_passed(maker: Maker, may: dict[str, str]) -> None:
    coordinator = Principal(account_id=uuid.uuid4(), role="coordinator")
    async with maker() as s:
        body = await monthly(s, coordinator, MAY, local(5, 10, 12), "en")
    assert body.period.complete is False
    a = next(x for x in body.agencies if x.agency_code == "so_xay_dung")
    # By 10/5 the deadlines of 6/5 and 7/5 have passed; that of 11/5 has not.
    assert (a.on_time, a.late) == (1, 1) and a.agency_name == "Department of Construction"


async def test_xlsx_reads_back_with_the_same_figures(
    client: httpx.AsyncClient, actors: Actors, may: dict[str, str]
) -> None:
    officer = await actors.staff("agency_officer", "so_xay_dung")
    r = await client.get("/api/v1/performance/monthly.xlsx", params={"month": MAY}, headers=officer)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "bao-cao-thang-2026-05.xlsx" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    ranking, late = book.worksheets
    rows = list(ranking.iter_rows(values_only=True))
    assert str(rows[0][0]).startswith("Báo cáo tháng 2026-05: từ 25/04/2026 12:00 đến 25/05/2026 12:00")
    assert rows[2][:6] == ("Hạng", "Đơn vị", "Tiếp nhận", "Đã giải quyết", "Đúng hạn", "Trễ hạn")
    assert [row[:6] for row in rows[3:]] == [
        (1, "Sở Y tế TP.HCM", 2, 1, 1, 0),
        (2, "Sở Xây dựng TP.HCM", 3, 2, 1, 2),
        (3, "Công an TP.HCM", 1, 0, 0, 0),
    ]
    listed = list(late.iter_rows(values_only=True))
    assert listed[0][:2] == ("Đơn vị", "Mã phản ánh")
    assert {row[1] for row in listed[1:]} == {may["late"], may["open_late"]}


async def test_pdf_text_keeps_its_vietnamese_letters(
    client: httpx.AsyncClient, actors: Actors, may: dict[str, str]
) -> None:
    manager = await actors.staff("agency_manager", "so_y_te")
    r = await client.get("/api/v1/performance/monthly.pdf", params={"month": MAY}, headers=manager)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    for words in ("Báo cáo tháng 2026-05", "Xếp theo tỉ lệ đúng hạn", "Sở Xây dựng TP.HCM", "Tỉ lệ mở lại"):
        assert words in text, words
    assert may["late"] not in text  # another agency's late list is not theirs to read
    coordinator = await actors.staff("coordinator")
    r = await client.get(
        "/api/v1/performance/monthly.pdf",
        params={"month": MAY},
        headers={**coordinator, "Accept-Language": "en"},
    )
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    assert "Monthly report 2026-05" in text and "Late reports" in text and may["late"] in text
