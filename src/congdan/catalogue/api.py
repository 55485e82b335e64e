from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from congdan.catalogue import service
from congdan.catalogue.schemas import ProcedureOut, ProcedureSummary, VersionList
from congdan.deps import LocaleDep, SessionDep
from congdan.kit.problems import problems

router = APIRouter(prefix="/api/v1/procedures", tags=["catalogue"])

Code = Annotated[str, Path(max_length=16, pattern=r"^[A-Z]{1,6}-[0-9]{1,4}$")]


@router.get(
    "", response_model=list[ProcedureSummary], summary="Thủ tục hành chính / Procedures", responses=problems()
)
async def list_procedures(
    session: SessionDep,
    locale: LocaleDep,
    q: Annotated[str, Query(max_length=200, description="Tìm không dấu, gõ sai vẫn ra")] = "",
    field: Annotated[str | None, Query(max_length=32)] = None,
    life_event: Annotated[str | None, Query(max_length=32)] = None,
) -> list[ProcedureSummary]:
    found = await service.find(session, q, field, life_event)
    return [service.summary(v, locale) for v in found]


@router.get(
    "/{code}", response_model=ProcedureOut, summary="Một thủ tục / One procedure", responses=problems(404)
)
async def get_procedure(code: Code, session: SessionDep, locale: LocaleDep) -> ProcedureOut:
    v = await service.current(session, code)
    return service.full(v, v.number, locale)


@router.get(
    "/{code}/versions",
    response_model=VersionList,
    summary="Các phiên bản của thủ tục / A procedure's versions",
    responses=problems(404),
)
async def list_procedure_versions(code: Code, session: SessionDep) -> VersionList:
    return await service.history(session, code)


@router.get(
    "/{code}/versions/{number}",
    response_model=ProcedureOut,
    summary="Một phiên bản của thủ tục / One version of a procedure",
    responses=problems(404),
)
async def get_procedure_version(
    code: Code, number: Annotated[int, Path(ge=1, le=100_000)], session: SessionDep, locale: LocaleDep
) -> ProcedureOut:
    v, current = await service.version(session, code, number)
    return service.full(v, current, locale)
