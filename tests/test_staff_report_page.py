"""The workbench's report page: what it shows to whom (the contact only where the API shows it,
each view audited), and its forms, which change a report as the JSON API does and, refused,
show the page again with the reason and change nothing."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.service import create_staff
from congdan.db import utcnow
from congdan.kit.codes import tracking_code
from congdan.models import AuditEntry, Media, ReportEvent
from congdan.reports.deadlines import local_today, time_left
from tests.conftest import PASSWORD, Actors, png_bytes
from tests.staff_support import StaffLogin, csrf_of, page_sign_in
from tests.workbench_support import AGENCY, OTHER, get_report, make_report

Maker = async_sessionmaker[AsyncSession]
CONTACT = {"contact_name": "Nguyễn Văn An", "contact_phone": "+84901234567"}


@asynccontextmanager
async def _signed_in(
    app: Any, maker: Maker, role: str, agency: str | None = AGENCY
) -> AsyncIterator[httpx.AsyncClient]:
    email = f"{role}.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(
            session, email=email, password=PASSWORD, role=role, agency_code=agency, display_name=email[:14]
        )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        await page_sign_in(client, StaffLogin(email, PASSWORD))
        client.headers["accept"] = "text/html"
        yield client


def _url(report_id: uuid.UUID) -> str:
    return f"/staff/reports/{report_id}"


async def _post(
    client: httpx.AsyncClient, report_id: uuid.UUID, step: str, files: Any = None, **data: str
) -> httpx.Response:
    page = await client.get(_url(report_id))
    assert page.status_code == 200, page.text
    form = {"csrf_token": csrf_of(page.text), **data}
    return await client.post(f"{_url(report_id)}/{step}", data=form, files=files)


async def _events(maker: Maker, report_id: uuid.UUID) -> list[ReportEvent]:
    async with maker() as session:
        stmt = select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(ReportEvent.created_at)
        return list((await session.scalars(stmt)).all())


async def _views(maker: Maker, report_id: uuid.UUID) -> int:
    async with maker() as session:
        stmt = select(AuditEntry).where(
            AuditEntry.action == "contact.viewed", AuditEntry.subject_id == str(report_id)
        )
        return len((await session.scalars(stmt)).all())


def _done(r: httpx.Response, report_id: uuid.UUID, done: str) -> None:
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith(f"{_url(report_id)}?done={done}")


async def test_the_page_for_the_agencys_officer(app: Any, maker: Maker) -> None:
    due = utcnow() + timedelta(days=4)
    report_id = await make_report(maker, due_at=due, **CONTACT)
    code = (await get_report(maker, report_id)).tracking_code
    async with _signed_in(app, maker, "agency_officer") as officer:
        page = await officer.get(_url(report_id))
        assert page.status_code == 200, page.text
        html = page.text
        assert f"<code>{code}</code>" in html
        assert time_left(due, utcnow(), "vi") in html and "còn" in html
        for shown in ("Đã chuyển cơ quan xử lý", "Ổ gà sâu giữa đường Lê Lợi.", "Sở Xây dựng"):
            assert shown in html, shown
        assert "Toạ độ: 10.772500, 106.698000" in html  # without JavaScript, the place as text
        assert 'id="report-map"' in html and 'src="/static/staff/report-map.js"' in html
        assert 'id="followers">0<' in html
        assert "+84901234567" in html and "Nguyễn Văn An" in html
        assert 'action="/staff/reports/' in html and "/tiep-nhan" in html  # assigned: accept
        assert "/giai-quyet" not in html  # resolving needs the report accepted first
        assert "/khong-tiep-nhan" in html
        # One primary button, for the next step: accepting; answering waits.
        assert '<button type="submit">Tiếp nhận xử lý</button>' in html
        assert '<button type="submit" class="quiet">Gửi trả lời</button>' in html
        assert await _views(maker, report_id) == 1  # each view of the contact is audited
        await officer.get(_url(report_id))
        assert await _views(maker, report_id) == 2
        english = await officer.get(_url(report_id) + "?lang=en")
        assert "Handling agency" in english.text and "Accept" in english.text


async def test_an_overdue_report_says_by_how_much_in_red(app: Any, maker: Maker) -> None:
    due = utcnow() - timedelta(days=3)
    report_id = await make_report(maker, due_at=due, status="in_progress")
    async with _signed_in(app, maker, "agency_officer") as officer:
        page = await officer.get(_url(report_id))
    late = time_left(due, utcnow(), "vi")
    assert late.startswith("quá hạn") and f'<dd class="due late">{late} ' in page.text
    assert '<button type="submit">Đã giải quyết</button>' in page.text  # in progress: resolving is next


async def test_another_agencys_officer_sees_nothing(app: Any, maker: Maker) -> None:
    public = await make_report(maker, **CONTACT)
    private = await make_report(maker, is_public=False, **CONTACT)
    async with _signed_in(app, maker, "agency_officer", OTHER) as stranger:
        refused = await stranger.get(_url(public))
        assert refused.status_code == 403
        hidden = await stranger.get(_url(private))
        assert hidden.status_code == 404
        for r, report_id in ((refused, public), (hidden, private)):
            code = (await get_report(maker, report_id)).tracking_code
            assert code not in r.text and "Ổ gà" not in r.text and "+8490" not in r.text
        page = await stranger.get(_url(public) + "?lang=vi")
        r = await stranger.post(
            f"{_url(public)}/ghi-chu", data={"csrf_token": csrf_of(page.text), "note": "Xem trộm"}
        )
        assert r.status_code == 403 and "Xem trộm" not in r.text
    assert await _events(maker, public) == []
    assert await _views(maker, public) == 0 and await _views(maker, private) == 0


async def test_the_contact_only_for_roles_that_may_see_it(app: Any, maker: Maker) -> None:
    hidden = await make_report(maker, hide_identity=True, **CONTACT)
    async with _signed_in(app, maker, "agency_manager") as manager:
        page = await manager.get(_url(hidden))
        assert page.status_code == 200 and "+84901234567" not in page.text and 'id="contact"' not in page.text
    assert await _views(maker, hidden) == 0
    async with _signed_in(app, maker, "coordinator", None) as coordinator:
        page = await coordinator.get(_url(hidden))
        assert page.status_code == 200 and "+84901234567" in page.text
    assert await _views(maker, hidden) == 1


async def test_accept_assign_reply_note_progress_and_resolve(app: Any, maker: Maker) -> None:
    report_id = await make_report(maker)
    async with _signed_in(app, maker, "agency_officer") as officer:
        _done(await _post(officer, report_id, "tiep-nhan"), report_id, "accepted")
        assert (await get_report(maker, report_id)).status == "in_progress"
        page = await officer.get(_url(report_id) + "?done=accepted")
        assert "Đã tiếp nhận xử lý." in page.text and "/giai-quyet" in page.text
        mine = re.search(r'<select id="assign-officer" name="officer">\s*<option value="([^"]+)"', page.text)
        assert mine, "an officer may take the report"
        _done(await _post(officer, report_id, "giao-viec", officer=mine.group(1)), report_id, "assigned")
        assert str((await get_report(maker, report_id)).assignee_id) == mine.group(1)

        _done(await _post(officer, report_id, "tra-loi", message="Đã cử đội kiểm tra."), report_id, "replied")
        _done(await _post(officer, report_id, "hoi-them", message="Ổ gà ở số nhà nào?"), report_id, "info")
        _done(await _post(officer, report_id, "ghi-chu", note="Gọi lại sau 14 giờ."), report_id, "noted")
        finish = (local_today() + timedelta(days=3)).isoformat()
        photo = [("photos", ("tien-do.png", png_bytes(), "image/png"))]
        r = await _post(
            officer, report_id, "tien-do", files=photo, message="Đang vá.", committed_finish_on=finish
        )
        _done(r, report_id, "progress")
        assert (await get_report(maker, report_id)).committed_finish_on.isoformat() == finish  # type: ignore[union-attr]
        evidence = [("photos", (f"xong-{i}.png", png_bytes((80 + i, 60)), "image/png")) for i in range(2)]
        r = await _post(officer, report_id, "giai-quyet", files=evidence, note="Đã vá xong ổ gà.")
        _done(r, report_id, "resolved")
        page = await officer.get(_url(report_id))
        assert "Gọi lại sau 14 giờ." in page.text and 'class="tag internal">Nội bộ<' in page.text
    report = await get_report(maker, report_id)
    assert report.status == "resolved" and report.resolved_at is not None
    events = await _events(maker, report_id)
    kinds = [(e.type, e.to_status, e.is_public) for e in events]
    assert kinds == [
        ("status", "in_progress", True),
        ("assignee", None, False),
        ("reply", None, True),
        ("info_request", None, True),
        ("note", None, False),
        ("progress", None, True),
        ("status", "resolved", True),
    ]
    async with maker() as session:
        media = (await session.scalars(select(Media).where(Media.report_id == report_id))).all()
    assert sorted(str(m.event_id) for m in media) == sorted(
        [str(events[5].id)] + [str(events[6].id)] * 2
    )  # the progress photo and the two photos of the resolution, on their steps


async def test_a_reply_from_a_template_fills_its_placeholders(
    app: Any, maker: Maker, client: httpx.AsyncClient, actors: Actors
) -> None:
    manager = await actors.staff("agency_manager", AGENCY)
    body = {
        "agency": AGENCY,
        "category": "road_damage",
        "title": "Đã tiếp nhận",
        "body": "Phản ánh {ma_phan_anh} đã được {co_quan} tiếp nhận.",
    }
    created = await client.post("/api/v1/staff/reply-templates", json=body, headers=manager)
    assert created.status_code == 201, created.text
    report_id = await make_report(maker, status="in_progress")
    code = (await get_report(maker, report_id)).tracking_code
    async with _signed_in(app, maker, "agency_officer") as officer:
        page = await officer.get(_url(report_id))
        assert f'<option value="{created.json()["id"]}">Đã tiếp nhận</option>' in page.text
        r = await _post(officer, report_id, "tra-loi", template=created.json()["id"], message="")
        _done(r, report_id, "replied")
    events = await _events(maker, report_id)
    assert [(e.type, e.note) for e in events] == [
        ("reply", f"Phản ánh {code} đã được Sở Xây dựng TP.HCM tiếp nhận.")
    ]


async def test_reject_transfer_duplicate_and_category(app: Any, maker: Maker) -> None:
    rejected = await make_report(maker)
    moved = await make_report(maker)
    original = await make_report(maker, tracking_code=tracking_code())
    copy = await make_report(maker)
    corrected = await make_report(maker)
    async with _signed_in(app, maker, "agency_officer") as officer:
        r = await _post(officer, rejected, "khong-tiep-nhan", reason="not_city_jurisdiction", note="")
        _done(r, rejected, "rejected")
        r = await _post(officer, moved, "chuyen-co-quan", note="Việc của SAWACO.")
        _done(r, moved, "transferred")
        code = (await get_report(maker, original)).tracking_code
        typed = code.lower().replace("-", " ")  # as read out on the phone
        _done(await _post(officer, copy, "trung", original=typed), copy, "duplicate")
        _done(await _post(officer, corrected, "linh-vuc", category="garbage", note=""), corrected, "category")
    assert (await get_report(maker, rejected)).status == "rejected"
    assert [e.reason_code for e in await _events(maker, rejected)] == ["not_city_jurisdiction"]
    assert (await get_report(maker, moved)).status == "transferred"
    assert [e.note for e in await _events(maker, moved)] == ["Việc của SAWACO."]
    duplicate = await get_report(maker, copy)
    assert duplicate.status == "duplicate" and duplicate.duplicate_of_id == original
    fixed = await get_report(maker, corrected)
    assert fixed.category_code == "garbage" and fixed.category_source == "staff"


async def test_a_coordinator_gives_the_report_to_another_agency(app: Any, maker: Maker) -> None:
    report_id = await make_report(maker)
    async with _signed_in(app, maker, "coordinator", None) as coordinator:
        page = await coordinator.get(_url(report_id))
        assert 'id="transfer-agency"' in page.text and "/tiep-nhan" not in page.text
        r = await _post(coordinator, report_id, "chuyen-co-quan", agency=OTHER, note="Đường ống nước.")
        _done(r, report_id, "transferred")
    report = await get_report(maker, report_id)
    assert report.status == "assigned" and report.agency_code == OTHER


async def test_bad_input_shows_the_page_again_and_changes_nothing(app: Any, maker: Maker) -> None:
    report_id = await make_report(maker)
    async with _signed_in(app, maker, "agency_manager") as manager:
        r = await _post(manager, report_id, "khong-tiep-nhan", reason="", note="Không rõ")
        assert r.status_code == 422
        assert 'id="reject-error">Cần chọn lý do không tiếp nhận.<' in r.text
        assert ">Không rõ</textarea>" in r.text  # what was typed is kept
        r = await _post(manager, report_id, "giao-viec", officer=str(uuid.uuid4()))
        assert r.status_code == 422 and "Không tìm thấy cán bộ được giao." in r.text
        r = await _post(manager, report_id, "giao-viec", officer="ai-do")
        assert r.status_code == 422 and "Chọn cán bộ để giao việc." in r.text
        r = await _post(manager, report_id, "giai-quyet", note="Xong.")  # not accepted yet
        assert r.status_code == 409 and "Không thể chuyển phản ánh từ trạng thái" in r.text
        r = await _post(manager, report_id, "tra-loi", message="  ", template="")
        assert r.status_code == 422 and "Viết nội dung trả lời hoặc chọn một mẫu." in r.text
        r = await _post(manager, report_id, "trung", original="KHONGCO-00000")
        assert r.status_code == 422 and "Không tìm thấy phản ánh gốc." in r.text
        r = await _post(manager, report_id, "ghi-chu", note="")
        assert r.status_code == 422 and "Ghi chú không được để trống." in r.text
        past = (local_today() - timedelta(days=1)).isoformat()
        photo = [("photos", ("a.png", png_bytes(), "image/png"))]
        r = await _post(
            manager, report_id, "tien-do", files=photo, message="Đang làm", committed_finish_on=past
        )
        assert r.status_code == 422 and "Ngày cam kết hoàn thành không được trước hôm nay." in r.text
    report = await get_report(maker, report_id)
    assert report.status == "assigned" and report.assignee_id is None
    assert await _events(maker, report_id) == []
    async with maker() as session:  # the refused step's photo went with it
        assert (await session.scalars(select(Media))).all() == []


async def test_a_form_without_its_token_is_refused(app: Any, maker: Maker) -> None:
    report_id = await make_report(maker)
    async with _signed_in(app, maker, "agency_officer") as officer:
        r = await officer.post(f"{_url(report_id)}/tiep-nhan", data={})
        assert r.status_code == 403
        r = await officer.post(f"{_url(report_id)}/ghi-chu", data={"csrf_token": "x", "note": "Ghi chú"})
        assert r.status_code == 403
    assert (await get_report(maker, report_id)).status == "assigned"
    assert await _events(maker, report_id) == []


async def test_the_queue_and_triage_link_to_the_page(app: Any, maker: Maker) -> None:
    report_id = await make_report(maker, due_at=utcnow() + timedelta(days=1))
    waiting = await make_report(
        maker, status="triage", agency_code=None, category_code=None, area_code=None, lat=None, lon=None
    )
    async with _signed_in(app, maker, "agency_officer") as officer:
        assert f'href="/staff/reports/{report_id}"' in (await officer.get("/staff/")).text
    async with _signed_in(app, maker, "coordinator", None) as coordinator:
        assert f'href="/staff/reports/{waiting}"' in (await coordinator.get("/staff/triage")).text
        page = await coordinator.get(_url(waiting))
        assert page.status_code == 200 and "Chưa phân loại" in page.text and "Không có vị trí." in page.text
        assert 'id="report-map"' not in page.text and 'id="transfer-agency"' in page.text


async def test_a_duplicate_candidate_is_marked_with_one_button(app: Any, maker: Maker) -> None:
    original = await make_report(maker, created_at=utcnow() - timedelta(hours=2))
    copy = await make_report(maker)
    code = (await get_report(maker, original)).tracking_code
    async with _signed_in(app, maker, "agency_officer") as officer:
        page = await officer.get(_url(copy))
        row = re.search(r"<tr>\s*<td><a href=\"/staff/reports/([^\"]+)\"><code>([^<]+)</code>", page.text)
        assert row and row.groups() == (str(original), code), "the other report is a candidate"
        assert f'name="original" value="{original}"' in page.text
        _done(await _post(officer, copy, "trung", original=str(original)), copy, "duplicate")
    assert (await get_report(maker, copy)).duplicate_of_id == original
