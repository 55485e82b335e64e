from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import Account


async def get(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    return await session.get(Account, account_id)


async def by_email(session: AsyncSession, email: str) -> Account | None:
    return (await session.scalars(select(Account).where(Account.email == email))).first()


async def by_phone(session: AsyncSession, phone: str) -> Account | None:
    return (await session.scalars(select(Account).where(Account.phone == phone))).first()


async def staff_accounts(session: AsyncSession, roles: frozenset[str]) -> list[Account]:
    stmt = (
        select(Account)
        .where(Account.role.in_(sorted(roles)))
        .order_by(Account.agency_code, Account.created_at)
    )
    return list((await session.scalars(stmt)).all())
