"""A staff member's email cannot be used for a one-time code sign-in: staff sign in with their
password, which is limited and audited."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.service import create_staff
from congdan.models import AuditEntry, OtpChallenge, OutboxMessage
from tests.conftest import PASSWORD
from tests.staff_support import StaffLogin

Maker = async_sessionmaker[AsyncSession]


async def _codes_sent(maker: Maker) -> list[str]:
    async with maker() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.event_type == "auth.code_requested")
        )
        return [str(row.payload["code"]) for row in rows]


async def test_staff_email_gets_no_code_and_no_token(client: httpx.AsyncClient, maker: Maker) -> None:
    email = f"dieuphoi.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(session, email=email, password=PASSWORD, role="coordinator", agency_code=None)

    r = await client.post("/api/v1/auth/code", json={"email": email})
    # The answer is the same as for anyone, so it does not tell that the address is a staff one.
    assert r.status_code == 202, r.text
    assert await _codes_sent(maker) == []
    async with maker() as session:
        assert await session.scalar(select(func.count()).select_from(OtpChallenge)) == 0

    # Even a code that reached the table some other way does not sign a staff member in.
    for code in ("000000", "123456"):
        r = await client.post("/api/v1/auth/code/verify", json={"email": email, "code": code})
        assert r.status_code == 401, r.text


async def test_staff_code_written_before_the_fix_does_not_sign_in(
    client: httpx.AsyncClient, maker: Maker
) -> None:
    """A staff account made after a resident code was sent to the address: the code is refused."""
    email = f"canbo.{uuid.uuid4().hex[:8]}@example.vn"
    r = await client.post("/api/v1/auth/code", json={"email": email})
    assert r.status_code == 202
    [code] = await _codes_sent(maker)
    async with maker() as session, session.begin():
        await create_staff(
            session, email=email, password=PASSWORD, role="agency_officer", agency_code="so_xay_dung"
        )
    r = await client.post("/api/v1/auth/code/verify", json={"email": email, "code": code})
    assert r.status_code == 401, r.text
    assert "mật khẩu" in r.json()["detail"]

    body = await StaffLogin(email, PASSWORD).enrol(client)
    async with maker() as session:
        logins = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "auth.staff_login", AuditEntry.subject_id == body["account_id"])
        )
    assert logins == 1
