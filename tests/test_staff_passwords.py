"""A staff member's password: changed on their account page (the current one first, counted like a
sign-in when wrong; their other sessions and tokens end, this one stays), and reset by an
administrator to a one-time password shown once, after which the workbench opens nothing but the
page to choose a new one."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts import repository as accounts_repo
from congdan.accounts.passwords import verify_password
from congdan.app import create_app
from congdan.config import Settings
from congdan.models import AuditEntry
from tests.conftest import PASSWORD
from tests.staff_admin_support import audited
from tests.staff_support import csrf_of, make_staff, page_sign_in

Maker = async_sessionmaker[AsyncSession]
PAGE = "/staff/tai-khoan/mat-khau"
NEW = "mat-khau-moi-cua-toi"
ONE_TIME = re.compile(r'<code id="one-time-password" class="secret">([^<]+)</code>')


def _client(app: Any, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def _change(
    browser: httpx.AsyncClient, current: str, new: str, again: str | None = None
) -> httpx.Response:
    token = csrf_of((await browser.get(PAGE)).text)
    data = {"csrf_token": token, "current_password": current, "new_password": new}
    return await browser.post(PAGE, data={**data, "new_password_again": new if again is None else again})


async def _hash(maker: Maker, email: str) -> str | None:
    async with maker() as session:
        account = await accounts_repo.by_email(session, email)
        assert account is not None
        return account.password_hash


async def test_a_staff_member_changes_their_password_and_their_other_sessions_end(
    client: httpx.AsyncClient, maker: Maker
) -> None:
    app = client._transport.app  # type: ignore[attr-defined]
    login = await make_staff(maker)
    await page_sign_in(client, login)
    bearer = await login.headers(client)
    async with _client(app) as laptop:
        await page_sign_in(laptop, login)
        page = await client.get("/staff/tai-khoan")
        assert f'href="{PAGE}"' in page.text
        form = await client.get(PAGE)
        assert form.status_code == 200 and 'autocomplete="new-password" minlength="10"' in form.text
        before = await _hash(maker, login.email)

        r = await _change(client, "khong-dung-mat-khau", NEW)
        assert r.status_code == 422 and "Mật khẩu hiện tại không đúng." in r.text
        assert 'id="current_password-error"' in r.text
        r = await _change(client, PASSWORD, "ngan")
        assert r.status_code == 422 and "Mật khẩu phải có ít nhất 10 ký tự." in r.text
        r = await _change(client, PASSWORD, NEW, again=NEW + "x")
        assert r.status_code == 422 and "Hai lần nhập mật khẩu mới không khớp." in r.text
        r = await _change(client, PASSWORD, PASSWORD)
        assert r.status_code == 422 and "Mật khẩu mới phải khác mật khẩu hiện tại." in r.text
        r = await client.post(PAGE, data={"current_password": PASSWORD, "new_password": NEW})
        assert r.status_code == 403  # no form token
        assert await _hash(maker, login.email) == before
        # The wrong current password was counted like a failed sign-in, and kept.
        assert await audited(maker, "auth.staff_login_failed") == 1

        r = await _change(client, PASSWORD, NEW)
        assert r.status_code == 303 and r.headers["location"] == "/staff/tai-khoan?done=password"
        done = await client.get(r.headers["location"])
        assert done.status_code == 200 and "Đã đổi mật khẩu." in done.text
        assert done.text.count("/thu-hoi") == 1  # this session only
        assert (await laptop.get("/staff/tai-khoan")).status_code == 303
        assert (await client.get("/api/v1/staff/queue", headers=bearer)).status_code == 401
    assert verify_password(await _hash(maker, login.email), NEW)
    assert await audited(maker, "auth.password_changed") == 1
    # The old password is wrong now; the new one passes the first step and asks for the code.
    old = await client.post("/api/v1/auth/login", json={"email": login.email, "password": PASSWORD})
    assert old.status_code == 401 and old.json()["type"] == "/problems/unauthorized"
    new = await client.post("/api/v1/auth/login", json={"email": login.email, "password": NEW})
    assert new.json()["type"] == "/problems/second-factor-required"


async def test_a_password_page_needs_a_signed_in_staff_member(client: httpx.AsyncClient) -> None:
    r = await client.get(PAGE)
    assert r.status_code == 303 and r.headers["location"].startswith("/staff/?next=")


@pytest_asyncio.fixture
async def limited(settings: Settings) -> AsyncIterator[Any]:
    s = settings.model_copy(
        update={
            "rate_limits_enabled": True,
            "rate_limits": {"login_target": "3/hour"},
            "rate_limit_key_prefix": uuid.uuid4().hex,
        }
    )
    app = create_app(s, run_worker=False)
    async with app.router.lifespan_context(app):
        yield app


async def test_wrong_current_passwords_count_against_the_sign_in_lock(limited: Any) -> None:
    maker = limited.state.sessionmaker
    login = await make_staff(maker)
    async with _client(limited, "10.72.0.1") as owner:
        await page_sign_in(owner, login)
        statuses = [(await _change(owner, f"doan-sai-{i}", NEW)).status_code for i in range(4)]
        assert statuses == [422, 422, 422, 429]
        assert "Có quá nhiều lần đăng nhập sai" in (await _change(owner, PASSWORD, NEW)).text
    async with _client(limited, "10.72.0.2") as elsewhere:
        page = await elsewhere.get("/staff/")
        r = await elsewhere.post(
            "/staff/dang-nhap",
            data={"csrf_token": csrf_of(page.text), "email": login.email, "password": PASSWORD},
        )
        assert r.status_code == 429
    assert verify_password(await _hash(maker, login.email), PASSWORD)
    assert await audited(maker, "auth.locked") == 1


async def test_an_administrator_resets_a_password_and_the_next_sign_in_must_choose_one(
    client: httpx.AsyncClient, maker: Maker
) -> None:
    app = client._transport.app  # type: ignore[attr-defined]
    login = await make_staff(maker)
    await page_sign_in(client, login)
    bearer = await login.headers(client)
    admin = await make_staff(maker, role="admin", agency=None)
    async with _client(app) as admin_browser:
        await page_sign_in(admin_browser, admin)
        async with maker() as session:
            target = await accounts_repo.by_email(session, login.email)
            me = await accounts_repo.by_email(session, admin.email)
        assert target is not None and me is not None
        edit = f"/staff/admin/staff/{target.id}"
        form = await admin_browser.get(edit)
        assert f'action="{edit}/dat-lai-mat-khau"' in form.text
        r = await admin_browser.post(f"{edit}/dat-lai-mat-khau", data={"csrf_token": csrf_of(form.text)})
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        shown = ONE_TIME.search(r.text)
        assert shown is not None and len(shown.group(1)) == 19
        assert shown.group(1) not in (await admin_browser.get(edit)).text  # once only

        # Not one's own: that is changed on the account page.
        mine = await admin_browser.get(f"/staff/admin/staff/{me.id}")
        assert "dat-lai-mat-khau" not in mine.text
        r = await admin_browser.post(
            f"/staff/admin/staff/{me.id}/dat-lai-mat-khau", data={"csrf_token": csrf_of(mine.text)}
        )
        assert r.status_code == 422 and "Mật khẩu của chính mình thì đổi ở trang Tài khoản." in r.text
    async with _client(app) as officer_browser:
        # A non-administrator may not reset anyone's.
        await page_sign_in(officer_browser, await make_staff(maker))
        page = await officer_browser.get("/staff/tai-khoan")
        r = await officer_browser.post(
            f"/staff/admin/staff/{me.id}/dat-lai-mat-khau", data={"csrf_token": csrf_of(page.text)}
        )
        assert r.status_code == 403
    assert verify_password(await _hash(maker, admin.email), PASSWORD)

    # Every session and token of the member ended; the old password no longer works.
    assert (await client.get("/staff/tai-khoan")).status_code == 303
    assert (await client.get("/api/v1/staff/queue", headers=bearer)).status_code == 401
    assert not verify_password(await _hash(maker, login.email), PASSWORD)

    # The one-time password is refused on the API and, on the pages, opens only the password page.
    login.password = shown.group(1)
    r = await client.post(
        "/api/v1/auth/login",
        json={"email": login.email, "password": login.password, "totp": login.fresh_code()},
    )
    assert r.status_code == 403 and r.json()["type"] == "/problems/password-change-required"
    # The refusal kept nothing, so the same code still signs in on the pages.
    assert login.last_step is not None
    login.last_step -= 1
    async with _client(app) as browser:
        answer = await page_sign_in(browser, login)
        assert answer.status_code == 303 and answer.headers["location"] == PAGE
        for elsewhere in ("/staff/", "/staff/tai-khoan", "/staff/admin/staff", "/staff/reports/monthly"):
            r = await browser.get(elsewhere)
            assert (r.status_code, r.headers.get("location")) == (303, PAGE), elsewhere
        r = await browser.get("/staff/tai-khoan", headers={"hx-request": "true"})
        assert r.status_code == 401 and r.headers["hx-redirect"] == PAGE
        assert (await browser.get("/api/v1/agencies/so_xay_dung/queue/live")).status_code in (401, 403)
        forced = await browser.get(PAGE)
        assert forced.status_code == 200 and "Quản trị viên đã đặt lại mật khẩu của bạn." in forced.text
        r = await _change(browser, login.password, NEW)
        assert r.status_code == 303
        assert "<h1>Hàng đợi</h1>" in (await browser.get("/staff/")).text
    async with maker() as session:
        account = await accounts_repo.by_email(session, login.email)
        assert account is not None and not account.must_change_password
        rows = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.subject_id == str(account.id)).order_by(AuditEntry.seq)
            )
        ).all()
    reset = next(row for row in rows if row.action == "auth.password_reset")
    assert reset.actor_id == me.id
    changed = [row.details for row in rows if row.action == "auth.password_changed"]
    assert len(changed) == 1 and '"after_reset":true' in changed[0]
