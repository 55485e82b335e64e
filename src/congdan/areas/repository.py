from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import Area


async def list_areas(session: AsyncSession, q_folded: str | None = None) -> Sequence[Area]:
    stmt = select(Area).where(Area.is_active.is_(True)).order_by(Area.code)
    if q_folded:
        stmt = stmt.where(Area.name_folded.contains(q_folded, autoescape=True))
    return (await session.scalars(stmt)).all()


class UnitName(NamedTuple):
    code: str
    name: str


async def unit_names(session: AsyncSession) -> list[UnitName]:
    """The active units' codes and names, for lists and filters: two columns rather than whole rows,
    whose imported boundaries can be megabytes."""
    stmt = select(Area.code, Area.name).where(Area.is_active.is_(True)).order_by(Area.code)
    return [UnitName(code, name) for code, name in (await session.execute(stmt)).all()]


async def get_area(session: AsyncSession, code: str) -> Area | None:
    return await session.get(Area, code)


async def existing_codes(session: AsyncSession) -> set[str]:
    return set((await session.scalars(select(Area.code))).all())


async def names(session: AsyncSession, codes: Collection[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = await session.execute(select(Area.code, Area.name).where(Area.code.in_(list(codes))))
    return {str(code): str(name) for code, name in rows}
