from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository
from congdan.agencies.data import CITY_AGENCIES, committee_code, committee_name
from congdan.areas import repository as areas_repo
from congdan.models import Agency


async def seed_agencies(session: AsyncSession) -> int:
    """Adds missing agencies: the city's departments and companies, and one committee per unit."""
    have = await repository.existing_codes(session)
    new: list[Agency] = [
        Agency(code=code, name=name, name_en=name_en, kind=kind, email=email, phone=phone)
        for code, name, name_en, kind, email, phone in CITY_AGENCIES
        if code not in have
    ]
    for area in await areas_repo.list_areas(session):
        code = committee_code(area.code)
        if code not in have:
            name, name_en = committee_name(area.name)
            new.append(Agency(code=code, name=name, name_en=name_en, kind="committee", area_code=area.code))
    session.add_all(new)
    await session.flush()
    return len(new)
