"""The residents' own pages without JavaScript: signing in with a one-time code, the browser
session (expiry, sliding, sign-out), claiming earlier reports, rating and reopening, the inbox,
preferences, export and deletion; and that one resident never sees another's."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.app import create_app
from congdan.config import Settings
from congdan.db import utcnow
from congdan.models import AuditEntry, ResidentSession
from tests.conftest import Actors
from tests.resident_pages_support import csrf_of, post_form, sign_in

PHONE = "0901 234 567"


async def test_sign_in_with_a_code_and_come_back_to_the_page_asked_for(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    r = await client.get("/cua-toi")
    assert r.status_code == 303 and r.headers["location"] == "/dang-nhap?next=/cua-toi"
    page = await client.get("/dang-nhap?next=/cua-toi")
    assert page.status_code == 200 and 'name="contact"' in page.text and 'lang="vi"' in page.text
    await sign_in(client, actors, PHONE)
    cookie = client.cookies.get("congdan_session")
    assert cookie and cookie.startswith("cdb_")
    mine = await client.get("/cua-toi")
    assert mine.status_code == 200, mine.text
    # Signed in, the sign-in page sends the resident on.
    again = await client.get("/dang-nhap?next=/cua-toi")
    assert again.status_code == 303 and again.headers["location"] == "/cua-toi"


async def test_htmx_request_without_a_session_is_told_where_to_sign_in(client: httpx.AsyncClient) -> None:
    r = await client.get("/cua-toi?tab=1", headers={"HX-Request": "true"})
    assert r.status_code == 401
    assert r.headers["HX-Redirect"] == "/dang-nhap?next=/cua-toi%3Ftab%3D1"


async def test_a_wrong_code_is_said_next_to_the_field_and_counts(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    sent = await post_form(client, "/dang-nhap", "/dang-nhap/gui-ma", {"contact": PHONE})
    assert sent.status_code == 200 and 'name="code"' in sent.text
    code = await actors.latest_code("+84901234567")
    wrong = "000000" if code != "000000" else "111111"
    r = await client.post(
        "/dang-nhap", data={"csrf_token": csrf_of(sent.text), "contact": PHONE, "code": wrong}
    )
    assert r.status_code == 401
    assert 'id="code-error"' in r.text and "Mã xác thực không đúng" in r.text
    assert "congdan_session" not in client.cookies
    # The attempt was kept although the page refused: after the allowed tries the right code fails.
    for _ in range(4):
        await client.post(
            "/dang-nhap", data={"csrf_token": csrf_of(sent.text), "contact": PHONE, "code": wrong}
        )
    late = await client.post(
        "/dang-nhap", data={"csrf_token": csrf_of(sent.text), "contact": PHONE, "code": code}
    )
    assert late.status_code == 401 and "hết hạn" in late.text


async def test_an_unreadable_number_is_said_next_to_the_field(client: httpx.AsyncClient) -> None:
    r = await post_form(client, "/dang-nhap", "/dang-nhap/gui-ma", {"contact": "12"})
    assert r.status_code == 422
    assert 'id="contact-error"' in r.text and "Số điện thoại không hợp lệ." in r.text


async def test_next_never_leaves_the_site(client: httpx.AsyncClient, actors: Actors) -> None:
    page = await client.get("/dang-nhap?next=https://evil.example/")
    assert 'value="/cua-toi"' in page.text and "evil.example" not in page.text
    await sign_in(client, actors, PHONE, next_url="/cua-toi")
    r = await client.get("/dang-nhap?next=//evil.example/x")
    assert r.headers["location"] == "/cua-toi"


async def test_sign_out_revokes_the_session(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in(client, actors, PHONE)
    raw = client.cookies["congdan_session"]
    r = await post_form(client, "/cua-toi", "/dang-xuat", {})
    assert r.status_code == 303 and r.headers["location"] == "/dang-nhap"
    assert "congdan_session" not in client.cookies
    async with maker() as session:
        row = (await session.scalars(select(ResidentSession))).one()
        assert row.revoked_at is not None
    # The old cookie, replayed, signs nobody in.
    client.cookies.set("congdan_session", raw)
    assert (await client.get("/cua-toi")).status_code == 303


async def test_an_expired_session_signs_nobody_in_and_a_used_one_slides(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in(client, actors, PHONE)
    two_hours_ago = utcnow() - timedelta(hours=2)
    async with maker() as session, session.begin():
        await session.execute(
            update(ResidentSession).values(
                last_seen_at=two_hours_ago, expires_at=utcnow() + timedelta(days=1)
            )
        )
    r = await client.get("/cua-toi")
    assert r.status_code == 200
    assert (
        "congdan_session=" in r.headers.get("set-cookie", "") and "Max-Age=2592000" in r.headers["set-cookie"]
    )
    async with maker() as session:
        row = (await session.scalars(select(ResidentSession))).one()
        assert row.expires_at > utcnow() + timedelta(days=29)
        assert row.last_seen_at > two_hours_ago
    async with maker() as session, session.begin():
        await session.execute(update(ResidentSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await client.get("/cua-toi")).status_code == 303


async def test_sign_in_is_audited(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in(client, actors, PHONE)
    async with maker() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "auth.resident_sign_in" in actions


async def test_sign_in_pages_keep_the_apis_rate_limits(settings: Settings) -> None:
    limits = {"auth_code_client": "2/minute", "auth_verify_client": "2/minute"}
    s = settings.model_copy(
        update={
            "rate_limits_enabled": True,
            "rate_limits": limits,
            "rate_limit_key_prefix": f"congdan-test-{uuid.uuid4().hex}",
        }
    )
    app = create_app(s, run_worker=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            answers = [
                await post_form(c, "/dang-nhap", "/dang-nhap/gui-ma", {"contact": f"090123456{n}"})
                for n in range(3)
            ]
            assert [a.status_code for a in answers] == [200, 200, 429]
            assert 'id="contact-error"' in answers[2].text
            assert "Bạn đã gửi quá nhiều yêu cầu; hãy thử lại sau" in answers[2].text


async def test_signing_in_again_ends_the_browsers_earlier_session(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in(client, actors, PHONE)
    first = client.cookies["congdan_session"]
    page = await client.get("/cua-toi")
    assert page.status_code == 200
    # Another account signs in on the same browser: the first session is revoked, not left behind.
    sent = await client.post(
        "/dang-nhap/gui-ma", data={"csrf_token": csrf_of(page.text), "contact": "0909 000 111"}
    )
    code = await actors.latest_code("+84909000111")
    r = await client.post(
        "/dang-nhap", data={"csrf_token": csrf_of(sent.text), "contact": "0909 000 111", "code": code}
    )
    assert r.status_code == 303 and client.cookies["congdan_session"] != first
    async with maker() as session:
        rows = (await session.scalars(select(ResidentSession).order_by(ResidentSession.created_at))).all()
    assert [row.revoked_at is not None for row in rows] == [True, False]
