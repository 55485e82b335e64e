"""The workbench sign-in pages: enrolment with a QR code, sessions that expire and can be revoked,
CSRF on every form, the sign-in redirect of workbench pages, and live updates by cookie."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.models import AuditEntry
from tests.conftest import PASSWORD, Actors
from tests.resident_pages_support import sign_in as resident_sign_in
from tests.staff_support import csrf_of, make_staff, page_sign_in

Maker = async_sessionmaker[AsyncSession]


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


class Clock:
    """The app's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(app: Any) -> Iterator[Clock]:
    original = app.state.clock
    app.state.clock = fixed = Clock()
    yield fixed
    app.state.clock = original


async def test_first_sign_in_enrols_with_a_qr_code_then_shows_the_queue(
    client: httpx.AsyncClient, maker: Maker
) -> None:
    login = await make_staff(maker)
    answer = await page_sign_in(client, login)
    assert len(set(login.recovery_codes)) == 10
    assert "Mã khôi phục của bạn" in answer.text
    cookie = answer.cookies.get("congdan_staff_session") or client.cookies.get("congdan_staff_session")
    assert cookie
    home = await client.get("/staff/")
    assert "<h1>Hàng đợi</h1>" in home.text and login.email in home.text
    assert "Sở Xây dựng" in home.text  # the agency's name in the header
    english = await client.get("/staff/?lang=en")
    assert '<html lang="en">' in english.text and "<h1>Queue</h1>" in english.text

    # The second sign-in, in another browser, asks for the code without showing the secret.
    async with _client(client._transport.app) as other:  # type: ignore[attr-defined]
        r = await page_sign_in(other, login)
        assert r.status_code == 303 and r.headers["location"] == "/staff/"
    async with maker() as session:
        actions = (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq))).all()
    assert [a for a in actions if a.startswith("auth.")] == [
        "auth.factor_enrolled",
        "auth.staff_login",
        "auth.staff_login",
    ]


async def test_the_enrolment_page_draws_the_qr_code_itself(client: httpx.AsyncClient, maker: Maker) -> None:
    login = await make_staff(maker)
    page = await client.get("/staff/")
    await client.post(
        "/staff/dang-nhap",
        data={"csrf_token": csrf_of(page.text), "email": login.email, "password": PASSWORD},
    )
    factor = await client.get("/staff/xac-thuc")
    assert "<svg" in factor.text and "<img" not in factor.text
    assert "Mã QR để thêm tài khoản vào ứng dụng xác thực" in factor.text
    # Not signed in yet: workbench pages still send the browser to the sign-in page.
    r = await client.get("/staff/tai-khoan")
    assert r.status_code == 303 and r.headers["location"] == "/staff/?next=/staff/tai-khoan"


async def test_wrong_password_and_wrong_code_say_so_on_the_page(
    client: httpx.AsyncClient, maker: Maker
) -> None:
    login = await make_staff(maker)
    page = await client.get("/staff/")
    wrong = await client.post(
        "/staff/dang-nhap",
        data={"csrf_token": csrf_of(page.text), "email": login.email, "password": "sai"},
    )
    assert wrong.status_code == 401 and "Email hoặc mật khẩu không đúng." in wrong.text
    await page_sign_in(client, login)
    async with _client(client._transport.app) as other:  # type: ignore[attr-defined]
        page = await other.get("/staff/")
        await other.post(
            "/staff/dang-nhap",
            data={"csrf_token": csrf_of(page.text), "email": login.email, "password": PASSWORD},
        )
        factor = await other.get("/staff/xac-thuc")
        bad = await other.post("/staff/xac-thuc", data={"csrf_token": csrf_of(factor.text), "code": "12345"})
        assert bad.status_code == 401 and "Mã xác thực không đúng" in bad.text


async def test_forms_without_the_token_are_refused(client: httpx.AsyncClient, maker: Maker) -> None:
    login = await make_staff(maker)
    r = await client.post("/staff/dang-nhap", data={"email": login.email, "password": PASSWORD})
    assert r.status_code == 403
    await page_sign_in(client, login)
    assert (await client.post("/staff/dang-xuat", data={})).status_code == 403
    assert (await client.get("/staff/")).text.count("Hàng đợi") >= 1  # still signed in
    home = await client.get("/staff/")
    out = await client.post("/staff/dang-xuat", data={"csrf_token": csrf_of(home.text)})
    assert out.status_code == 303
    assert (await client.get("/staff/tai-khoan")).status_code == 303


