from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import Category


async def category(session: AsyncSession, code: str) -> Category | None:
    return await session.get(Category, code)


async def categories(session: AsyncSession) -> Sequence[Category]:
    stmt = select(Category).where(Category.is_active.is_(True)).order_by(Category.sort_order, Category.code)
    return (await session.scalars(stmt)).all()


async def existing_category_codes(session: AsyncSession) -> set[str]:
    return set((await session.scalars(select(Category.code))).all())


async def all_categories(session: AsyncSession) -> Sequence[Category]:
    """In use or not, in the order forms show them."""
    stmt = select(Category).order_by(Category.is_active.desc(), Category.sort_order, Category.code)
    return (await session.scalars(stmt)).all()


async def defaulting_to(session: AsyncSession, agency_code: str) -> Sequence[Category]:
    """The categories, in use or not, whose reports go to this agency when no rule says otherwise."""
    stmt = select(Category).where(Category.default_agency_code == agency_code).order_by(Category.code)
    return (await session.scalars(stmt)).all()
