"""A first router: the unit from the point (or the address), the agency from the category's level.

Ward-level categories go to the unit's People's Committee, city-level ones to the category's
default department or company. Without a category, or without an agency to send it to, the
report waits in the coordinators' triage queue rather than going to a guess.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository as agencies_repo
from congdan.areas.service import HCMC_PROVINCE_CODE, AreaIndex, Located
from congdan.models import Category


@dataclass(frozen=True)
class Decision:
    area: Located | None
    agency_code: str | None


def area_from_address(address: str) -> Located | None:
    """Offline parse of a Vietnamese address (vietnamadminunits); the unit is approximate."""
    from vietnamadminunits import parse_address

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            parsed = parse_address(address)
    except Exception:
        return None
    if getattr(parsed, "province_code", None) != HCMC_PROVINCE_CODE:
        return None
    code = getattr(parsed, "ward_code", None)
    if not code:
        return None
    return Located(str(code), approximate=True)


def locate(index: AreaIndex, *, lat: float | None, lon: float | None, address: str | None) -> Located | None:
    if lat is not None and lon is not None:
        return index.locate(lat, lon)
    if address:
        return area_from_address(address)
    return None


async def decide(session: AsyncSession, *, category: Category | None, area: Located | None) -> Decision:
    if category is None:
        return Decision(area, None)
    if category.level == "ward":
        if area is None:
            return Decision(None, None)
        committee = await agencies_repo.committee_for_area(session, area.area_code)
        return Decision(area, committee.code if committee else None)
    return Decision(area, category.default_agency_code)