async def test_htmx_requests_are_told_where_to_sign_in(client: httpx.AsyncClient) -> None:
    r = await client.get("/staff/tai-khoan?tab=1", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["hx-redirect"] == "/staff/?next=/staff/tai-khoan%3Ftab%3D1"


async def test_idle_and_absolute_expiry(client: httpx.AsyncClient, maker: Maker, clock: Clock) -> None:
    login = await make_staff(maker)
    await page_sign_in(client, login, now=clock.now.timestamp())
    for _ in range(2):
        clock.advance(minutes=29)
        assert (await client.get("/staff/tai-khoan")).status_code == 200  # each visit counts
    clock.advance(minutes=31)
    assert (await client.get("/staff/tai-khoan")).status_code == 303

    async with _client(client._transport.app) as other:  # type: ignore[attr-defined]
        await page_sign_in(other, login, now=clock.now.timestamp())
        for _ in range(28):  # busy all day, never idle for long
            clock.advance(minutes=25)
            assert (await other.get("/staff/tai-khoan")).status_code == 200
        clock.advance(minutes=25)  # 12 h 5 min after signing in
        assert (await other.get("/staff/tai-khoan")).status_code == 303


async def test_sessions_are_listed_and_revoked_by_their_owner_and_by_an_administrator(
    client: httpx.AsyncClient, maker: Maker
) -> None:
    app = client._transport.app  # type: ignore[attr-defined]
    login = await make_staff(maker)
    await page_sign_in(client, login)
    async with _client(app) as laptop, _client(app) as admin_browser:
        await page_sign_in(laptop, login)
        mine = await client.get("/staff/tai-khoan", headers={"user-agent": "Firefox desktop"})
        assert mine.text.count("/thu-hoi") == 2 and "phiên này" in mine.text
        assert "Còn 10 mã khôi phục chưa dùng." in mine.text
        # Revoke the other one (the one not marked as this session).
        rows = mine.text.split("<tr>")[2:]
        other_row = next(row for row in rows if "phiên này" not in row)
        action = other_row.split('action="')[1].split('"')[0]
        assert (await client.post(action, data={"csrf_token": csrf_of(mine.text)})).status_code == 303
        assert (await laptop.get("/staff/tai-khoan")).status_code == 303
        assert (await client.get("/staff/tai-khoan")).status_code == 200

        admin = await make_staff(maker, role="admin", agency=None)
        await page_sign_in(admin_browser, admin)
        listing = await admin_browser.get("/staff/admin/staff")
        assert login.email in listing.text and "Cán bộ xử lý" in listing.text
        me = (await client.get("/staff/tai-khoan")).text
        assert login.email in me
        account_id = listing.text.split(login.email)[1].split("/staff/admin/staff/")[1].split("/")[0]
        r = await admin_browser.post(
            f"/staff/admin/staff/{account_id}/thu-hoi-phien", data={"csrf_token": csrf_of(listing.text)}
        )
        assert r.status_code == 303 and r.headers["location"] == "/staff/admin/staff?done=revoked"
        assert (await client.get("/staff/tai-khoan")).status_code == 303
        # Not for anyone else: an officer may not open the administrators' page.
        async with _client(app) as officer:
            await page_sign_in(officer, login)
            assert (await officer.get("/staff/admin/staff")).status_code == 403
    async with maker() as session:
        revoked = (
            await session.scalars(
                select(AuditEntry.details)
                .where(AuditEntry.action == "auth.session_revoked")
                .order_by(AuditEntry.seq)
            )
        ).all()
    assert ['"by":"owner"' in d for d in revoked] == [True, False]


async def test_an_administrator_resets_a_factor_and_unlocks_on_the_page(
    client: httpx.AsyncClient, maker: Maker
) -> None:
    login = await make_staff(maker)
    await page_sign_in(client, login)
    admin = await make_staff(maker, role="admin", agency=None)
    async with _client(client._transport.app) as admin_browser:  # type: ignore[attr-defined]
        await page_sign_in(admin_browser, admin)
        listing = await admin_browser.get("/staff/admin/staff")
        account_id = listing.text.split(login.email)[1].split("/staff/admin/staff/")[1].split("/")[0]
        for action, done in (("dat-lai-xac-thuc", "reset"), ("mo-khoa", "unlocked")):
            r = await admin_browser.post(
                f"/staff/admin/staff/{account_id}/{action}", data={"csrf_token": csrf_of(listing.text)}
            )
            assert r.headers["location"] == f"/staff/admin/staff?done={done}"
    async with maker() as session:
        rows = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.subject_id == account_id).order_by(AuditEntry.seq)
            )
        ).all()
    assert [r.action for r in rows][-2:] == ["auth.factor_reset", "auth.unlocked"]
    # The next sign-in enrols again.
    async with _client(client._transport.app) as again:  # type: ignore[attr-defined]
        answer = await page_sign_in(again, login)
        assert answer.status_code == 200 and len(login.recovery_codes) == 10


async def test_a_resident_sign_in_in_the_same_browser_leaves_the_staff_session_alone(
    client: httpx.AsyncClient, maker: Maker, actors: Actors
) -> None:
    """Staff and residents have a cookie each: a resident's sign-in and sign-out in the browser a
    staff member works in neither replaces nor ends the staff session."""
    login = await make_staff(maker)
    await page_sign_in(client, login)
    staff_cookie = client.cookies.get("congdan_staff_session")
    assert staff_cookie
    await resident_sign_in(client, actors, "0901 765 432")
    assert client.cookies.get("congdan_session", "").startswith("cdb_")
    assert client.cookies.get("congdan_staff_session") == staff_cookie
    queue = await client.get("/staff/")
    assert queue.status_code == 200 and "<h1>Hàng đợi</h1>" in queue.text
    mine = await client.get("/cua-toi")
    assert mine.status_code == 200
    # The staff sign-out form still carries a valid token after the resident's sign-in.
    out = await client.post("/staff/dang-xuat", data={"csrf_token": csrf_of(queue.text)})
    assert out.status_code == 303
    assert (await client.get("/staff/")).status_code == 200  # the sign-in page again
    assert "congdan_staff_session" not in client.cookies
    assert (await client.get("/cua-toi")).status_code == 200
