from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from congdan.areas import repository
from congdan.areas.schemas import AreaOut
from congdan.deps import SessionDep
from congdan.kit.errors import NotFound
from congdan.kit.i18n import _
from congdan.kit.problems import problems
from congdan.kit.text import fold
from congdan.models import Area

router = APIRouter(prefix="/api/v1/areas", tags=["reference"])


def _out(area: Area) -> AreaOut:
    return AreaOut(
        code=area.code,
        name=area.name,
        short_name=area.short_name,
        unit_type=area.unit_type,
        lat=area.lat,
        lon=area.lon,
        area_km2=area.area_km2,
        has_boundary=area.boundary_geojson is not None,
    )


@router.get(
    "", response_model=list[AreaOut], summary="Đơn vị hành chính / Administrative units", responses=problems()
)
async def list_areas(
    session: SessionDep, q: Annotated[str | None, Query(max_length=100)] = None
) -> list[AreaOut]:
    return [_out(a) for a in await repository.list_areas(session, fold(q) if q else None)]


@router.get(
    "/{code}", response_model=AreaOut, summary="Một đơn vị hành chính / One unit", responses=problems(404)
)
async def get_area(code: str, session: SessionDep) -> AreaOut:
    area = await repository.get_area(session, code)
    if area is None:
        raise NotFound(_("Không tìm thấy đơn vị hành chính."))
    return _out(area)
