"""Administrators' list of the administrative units (wards, communes, the special zone): each
unit's People's Committee and whether its boundary is loaded (`congdan areas import-boundaries`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from congdan.agencies import repository as agencies_repo
from congdan.areas import repository as areas_repo
from congdan.deps import SessionDep
from congdan.kit.text import fold
from congdan.web.staff.admin import AdminPageDep
from congdan.web.staff.admin_routing import AREA_TYPES
from congdan.web.staff.deps import render

router = APIRouter(include_in_schema=False)

UNITS = "/staff/admin/don-vi"
Search = Annotated[str | None, Query(max_length=100)]


@router.get(UNITS)
async def units_page(request: Request, session: SessionDep, me: AdminPageDep, q: Search = None) -> Response:
    units = await areas_repo.list_areas(session, fold(q) if q and q.strip() else None)
    committees = {
        a.area_code: a for a in await agencies_repo.list_agencies(session, "committee") if a.area_code
    }
    context = {"rows": units, "committees": committees, "types": AREA_TYPES, "q": q or ""}
    return await render(request, session, "staff/admin/units.html", context)
