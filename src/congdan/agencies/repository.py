from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import Agency


async def list_agencies(session: AsyncSession, kind: str | None = None) -> Sequence[Agency]:
    stmt = select(Agency).where(Agency.is_active.is_(True)).order_by(Agency.kind, Agency.code)
    if kind:
        stmt = stmt.where(Agency.kind == kind)
    return (await session.scalars(stmt)).all()


class AgencyName(NamedTuple):
    code: str
    name: str
    name_en: str | None


async def agency_names(session: AsyncSession) -> list[AgencyName]:
    """The active agencies' codes and names, for a form's list: three columns, not whole rows."""
    stmt = (
        select(Agency.code, Agency.name, Agency.name_en)
        .where(Agency.is_active.is_(True))
        .order_by(Agency.kind, Agency.code)
    )
    return [AgencyName(*row) for row in (await session.execute(stmt)).all()]


async def get_agency(session: AsyncSession, code: str) -> Agency | None:
    return await session.get(Agency, code)


async def committee_for_area(session: AsyncSession, area_code: str) -> Agency | None:
    stmt = select(Agency).where(Agency.kind == "committee", Agency.area_code == area_code)
    return (await session.scalars(stmt)).first()


async def existing_codes(session: AsyncSession) -> set[str]:
    return set((await session.scalars(select(Agency.code))).all())


async def all_agencies(session: AsyncSession) -> Sequence[Agency]:
    """In use or not, for the administrators' list."""
    stmt = select(Agency).order_by(Agency.is_active.desc(), Agency.kind, Agency.code)
    return (await session.scalars(stmt)).all()
