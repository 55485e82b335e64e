"""The monthly unit report as a workbench page, with its XLSX and PDF downloads for a browser
session; the same service and exports as /api/v1/performance/monthly."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from congdan.db import utcnow
from congdan.deps import SessionDep
from congdan.kit.errors import Forbidden
from congdan.performance import exports, service
from congdan.web.staff.deps import StaffPageDep, locale_of, moved, render
from congdan.web.staff.triage import forbidden_page

router = APIRouter(include_in_schema=False)

MONTHLY = "/staff/reports/monthly"
FORMER_MONTHLY = "/staff/bao-cao-thang"  # the address the page had first: a bookmark still works
Month = Annotated[str | None, Query(max_length=7, pattern=r"^\d{4}-\d{2}$")]


@router.get(MONTHLY)
async def monthly_page(
    request: Request, session: SessionDep, me: StaffPageDep, month: Month = None
) -> Response:
    try:
        report = await service.monthly(session, me, month, utcnow(), locale_of(request))
    except Forbidden as exc:
        return await forbidden_page(request, session, exc)
    suffix = f"?month={report.period.month}"
    context = {
        "report": report,
        "xlsx_url": f"{MONTHLY}.xlsx{suffix}",
        "pdf_url": f"{MONTHLY}.pdf{suffix}",
    }
    return await render(request, session, "staff/monthly.html", context)


moved(router, FORMER_MONTHLY, MONTHLY)


def _download(body: bytes, media_type: str, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff"}
    return Response(body, media_type=media_type, headers=headers)


@router.get(MONTHLY + ".xlsx")
async def monthly_xlsx(
    request: Request, session: SessionDep, me: StaffPageDep, month: Month = None
) -> Response:
    locale = locale_of(request)
    report = await service.monthly(session, me, month, utcnow(), locale)
    name = f"bao-cao-thang-{report.period.month}.xlsx"
    return _download(exports.to_xlsx(report, locale), exports.XLSX_TYPE, name)


@router.get(MONTHLY + ".pdf")
async def monthly_pdf(
    request: Request, session: SessionDep, me: StaffPageDep, month: Month = None
) -> Response:
    locale = locale_of(request)
    report = await service.monthly(session, me, month, utcnow(), locale)
    name = f"bao-cao-thang-{report.period.month}.pdf"
    return _download(exports.to_pdf(report, locale), exports.PDF_TYPE, name)
