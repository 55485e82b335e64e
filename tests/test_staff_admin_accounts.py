"""The administrators' page of staff accounts: a new account with its initial password shown
once (and signing in with it), role and agency changes, deactivating and reactivating; bad input
shown again with the service's error, nothing created or changed."""

from __future__ import annotations

import re
from typing import Any

import httpx

from congdan.accounts import repository as accounts_repo
from tests.staff_admin_support import AGENCY, Maker, audited, post_form, signed_in
from tests.staff_support import StaffLogin, page_sign_in

# ---- staff accounts -------------------------------------------------------------------------

PASSWORD_SHOWN = re.compile(r'<code id="initial-password" class="secret">([^<]+)</code>')


async def _account(maker: Maker, email: str) -> Any:
    async with maker() as session:
        return await accounts_repo.by_email(session, email)


async def test_an_administrator_creates_a_staff_account_who_signs_in_with_the_password_shown_once(
    app: Any, maker: Maker
) -> None:
    page = "/staff/admin/staff"
    async with signed_in(app, maker) as admin:
        r = await post_form(
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
    assert await audited(maker, "account.created") == 2  # the administrator's own and this one


async def test_an_administrator_changes_a_role_and_deactivates_an_account(app: Any, maker: Maker) -> None:
    page = "/staff/admin/staff"
    async with signed_in(app, maker, "agency_officer", AGENCY) as officer, signed_in(app, maker) as admin:
        email = officer.headers["x-test-email"]
        target = await _account(maker, email)
        edit = f"{page}/{target.id}"
        form = await admin.get(edit)
        assert form.status_code == 200 and email in form.text
        r = await post_form(admin, edit, f"{edit}/vai-tro", role="agency_manager", agency_code="sawaco")
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=role"
        assert "Đã đổi vai trò và cơ quan của cán bộ." in (await admin.get(r.headers["location"])).text
        changed = await _account(maker, email)
        assert (changed.role, changed.agency_code) == ("agency_manager", "sawaco")

        # A coordinator belongs to no agency: the form says so and nothing changes.
        r = await post_form(admin, edit, f"{edit}/vai-tro", role="coordinator", agency_code="sawaco")
        assert r.status_code == 422 and "Chỉ cán bộ cơ quan mới gắn với một cơ quan." in r.text
        r = await post_form(admin, edit, f"{edit}/vai-tro", role="agency_officer", agency_code="")
        assert r.status_code == 422 and 'id="agency_code-error"' in r.text
        r = await post_form(admin, edit, f"{edit}/vai-tro", role="vua", agency_code="")
        assert r.status_code == 422 and "Vai trò không hợp lệ: vua." in r.text
        assert (await _account(maker, email)).role == "agency_manager"

        assert (await officer.get("/staff/tai-khoan")).status_code == 200
        r = await post_form(admin, edit, f"{edit}/ngung")
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=deactivated"
        assert not (await _account(maker, email)).is_active
        # Their browser session ended with it.
        r = await officer.get("/staff/tai-khoan")
        assert r.status_code == 303 and r.headers["location"].startswith("/staff/?next=")
        listing = await admin.get(page)
        assert "Đã ngừng" in listing.text
        r = await post_form(admin, edit, f"{edit}/kich-hoat")
        assert r.status_code == 303 and (await _account(maker, email)).is_active

        # Not the administrator's own account.
        mine = await _account(maker, admin.headers["x-test-email"])
        r = await post_form(admin, page, f"{page}/{mine.id}/ngung")
        assert r.status_code == 422 and "Không tự đổi vai trò hay ngừng tài khoản của chính mình." in r.text
        assert (await _account(maker, admin.headers["x-test-email"])).is_active
    for action in ("account.role_changed", "account.deactivated", "account.reactivated"):
        assert await audited(maker, action) == 1, action


async def test_a_bad_new_account_is_shown_again_and_nothing_is_created(app: Any, maker: Maker) -> None:
    page = "/staff/admin/staff"
    async with signed_in(app, maker) as admin:
        r = await post_form(admin, page, page, email="khong-phai-email", role="coordinator")
        assert r.status_code == 422 and "Địa chỉ email không hợp lệ." in r.text
        assert 'value="khong-phai-email"' in r.text and "initial-password" not in r.text
        r = await post_form(
            admin, page, page, email="co.quan@example.vn", role="agency_officer", agency_code=""
        )
        assert r.status_code == 422 and "Cán bộ cơ quan phải thuộc một cơ quan có thật." in r.text
        r = await post_form(admin, page, page, email=admin.headers["x-test-email"], role="coordinator")
        assert r.status_code == 409 and "Email này đã có tài khoản." in r.text
        r = await admin.post(page, data={"email": "khong.token@example.vn", "role": "coordinator"})
        assert r.status_code == 403
    for email in ("co.quan@example.vn", "khong.token@example.vn"):
        assert await _account(maker, email) is None
    assert await audited(maker, "account.created") == 1
