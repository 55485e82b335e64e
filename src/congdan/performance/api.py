"""The monthly unit report for staff: JSON, and the same figures as XLSX or PDF to download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from congdan.db import utcnow
from congdan.deps import LocaleDep, PrincipalDep, SessionDep
from congdan.kit.problems import problems
from congdan.performance import exports, service
from congdan.performance.schemas import MonthlyReportOut
from congdan.replica import from_replica

router = APIRouter(prefix="/api/v1/performance", tags=["performance"])

Month = Annotated[
    str | None,
    Query(
        max_length=7,
        description="YYYY-MM: từ 12:00 ngày 25 tháng trước đến 12:00 ngày 25 tháng này; mặc định kỳ hiện tại",
    ),
]


@router.get(
    "/monthly",
    response_model=MonthlyReportOut,
    summary="Báo cáo tháng theo đơn vị / Monthly unit report",
    responses=problems(401, 403),
)
@from_replica(any_caller=True)
async def monthly(
    session: SessionDep, principal: PrincipalDep, locale: LocaleDep, month: Month = None
) -> MonthlyReportOut:
    return await service.monthly(session, principal, month, utcnow(), locale)


def _download(body: bytes, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(
    "/monthly.xlsx",
    summary="Báo cáo tháng (Excel) / Monthly unit report as XLSX",
    responses={200: {"content": {exports.XLSX_TYPE: {}}}, **problems(401, 403)},
    response_class=Response,
)
@from_replica(any_caller=True)
async def monthly_xlsx(
    session: SessionDep, principal: PrincipalDep, locale: LocaleDep, month: Month = None
) -> Response:
    report = await service.monthly(session, principal, month, utcnow(), locale)
    name = f"bao-cao-thang-{report.period.month}.xlsx"
    return _download(exports.to_xlsx(report, locale), exports.XLSX_TYPE, name)


@router.get(
    "/monthly.pdf",
    summary="Báo cáo tháng (PDF) / Monthly unit report as PDF",
    responses={200: {"content": {exports.PDF_TYPE: {}}}, **problems(401, 403)},
    response_class=Response,
)
@from_replica(any_caller=True)
async def monthly_pdf(
    session: SessionDep, principal: PrincipalDep, locale: LocaleDep, month: Month = None
) -> Response:
    report = await service.monthly(session, principal, month, utcnow(), locale)
    name = f"bao-cao-thang-{report.period.month}.pdf"
    return _download(exports.to_pdf(report, locale), exports.PDF_TYPE, name)
