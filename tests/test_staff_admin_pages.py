"""The administrators' pages under /staff/admin/: the index; reply templates, rejection reasons
and categories, each listed, created and edited through the same services as the JSON API;
anyone but an administrator is refused on every admin page and changes nothing; bad input is
shown again with a Vietnamese error and changes nothing; a form without its token is refused.
Staff accounts are in test_staff_admin_accounts.py; agencies, routing rules and units in
test_staff_admin_routing.py, the classifier in test_staff_admin_classifier.py."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from congdan.accounts import repository as accounts_repo
from congdan.models import Agency, AuditEntry, Category, RejectionReason, ReplyTemplate
from congdan.workbench import replies
from tests.staff_admin_support import (
    AGENCY,
    NON_ADMINS,
    Maker,
    audited,
    categories_restored,
    post_form,
    principal_of,
    signed_in,
)
from tests.staff_support import csrf_of


async def _templates(maker: Maker) -> list[ReplyTemplate]:
    async with maker() as session:
        return list((await session.scalars(select(ReplyTemplate).order_by(ReplyTemplate.title))).all())


# ---- the index --------------------------------------------------------------------------------


async def test_the_index_links_every_section_and_the_nav_shows_it_only_to_administrators(
    app: Any, maker: Maker
) -> None:
    async with signed_in(app, maker) as admin:
        index = await admin.get("/staff/admin/")
        assert index.status_code == 200 and "<h1>Quản trị</h1>" in index.text
        for href in (
            "/staff/admin/mau-tra-loi",
            "/staff/admin/ly-do",
            "/staff/admin/linh-vuc",
            "/staff/admin/co-quan",
            "/staff/admin/phan-luong",
            "/staff/admin/bo-phan-loai",
            "/staff/admin/don-vi",
            "/staff/admin/staff",
        ):
            assert f'href="{href}"' in index.text
        queue = await admin.get("/staff/")
        assert 'href="/staff/admin/"' in queue.text
        english = await admin.get("/staff/admin/?lang=en")
        assert "<h1>Administration</h1>" in english.text and "Reply templates" in english.text
        partial = await admin.get("/staff/admin/?lang=vi", headers={"HX-Request": "true"})
        assert "<html" not in partial.text and "<h1>Quản trị</h1>" in partial.text
    async with signed_in(app, maker, "agency_officer", AGENCY) as officer:
        assert 'href="/staff/admin/"' not in (await officer.get("/staff/")).text


@pytest.mark.parametrize(("role", "agency"), NON_ADMINS)
async def test_no_one_else_opens_or_changes_the_admin_pages(
    app: Any, maker: Maker, role: str, agency: str | None
) -> None:
    async with signed_in(app, maker, role, agency) as someone:
        # A manager opens the templates page for their own agency (test_staff_admin_templates.py);
        # a template for every agency, as posted below, is still refused them.
        templates = () if role == "agency_manager" else ("/staff/admin/mau-tra-loi",)
        for page in (
            "/staff/admin/",
            *templates,
            "/staff/admin/ly-do",
            "/staff/admin/linh-vuc",
            "/staff/admin/linh-vuc/road_damage",
            "/staff/admin/staff",
            "/staff/admin/co-quan",
            "/staff/admin/co-quan/sawaco",
            "/staff/admin/phan-luong",
            "/staff/admin/bo-phan-loai",
            "/staff/admin/don-vi",
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
            "/staff/admin/bo-phan-loai/kich-hoat": {"version": "1"},
            "/staff/admin/don-vi/ranh-gioi": {"code_property": "ma_xa"},
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
    assert await audited(maker, "routing.rule_created") == 0
    assert await audited(maker, "classifier.trained") == 0
    assert await audited(maker, "classifier.training_queued") == 0
    assert await audited(maker, "classifier.activated") == 0
    assert await audited(maker, "areas.boundaries_imported") == 0


@pytest_asyncio.fixture(autouse=True)
async def _categories_put_back(maker: Maker) -> AsyncIterator[None]:
    async with categories_restored(maker):
        yield


# ---- reply templates ------------------------------------------------------------------------


async def test_an_administrator_creates_edits_and_deletes_a_reply_template(app: Any, maker: Maker) -> None:
    page = "/staff/admin/mau-tra-loi"
    async with signed_in(app, maker) as admin:
        listing = await admin.get(page)
        assert listing.status_code == 200 and "{ma_phan_anh}" in listing.text
        r = await post_form(
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
        assert "Sở Xây dựng TP.HCM" in done.text and "Hư hỏng mặt đường, ổ gà, sụp lún" in done.text
        [made] = await _templates(maker)
        assert (made.agency_code, made.category_code, made.is_active) == (AGENCY, "road_damage", True)

        # Seen by the service the JSON API lists with.
        me = await principal_of(maker, admin)
        async with maker() as session:
            listed = await replies.list_templates(session, me, category="road_damage", include_inactive=True)
        assert [t.title for t in listed] == ["Đã tiếp nhận"]

        edit = f"{page}/{made.id}"
        form = await admin.get(edit)
        assert form.status_code == 200 and "Đã tiếp nhận" in form.text
        r = await post_form(
            admin, edit, edit, title="Đang xử lý", body="Đang xử lý {ma_phan_anh}.", category=""
        )
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=updated"
        [changed] = await _templates(maker)
        assert (changed.title, changed.category_code, changed.is_active) == ("Đang xử lý", None, False)

        r = await post_form(admin, edit, f"{edit}/xoa")
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=deleted"
        assert await _templates(maker) == []
    assert await audited(maker, "reply_template.created") == 1
    assert await audited(maker, "reply_template.updated") == 1
    assert await audited(maker, "reply_template.deleted") == 1


async def test_a_template_with_an_unknown_placeholder_is_shown_again_with_the_error(
    app: Any, maker: Maker
) -> None:
    page = "/staff/admin/mau-tra-loi"
    async with signed_in(app, maker) as admin:
        r = await post_form(admin, page, page, title="Sai", body="Xin chào {ten_nguoi_dan}")
        assert r.status_code == 422
        assert "Chỗ trống không được phép: {ten_nguoi_dan}" in r.text
        assert 'aria-invalid="true"' in r.text and "Xin chào {ten_nguoi_dan}" in r.text  # kept
        r = await post_form(admin, page, page, title="", body="Xin chào")
        assert r.status_code == 422 and 'id="title-error"' in r.text
        r = await post_form(admin, page, page, title="Cơ quan lạ", body="Xin chào", agency="khong_co")
        assert r.status_code == 422 and "Cần chọn cơ quan xử lý có thật." in r.text
        assert await _templates(maker) == []

        ok = await post_form(admin, page, page, title="Đúng", body="Mã {ma_phan_anh}", is_active="1")
        assert ok.status_code == 303
        [made] = await _templates(maker)
        edit = f"{page}/{made.id}"
        r = await post_form(admin, edit, edit, title="Đúng", body="Mã {ma}", is_active="1")
        assert r.status_code == 422 and "Chỗ trống không được phép: {ma}" in r.text
        [kept] = await _templates(maker)
        assert kept.body == "Mã {ma_phan_anh}"

        # Without the form's token nothing is done.
        r = await admin.post(page, data={"title": "Không token", "body": "Xin chào"})
        assert r.status_code == 403
        r = await admin.post(f"{edit}/xoa", data={})
        assert r.status_code == 403
        assert [t.title for t in await _templates(maker)] == ["Đúng"]


# ---- rejection reasons ----------------------------------------------------------------------


async def _reason(maker: Maker, code: str) -> RejectionReason | None:
    async with maker() as session:
        return await session.get(RejectionReason, code)


async def _offered(maker: Maker, admin: httpx.AsyncClient) -> list[str]:
    """The codes staff are offered: the service the JSON API lists with, active ones only."""
    me = await principal_of(maker, admin)
    async with maker() as session:
        found = await replies.list_reasons(session, me, include_inactive=False)
        return [r.code for r in found]


async def test_an_administrator_adds_edits_and_takes_a_reason_out_of_use(app: Any, maker: Maker) -> None:
    page = "/staff/admin/ly-do"
    async with signed_in(app, maker) as admin:
        listing = await admin.get(page)
        assert listing.status_code == 200 and "<h1>Lý do không tiếp nhận</h1>" in listing.text
        r = await post_form(
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
        r = await post_form(
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

        r = await post_form(admin, page, f"{edit}/ngung-dung")
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=deactivated"
        assert "ngoai_pham_vi" not in await _offered(maker, admin)
        listing = await admin.get(page)
        assert "ngoai_pham_vi" in listing.text and "/staff/admin/ly-do/ngoai_pham_vi/dung-lai" in listing.text
        r = await post_form(admin, page, f"{edit}/dung-lai")
        assert r.status_code == 303 and "ngoai_pham_vi" in await _offered(maker, admin)
    assert await audited(maker, "rejection_reason.created") == 1
    assert await audited(maker, "rejection_reason.updated") == 3


async def test_a_bad_reason_is_shown_again_and_nothing_changes(app: Any, maker: Maker) -> None:
    page = "/staff/admin/ly-do"
    async with signed_in(app, maker) as admin:
        r = await post_form(admin, page, page, code="Có Dấu", text_vi="Lý do", text_en="Reason")
        assert r.status_code == 422 and 'id="code-error"' in r.text and 'value="Có Dấu"' in r.text
        r = await post_form(admin, page, page, code="trong", text_vi="", text_en="Reason")
        assert r.status_code == 422 and 'id="text_vi-error"' in r.text
        assert await _reason(maker, "trong") is None
        ok = await post_form(admin, page, page, code="mot", text_vi="Một", text_en="One")
        assert ok.status_code == 303
        again = await post_form(admin, page, page, code="mot", text_vi="Lại", text_en="Again")
        assert again.status_code == 409 and "Mã lý do đã có: mot." in again.text
        edit = f"{page}/mot"
        r = await post_form(admin, edit, edit, text_vi="Một", text_en="One", sort_order="-3", is_active="1")
        assert r.status_code == 422 and 'id="sort_order-error"' in r.text
        r = await admin.post(f"{edit}/ngung-dung", data={})
        assert r.status_code == 403
        kept = await _reason(maker, "mot")
        assert kept is not None and (kept.text_vi, kept.sort_order, kept.is_active) == ("Một", 0, True)
    assert await audited(maker, "rejection_reason.updated") == 0


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
    async with signed_in(app, maker) as admin:
        listing = await admin.get(page)
        assert listing.status_code == 200 and "/staff/admin/linh-vuc/road_damage" in listing.text
        assert "Sở Xây dựng TP.HCM" in listing.text and "5 ngày làm việc" in listing.text
        edit = f"{page}/road_damage"
        form = await admin.get(edit)
        assert form.status_code == 200 and 'value="Hư hỏng mặt đường, ổ gà, sụp lún"' in form.text
        # The browser checks the limits too: real attributes, not escaped text.
        assert re.search(r'id="deadline_days"[^>]* min="1" max="\d+"', form.text), form.text
        assert "&#34;" not in form.text
        r = await post_form(admin, edit, edit, **CATEGORY_FORM)
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
    async with signed_in(app, maker) as admin:
        r = await post_form(admin, edit, edit, **{**CATEGORY_FORM, field: value})
        assert r.status_code == 422, r.text
        assert message in r.text and f'id="{field}-error"' in r.text
        assert "Chưa lưu được" in r.text and 'value="Potholes and subsidence"' in r.text  # what was typed
        r = await admin.post(edit, data=CATEGORY_FORM)
        assert r.status_code == 403
        assert (await admin.get("/staff/admin/linh-vuc/khong_co")).status_code == 404
    assert await _category(client, "road_damage") == before
    assert await audited(maker, "category.updated") == 0
