from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from congdan.agencies import repository
from congdan.agencies.schemas import AgencyOut
from congdan.deps import SessionDep
from congdan.kit.errors import NotFound
from congdan.kit.i18n import _
from congdan.kit.problems import problems

router = APIRouter(prefix="/api/v1/agencies", tags=["reference"])


@router.get("", response_model=list[AgencyOut], summary="Cơ quan xử lý / Agencies", responses=problems())
async def list_agencies(
    session: SessionDep, kind: Annotated[str | None, Query(max_length=32)] = None
) -> list[AgencyOut]:
    return [AgencyOut.model_validate(a) for a in await repository.list_agencies(session, kind)]


@router.get("/{code}", response_model=AgencyOut, summary="Một cơ quan / One agency", responses=problems(404))
async def get_agency(code: str, session: SessionDep) -> AgencyOut:
    agency = await repository.get_agency(session, code)
    if agency is None:
        raise NotFound(_("Không tìm thấy cơ quan."))
    return AgencyOut.model_validate(agency)
