"""Signing an administrator (or anyone else) into the workbench pages, posting their forms with
the page's token, and counting audit rows: what the administrators' page tests share."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts import repository as accounts_repo
from congdan.accounts.service import create_staff
from congdan.authz.policy import Principal, account_principal
from congdan.models import AuditEntry, Category
from tests.conftest import PASSWORD
from tests.staff_support import StaffLogin, csrf_of, page_sign_in

Maker = async_sessionmaker[AsyncSession]
AGENCY = "so_xay_dung"
NON_ADMINS = (("agency_officer", AGENCY), ("agency_manager", AGENCY), ("coordinator", None))


@asynccontextmanager
async def signed_in(
    app: Any, maker: Maker, role: str = "admin", agency: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    email = f"{role}.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(session, email=email, password=PASSWORD, role=role, agency_code=agency)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        await page_sign_in(client, StaffLogin(email, PASSWORD))
        client.headers["x-test-email"] = email
        yield client


async def post_form(client: httpx.AsyncClient, page: str, action: str, **data: str) -> httpx.Response:
    token = csrf_of((await client.get(page)).text)
    return await client.post(action, data={"csrf_token": token, **data})


async def audited(maker: Maker, action: str) -> int:
    async with maker() as session:
        return len((await session.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def principal_of(maker: Maker, client: httpx.AsyncClient) -> Principal:
    """The signed-in staff member of a client made by `signed_in`, as the services see them."""
    async with maker() as session:
        account = await accounts_repo.by_email(session, client.headers["x-test-email"])
    assert account is not None
    return account_principal(account)


CATEGORY_FIELDS = ("name_vi", "name_en", "deadline_days", "duplicate_radius_m", "default_agency_code")


@asynccontextmanager
async def categories_restored(maker: Maker) -> AsyncIterator[None]:
    """Categories are reference data, kept between tests (and the default routing rules every test
    starts with are made from them): a test that edits one puts every category back afterwards."""
    async with maker() as session:
        kept = {
            c.code: {f: getattr(c, f) for f in CATEGORY_FIELDS}
            for c in await session.scalars(select(Category))
        }
    try:
        yield
    finally:
        async with maker() as session, session.begin():
            for category in await session.scalars(select(Category)):
                for field, value in kept.get(category.code, {}).items():
                    setattr(category, field, value)
