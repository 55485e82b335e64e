"""The administrators' pages under /staff/admin/: each section lists, creates and edits through
the same services as the JSON API; anyone but an administrator is refused and changes nothing;
bad input is shown again with a Vietnamese error and changes nothing; a form without its token
is refused."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts import repository as accounts_repo
from congdan.accounts.service import create_staff
from congdan.authz.policy import account_principal
from congdan.models import Agency, AuditEntry, Category, RejectionReason, ReplyTemplate
from congdan.routing import repository as routing_repo
from congdan.routing import rules
from congdan.workbench import replies
from tests.conftest import PASSWORD
from tests.staff_support import StaffLogin, csrf_of, page_sign_in

Maker = async_sessionmaker[AsyncSession]
AGENCY = "so_xay_dung"
NON_ADMINS = (("agency_officer", AGENCY), ("agency_manager", AGENCY), ("coordinator", None))


@asynccontextmanager
async def _signed_in(
    app: Any, maker: Maker, role: str = "admin", agency: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    email = f"{role}.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(session, email=email, password=PASSWORD, role=role, agency_code=agency)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        await page_sign_in(client, StaffLogin(email, PASSWORD))
        client.headers["x-test-email"] = email
        yield client


async def _post(client: httpx.AsyncClient, page: str, action: str, **data: str) -> httpx.Response:
    token = csrf_of((await client.get(page)).text)
    return await client.post(action, data={"csrf_token": token, **data})


async def _audited(maker: Maker, action: str) -> int:
    async with maker() as session:
        return len((await session.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def _templates(maker: Maker) -> list[ReplyTemplate]:
    async with maker() as session:
        return list((await session.scalars(select(ReplyTemplate).order_by(ReplyTemplate.title))).all())


# ---- the index --------------------------------------------------------------------------------


async def test_the_index_links_every_section_and_the_nav_shows_it_only_to_administrators(
    app: Any, maker: Maker
) -> None:
    async with _signed_in(app, maker) as admin:
        index = await admin.get("/staff/admin/")
        assert index.status_code == 200 and "<h1>Quản trị</h1>" in index.text
        for href in (
            "/staff/admin/mau-tra-loi",
            "/staff/admin/ly-do",
            "/staff/admin/linh-vuc",
            "/staff/admin/co-quan",
            "/staff/admin/phan-luong",
            "/staff/admin/bo-phan-loai",
            "/staff/admin/staff",
        ):
            assert f'href="{href}"' in index.text
        queue = await admin.get("/staff/")
        assert 'href="/staff/admin/"' in queue.text
        english = await admin.get("/staff/admin/?lang=en")
        assert "<h1>Administration</h1>" in english.text and "Reply templates" in english.text
        partial = await admin.get("/staff/admin/?lang=vi", headers={"HX-Request": "true"})
        assert "<html" not in partial.text and "<h1>Quản trị</h1>" in partial.text
    async with _signed_in(app, maker, "agency_officer", AGENCY) as officer:
        assert 'href="/staff/admin/"' not in (await officer.get("/staff/")).text


@pytest.mark.parametrize(("role", "agency"), NON_ADMINS)
async def test_no_one_else_opens_or_changes_the_admin_pages(
    app: Any, maker: Maker, role: str, agency: str | None
) -> None:
    async with _signed_in(app, maker, role, agency) as someone:
        for page in (
            "/staff/admin/",
            "/staff/admin/mau-tra-loi",
            "/staff/admin/ly-do",
            "/staff/admin/linh-vuc",
            "/staff/admin/linh-vuc/road_damage",
            "/staff/admin/staff",
            "/staff/admin/co-quan",
            "/staff/admin/co-quan/sawaco",
            "/staff/admin/phan-luong",
            "/staff/admin/bo-phan-loai",
        ):
            r = await someone.get(page)
            assert r.status_code == 403, page
            assert "Không có quyền" in r.text
        token = csrf_of((await someone.get("/staff/")).text)
        posts = {
            "/staff/admin/mau-tra-loi": {"title": "Mẫu lạ", "body": "Xin chào"},
            "/staff/admin/ly-do": {"code": "la", "text_vi": "Lạ", "text_en": "Odd"},
            "/staff/admin/linh-vuc/road_damage": CATEGORY_FORM,
            "/staff/admin/staff": {"email": "moi@example.vn", "role": "coordinator"},
            "/staff/admin/co-quan": {"code": "la", "name": "Lạ", "name_en": "Odd", "kind": "department"},
            "/staff/admin/co-quan/sawaco": {"name": "Lạ", "name_en": "Odd"},
            "/staff/admin/phan-luong": {"category": "road_damage", "receiver": "sawaco", "priority": "9"},
            "/staff/admin/bo-phan-loai/huan-luyen": {},
        }
        for action, data in posts.items():
            r = await someone.post(action, data={"csrf_token": token, **data})
            assert r.status_code == 403, action
    assert await _templates(maker) == []
    assert await _reason(maker, "la") is None
    async with maker() as session:
        road = await session.get(Category, "road_damage")
        assert road is not None and road.deadline_days == 5 and road.name_en == "Road damage, potholes"
        assert await accounts_repo.by_email(session, "moi@example.vn") is None
        assert await session.get(Agency, "la") is None
        sawaco = await session.get(Agency, "sawaco")
        assert sawaco is not None and sawaco.name_en != "Odd"
    assert await _audited(maker, "routing.rule_created") == 0
    assert await _audited(maker, "classifier.trained") == 0


# ---- reply templates ------------------------------------------------------------------------


async def test_an_administrator_creates_edits_and_deletes_a_reply_template(app: Any, maker: Maker) -> None:
    page = "/staff/admin/mau-tra-loi"
    async with _signed_in(app, maker) as admin:
        listing = await admin.get(page)
        assert listing.status_code == 200 and "{ma_phan_anh}" in listing.text
        r = await _post(
            admin,
            page,
            page,
            title="Đã tiếp nhận",
            body="Phản ánh {ma_phan_anh} đã được {co_quan} tiếp nhận, hạn {han_xu_ly}.",
            agency=AGENCY,
            category="road_damage",
            is_active="1",
        )
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=created"
        done = await admin.get(r.headers["location"])
        assert "Đã thêm mẫu trả lời." in done.text and "Đã tiếp nhận" in done.text
        [made] = await _templates(maker)
        assert (made.agency_code, made.category_code, made.is_active) == (AGENCY, "road_damage", True)

        # Seen by the service the JSON API lists with.
        async with maker() as session:
            me = await accounts_repo.by_email(session, admin.headers["x-test-email"])
            assert me is not None
            listed = await replies.list_templates(
                session, account_principal(me), category="road_damage", include_inactive=True
            )
        assert [t.title for t in listed] == ["Đã tiếp nhận"]

        edit = f"{page}/{made.id}"
        form = await admin.get(edit)
        assert form.status_code == 200 and "Đã tiếp nhận" in form.text
        r = await _post(admin, edit, edit, title="Đang xử lý", body="Đang xử lý {ma_phan_anh}.", category="")
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=updated"
        [changed] = await _templates(maker)
        assert (changed.title, changed.category_code, changed.is_active) == ("Đang xử lý", None, False)

        r = await _post(admin, edit, f"{edit}/xoa")
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=deleted"
        assert await _templates(maker) == []
    assert await _audited(maker, "reply_template.created") == 1
    assert await _audited(maker, "reply_template.updated") == 1
    assert await _audited(maker, "reply_template.deleted") == 1


async def test_a_template_with_an_unknown_placeholder_is_shown_again_with_the_error(
    app: Any, maker: Maker
) -> None:
    page = "/staff/admin/mau-tra-loi"
    async with _signed_in(app, maker) as admin:
        r = await _post(admin, page, page, title="Sai", body="Xin chào {ten_nguoi_dan}")
        assert r.status_code == 422
        assert "Chỗ trống không được phép: {ten_nguoi_dan}" in r.text
        assert 'aria-invalid="true"' in r.text and "Xin chào {ten_nguoi_dan}" in r.text  # kept
        r = await _post(admin, page, page, title="", body="Xin chào")
        assert r.status_code == 422 and 'id="title-error"' in r.text
        r = await _post(admin, page, page, title="Cơ quan lạ", body="Xin chào", agency="khong_co")
        assert r.status_code == 422 and "Cần chọn cơ quan xử lý có thật." in r.text
        assert await _templates(maker) == []

        ok = await _post(admin, page, page, title="Đúng", body="Mã {ma_phan_anh}", is_active="1")
        assert ok.status_code == 303
        [made] = await _templates(maker)
        edit = f"{page}/{made.id}"
        r = await _post(admin, edit, edit, title="Đúng", body="Mã {ma}", is_active="1")
        assert r.status_code == 422 and "Chỗ trống không được phép: {ma}" in r.text
        [kept] = await _templates(maker)
        assert kept.body == "Mã {ma_phan_anh}"

        # Without the form's token nothing is done.
        r = await admin.post(page, data={"title": "Không token", "body": "Xin chào"})
        assert r.status_code == 403
        r = await admin.post(f"{edit}/xoa", data={})
        assert r.status_code == 403
        assert [t.title for t in await _templates(maker)] == ["Đúng"]


def _ids(html: str, pattern: str) -> list[str]:
    return re.findall(pattern, html)


# ---- rejection reasons ----------------------------------------------------------------------


async def _reason(maker: Maker, code: str) -> RejectionReason | None:
    async with maker() as session:
        return await session.get(RejectionReason, code)


async def _offered(maker: Maker, admin: httpx.AsyncClient) -> list[str]:
    """The codes an officer is offered: the service the JSON API lists with, active ones only."""
    async with maker() as session:
        me = await accounts_repo.by_email(session, admin.headers["x-test-email"])
        assert me is not None
        found = await replies.list_reasons(session, account_principal(me), include_inactive=False)
        return [r.code for r in found]


async def test_an_administrator_adds_edits_and_takes_a_reason_out_of_use(app: Any, maker: Maker) -> None:
    page = "/staff/admin/ly-do"
    async with _signed_in(app, maker) as admin:
        listing = await admin.get(page)
        assert listing.status_code == 200 and "<h1>Lý do không tiếp nhận</h1>" in listing.text
        r = await _post(
            admin,
            page,
            page,
            code="ngoai_pham_vi",
            text_vi="Ngoài phạm vi",
            text_en="Out of scope",
            sort_order="5",
        )
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=created"
        assert "Đã thêm lý do." in (await admin.get(r.headers["location"])).text
        assert "ngoai_pham_vi" in await _offered(maker, admin)

        edit = f"{page}/ngoai_pham_vi"
        assert "Ngoài phạm vi" in (await admin.get(edit)).text
        r = await _post(
            admin,
            edit,
            edit,
            text_vi="Không thuộc phạm vi",
            text_en="Not ours",
            sort_order="7",
            is_active="1",
        )
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=updated"
        changed = await _reason(maker, "ngoai_pham_vi")
        assert changed is not None and (changed.text_vi, changed.sort_order, changed.is_active) == (
            "Không thuộc phạm vi",
            7,
            True,
        )

        r = await _post(admin, page, f"{edit}/ngung-dung")
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=deactivated"
        assert "ngoai_pham_vi" not in await _offered(maker, admin)
        listing = await admin.get(page)
        assert "ngoai_pham_vi" in listing.text and "/staff/admin/ly-do/ngoai_pham_vi/dung-lai" in listing.text
        r = await _post(admin, page, f"{edit}/dung-lai")
        assert r.status_code == 303 and "ngoai_pham_vi" in await _offered(maker, admin)
    assert await _audited(maker, "rejection_reason.created") == 1
    assert await _audited(maker, "rejection_reason.updated") == 3


async def test_a_bad_reason_is_shown_again_and_nothing_changes(app: Any, maker: Maker) -> None:
    page = "/staff/admin/ly-do"
    async with _signed_in(app, maker) as admin:
        r = await _post(admin, page, page, code="Có Dấu", text_vi="Lý do", text_en="Reason")
        assert r.status_code == 422 and 'id="code-error"' in r.text and 'value="Có Dấu"' in r.text
        r = await _post(admin, page, page, code="trong", text_vi="", text_en="Reason")
        assert r.status_code == 422 and 'id="text_vi-error"' in r.text
        assert await _reason(maker, "trong") is None
        ok = await _post(admin, page, page, code="mot", text_vi="Một", text_en="One")
        assert ok.status_code == 303
        again = await _post(admin, page, page, code="mot", text_vi="Lại", text_en="Again")
        assert again.status_code == 409 and "Mã lý do đã có: mot." in again.text
        edit = f"{page}/mot"
        r = await _post(admin, edit, edit, text_vi="Một", text_en="One", sort_order="-3", is_active="1")
        assert r.status_code == 422 and 'id="sort_order-error"' in r.text
        r = await admin.post(f"{edit}/ngung-dung", data={})
        assert r.status_code == 403
        kept = await _reason(maker, "mot")
        assert kept is not None and (kept.text_vi, kept.sort_order, kept.is_active) == ("Một", 0, True)
    assert await _audited(maker, "rejection_reason.updated") == 0


# ---- categories -----------------------------------------------------------------------------


async def _category(client: httpx.AsyncClient, code: str) -> dict[str, Any]:
    """As the JSON API shows it."""
    r = await client.get("/api/v1/categories")
    assert r.status_code == 200
    [found] = [c for c in r.json() if c["code"] == code]
    return dict(found)


CATEGORY_FORM = {
    "name_vi": "Ổ gà, sụp lún mặt đường",
    "name_en": "Potholes and subsidence",
    "deadline_days": "7",
    "duplicate_radius_m": "80",
    "default_agency": "thoat_nuoc_do_thi",
}


async def test_an_administrator_edits_a_category_and_the_api_shows_it(
    app: Any, client: httpx.AsyncClient, maker: Maker
) -> None:
    page = "/staff/admin/linh-vuc"
    async with _signed_in(app, maker) as admin:
        listing = await admin.get(page)
        assert listing.status_code == 200 and "/staff/admin/linh-vuc/road_damage" in listing.text
        assert "Sở Xây dựng TP.HCM" in listing.text and "5 ngày làm việc" in listing.text
        edit = f"{page}/road_damage"
        form = await admin.get(edit)
        assert form.status_code == 200 and 'value="Hư hỏng mặt đường, ổ gà, sụp lún"' in form.text
        r = await _post(admin, edit, edit, **CATEGORY_FORM)
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=road_damage"
        assert "Đã lưu lĩnh vực road_damage." in (await admin.get(r.headers["location"])).text
        english = await admin.get(f"{page}?lang=en")
        assert "Potholes and subsidence" in english.text and "7 working days" in english.text
    shown = await _category(client, "road_damage")
    assert (shown["name_vi"], shown["name_en"], shown["deadline_days"]) == (
        "Ổ gà, sụp lún mặt đường",
        "Potholes and subsidence",
        7,
    )
    assert (shown["duplicate_radius_m"], shown["default_agency"]) == (80, "thoat_nuoc_do_thi")
    async with maker() as session:
        [entry] = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "category.updated"))
        ).all()
    assert entry.subject_id == "road_damage" and '"deadline_days":{"from":5,"to":7}' in entry.details


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("deadline_days", "0", "deadline_days-error"),
        ("deadline_days", "-2", "deadline_days-error"),
        ("deadline_days", "nhiều", "deadline_days-error"),
        ("duplicate_radius_m", "100000", "duplicate_radius_m-error"),
        ("duplicate_radius_m", "1", "duplicate_radius_m-error"),
        ("default_agency", "khong_co", "Cần chọn cơ quan xử lý có thật."),
        ("name_vi", "   ", "Trường này không được để trống."),
    ],
)
async def test_a_bad_category_edit_is_shown_again_and_changes_nothing(
    app: Any, client: httpx.AsyncClient, maker: Maker, field: str, value: str, message: str
) -> None:
    before = await _category(client, "road_damage")
    edit = "/staff/admin/linh-vuc/road_damage"
    async with _signed_in(app, maker) as admin:
        r = await _post(admin, edit, edit, **{**CATEGORY_FORM, field: value})
        assert r.status_code == 422, r.text
        assert message in r.text and f'id="{field}-error"' in r.text
        assert "Chưa lưu được" in r.text and 'value="Potholes and subsidence"' in r.text  # what was typed
        r = await admin.post(edit, data=CATEGORY_FORM)
        assert r.status_code == 403
        assert (await admin.get("/staff/admin/linh-vuc/khong_co")).status_code == 404
    assert await _category(client, "road_damage") == before
    assert await _audited(maker, "category.updated") == 0


# ---- staff accounts -------------------------------------------------------------------------

PASSWORD_SHOWN = re.compile(r'<code id="initial-password" class="secret">([^<]+)</code>')


async def _account(maker: Maker, email: str) -> Any:
    async with maker() as session:
        return await accounts_repo.by_email(session, email)


async def test_an_administrator_creates_a_staff_account_who_signs_in_with_the_password_shown_once(
    app: Any, maker: Maker
) -> None:
    page = "/staff/admin/staff"
    async with _signed_in(app, maker) as admin:
        r = await _post(
            admin,
            page,
            page,
            email="Moi.CanBo@Example.vn",
            display_name="Nguyễn Văn Mới",
            role="agency_officer",
            agency_code=AGENCY,
        )
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        assert "Đã tạo tài khoản moi.canbo@example.vn." in r.text
        shown = PASSWORD_SHOWN.search(r.text)
        assert shown is not None and len(shown.group(1)) == 19
        again = await admin.get(page)
        assert "moi.canbo@example.vn" in again.text and shown.group(1) not in again.text  # once only
    made = await _account(maker, "moi.canbo@example.vn")
    assert (made.role, made.agency_code, made.display_name, made.is_active) == (
        "agency_officer",
        AGENCY,
        "Nguyễn Văn Mới",
        True,
    )
    assert made.password_hash and shown.group(1) not in made.password_hash
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as browser:
        await page_sign_in(browser, StaffLogin("moi.canbo@example.vn", shown.group(1)))
        assert "<h1>Hàng đợi</h1>" in (await browser.get("/staff/")).text
    assert await _audited(maker, "account.created") == 2  # the administrator's own and this one


async def test_an_administrator_changes_a_role_and_deactivates_an_account(app: Any, maker: Maker) -> None:
    page = "/staff/admin/staff"
    async with _signed_in(app, maker, "agency_officer", AGENCY) as officer, _signed_in(app, maker) as admin:
        email = officer.headers["x-test-email"]
        target = await _account(maker, email)
        edit = f"{page}/{target.id}"
        form = await admin.get(edit)
        assert form.status_code == 200 and email in form.text
        r = await _post(admin, edit, f"{edit}/vai-tro", role="agency_manager", agency_code="sawaco")
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=role"
        assert "Đã đổi vai trò và cơ quan của cán bộ." in (await admin.get(r.headers["location"])).text
        changed = await _account(maker, email)
        assert (changed.role, changed.agency_code) == ("agency_manager", "sawaco")

        # A coordinator belongs to no agency: the form says so and nothing changes.
        r = await _post(admin, edit, f"{edit}/vai-tro", role="coordinator", agency_code="sawaco")
        assert r.status_code == 422 and "Chỉ cán bộ cơ quan mới gắn với một cơ quan." in r.text
        r = await _post(admin, edit, f"{edit}/vai-tro", role="agency_officer", agency_code="")
        assert r.status_code == 422 and 'id="agency_code-error"' in r.text
        r = await _post(admin, edit, f"{edit}/vai-tro", role="vua", agency_code="")
        assert r.status_code == 422 and "Vai trò không hợp lệ: vua." in r.text
        assert (await _account(maker, email)).role == "agency_manager"

        assert (await officer.get("/staff/tai-khoan")).status_code == 200
        r = await _post(admin, edit, f"{edit}/ngung")
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=deactivated"
        assert not (await _account(maker, email)).is_active
        # Their browser session ended with it.
        r = await officer.get("/staff/tai-khoan")
        assert r.status_code == 303 and r.headers["location"].startswith("/staff/?next=")
        listing = await admin.get(page)
        assert "Đã ngừng" in listing.text
        r = await _post(admin, edit, f"{edit}/kich-hoat")
        assert r.status_code == 303 and (await _account(maker, email)).is_active

        # Not the administrator's own account.
        mine = await _account(maker, admin.headers["x-test-email"])
        r = await _post(admin, page, f"{page}/{mine.id}/ngung")
        assert r.status_code == 422 and "Không tự đổi vai trò hay ngừng tài khoản của chính mình." in r.text
        assert (await _account(maker, admin.headers["x-test-email"])).is_active
    for action in ("account.role_changed", "account.deactivated", "account.reactivated"):
        assert await _audited(maker, action) == 1, action


async def test_a_bad_new_account_is_shown_again_and_nothing_is_created(app: Any, maker: Maker) -> None:
    page = "/staff/admin/staff"
    async with _signed_in(app, maker) as admin:
        r = await _post(admin, page, page, email="khong-phai-email", role="coordinator")
        assert r.status_code == 422 and "Địa chỉ email không hợp lệ." in r.text
        assert 'value="khong-phai-email"' in r.text and "initial-password" not in r.text
        r = await _post(admin, page, page, email="co.quan@example.vn", role="agency_officer", agency_code="")
        assert r.status_code == 422 and "Cán bộ cơ quan phải thuộc một cơ quan có thật." in r.text
        r = await _post(admin, page, page, email=admin.headers["x-test-email"], role="coordinator")
        assert r.status_code == 409 and "Email này đã có tài khoản." in r.text
        r = await admin.post(page, data={"email": "khong.token@example.vn", "role": "coordinator"})
        assert r.status_code == 403
    for email in ("co.quan@example.vn", "khong.token@example.vn"):
        assert await _account(maker, email) is None
    assert await _audited(maker, "account.created") == 1


# ---- agencies -------------------------------------------------------------------------------


async def test_an_administrator_adds_and_edits_an_agency_and_the_api_shows_it(
    app: Any, client: httpx.AsyncClient, maker: Maker
) -> None:
    page = "/staff/admin/co-quan"
    async with _signed_in(app, maker) as admin:
        listing = await admin.get(page)
        assert listing.status_code == 200 and "Sở Xây dựng TP.HCM" in listing.text
        r = await _post(
            admin,
            page,
            page,
            code="ban_giao_thong",
            name="Ban Quản lý Giao thông",
            name_en="Traffic Management Board",
            kind="department",
            email="BGT@tphcm.gov.vn",
            phone="028 1234 5678",
        )
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=created"
        assert "Đã thêm cơ quan." in (await admin.get(r.headers["location"])).text
        shown = (await client.get("/api/v1/agencies/ban_giao_thong")).json()
        assert (shown["name"], shown["kind"], shown["email"], shown["area_code"]) == (
            "Ban Quản lý Giao thông",
            "department",
            "bgt@tphcm.gov.vn",
            None,
        )
        edit = f"{page}/ban_giao_thong"
        r = await _post(
            admin,
            edit,
            edit,
            name="Ban Giao thông",
            name_en="Traffic Board",
            email="",
            phone="1022",
            address="",
        )
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=ban_giao_thong"
        shown = (await client.get("/api/v1/agencies/ban_giao_thong")).json()
        assert (shown["name"], shown["name_en"], shown["email"], shown["phone"]) == (
            "Ban Giao thông",
            "Traffic Board",
            None,
            "1022",
        )
    assert await _audited(maker, "agency.created") == 1
    assert await _audited(maker, "agency.updated") == 1


async def test_a_bad_agency_is_shown_again_and_nothing_changes(
    app: Any, client: httpx.AsyncClient, maker: Maker
) -> None:
    page = "/staff/admin/co-quan"
    good = {"code": "moi", "name": "Mới", "name_en": "New", "kind": "department"}
    async with _signed_in(app, maker) as admin:
        for bad, message in (
            ({"code": "so_xay_dung"}, "Mã cơ quan đã có: so_xay_dung."),
            ({"code": "Có Dấu"}, 'id="code-error"'),
            ({"kind": "committee"}, "UBND phải gắn với một đơn vị hành chính có thật."),
            ({"email": "khong-phai-email"}, "Địa chỉ email không hợp lệ."),
            ({"kind": "vu_tru"}, 'id="kind-error"'),
        ):
            r = await _post(admin, page, page, **{**good, **bad})
            assert r.status_code in (409, 422), bad
            assert message in r.text, bad
        edit = f"{page}/sawaco"
        before = (await client.get("/api/v1/agencies/sawaco")).json()
        r = await _post(admin, edit, edit, name=" ", name_en="x", email="", phone="", address="")
        assert r.status_code == 422 and "Trường này không được để trống." in r.text
        r = await admin.post(edit, data={"name": "Không token", "name_en": "No token"})
        assert r.status_code == 403
        assert (await client.get("/api/v1/agencies/sawaco")).json() == before
    assert (await client.get("/api/v1/agencies/moi")).status_code == 404
    assert await _audited(maker, "agency.created") == 0
    assert await _audited(maker, "agency.updated") == 0


# ---- routing rules --------------------------------------------------------------------------


async def _rules(maker: Maker, admin: httpx.AsyncClient, category: str) -> list[Any]:
    """As the routing service lists them for the JSON API."""
    async with maker() as session:
        me = await accounts_repo.by_email(session, admin.headers["x-test-email"])
        assert me is not None
        return list(await rules.list_rules(session, account_principal(me), category))


async def test_an_administrator_adds_takes_out_of_use_and_deletes_a_routing_rule(
    app: Any, maker: Maker
) -> None:
    page = "/staff/admin/phan-luong"
    async with _signed_in(app, maker) as admin:
        listing = await admin.get(page)
        assert listing.status_code == 200 and "<h1>Luật phân luồng</h1>" in listing.text
        before = {r.id for r in await _rules(maker, admin, "road_damage")}
        r = await _post(
            admin,
            page,
            page,
            category="road_damage",
            area_type="xa",
            receiver="sawaco",
            priority="5",
            is_active="1",
        )
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=created"
        [made] = [r for r in await _rules(maker, admin, "road_damage") if r.id not in before]
        assert (made.area_type, made.agency_code, made.to_unit_committee, made.priority, made.is_active) == (
            "xa",
            "sawaco",
            False,
            5,
            True,
        )
        r = await _post(admin, page, page, category="road_damage", receiver="ubnd", priority="1")
        assert r.status_code == 303
        [committee] = [
            r for r in await _rules(maker, admin, "road_damage") if r.id not in before and r.id != made.id
        ]
        assert committee.to_unit_committee and committee.agency_code is None and not committee.is_active

        r = await _post(admin, page, f"{page}/{made.id}/ngung-dung")
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=deactivated"
        assert not next(r for r in await _rules(maker, admin, "road_damage") if r.id == made.id).is_active
        r = await _post(admin, page, f"{page}/{made.id}/xoa")
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=deleted"
        assert made.id not in {r.id for r in await _rules(maker, admin, "road_damage")}
    assert await _audited(maker, "routing.rule_created") == 2
    assert await _audited(maker, "routing.rule_updated") == 1
    assert await _audited(maker, "routing.rule_deleted") == 1


async def test_a_bad_routing_rule_is_shown_again_and_nothing_changes(app: Any, maker: Maker) -> None:
    page = "/staff/admin/phan-luong"
    async with _signed_in(app, maker) as admin:
        before = [r.id for r in await _rules(maker, admin, "road_damage")]
        r = await _post(admin, page, page, category="road_damage", receiver="", priority="0")
        assert r.status_code == 422 and "Chọn đúng một nơi nhận" in r.text and 'id="receiver-error"' in r.text
        r = await _post(admin, page, page, category="road_damage", receiver="khong_co", priority="0")
        assert r.status_code == 422 and "Cần chọn cơ quan xử lý có thật." in r.text
        r = await _post(admin, page, page, category="road_damage", receiver="sawaco", priority="5000")
        assert r.status_code == 422 and 'id="priority-error"' in r.text
        r = await admin.post(page, data={"category": "road_damage", "receiver": "sawaco"})
        assert r.status_code == 403
        assert [r.id for r in await _rules(maker, admin, "road_damage")] == before
    assert await _audited(maker, "routing.rule_created") == 0


# ---- classifier -----------------------------------------------------------------------------


async def test_an_administrator_trains_a_new_classifier_version(
    app: Any, client: httpx.AsyncClient, maker: Maker
) -> None:
    page = "/staff/admin/bo-phan-loai"
    async with maker() as session:
        latest = await routing_repo.latest_version(session)
    assert latest is not None
    async with _signed_in(app, maker) as admin:
        listing = await admin.get(page)
        assert listing.status_code == 200 and f"<td>{latest} <strong>(đang dùng)</strong>" in listing.text
        r = await _post(admin, page, f"{page}/huan-luyen")
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done={latest + 1}"
        done = await admin.get(r.headers["location"])
        assert f"Đã huấn luyện phiên bản {latest + 1}." in done.text
        assert f"<td>{latest + 1} <strong>(đang dùng)</strong>" in done.text
        r = await admin.post(f"{page}/huan-luyen", data={})
        assert r.status_code == 403
    async with maker() as session:
        assert await routing_repo.latest_version(session) == latest + 1
    assert await _audited(maker, "classifier.trained") == 1
