"""/cua-toi: the signed-in resident's own reports, each with its timeline, the agency's replies and
photos, and what they can still do (rate, reopen); the reports sent before signing in with the same
phone or email, to claim."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from congdan.authz.policy import Principal
from congdan.deps import ContextDep, SessionDep, SettingsDep
from congdan.kit.errors import AppError
from congdan.reports import claims, repository
from congdan.reports.schemas import ReportFilters
from congdan.reports.states import label
from congdan.reports.tracking import TrackingView, tracking_view
from congdan.web import reporter_actions
from congdan.web.alerts import ALERT_BANNER
from congdan.web.refusal import messages, refusal
from congdan.web.rendering import PageLang, PageLocale, render
from congdan.web.reporter_actions import SCORES, ReporterActions
from congdan.web.resident_session import ResidentPageDep
from congdan.web.tracking import deadline, when

router = APIRouter(include_in_schema=False, dependencies=[ALERT_BANNER])

MY_REPORTS_SHOWN = 50


@dataclass(frozen=True)
class MyReport:
    id: uuid.UUID
    view: TrackingView
    actions: ReporterActions


async def my_reports(
    session: SessionDep, resident: Principal, settings: SettingsDep, locale: str
) -> list[MyReport]:
    rows = await repository.search(
        session, resident, ReportFilters(mine=True), after=None, limit=MY_REPORTS_SHOWN
    )
    return [
        MyReport(
            row.id,
            await tracking_view(session, resident, row.tracking_code, locale),
            reporter_actions.actions_for(row, settings),
        )
        for row in rows
    ]


async def _page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    resident: Principal,
    language: PageLang,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    claimed: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "reports": await my_reports(session, resident, settings, language.locale),
        "claimable": await claims.claimable(session, resident),
        "claimed": claimed,
        "errors": errors or {},
        "label": label,
        "deadline": deadline,
        "when": when,
        "scores": SCORES,
    }
    return render(
        request,
        "app/mine/page.html",
        context,
        locale=language.locale,
        lang=language.choice,
        status_code=status_code,
    )


@router.get("/cua-toi", response_class=HTMLResponse)
async def mine_page(
    request: Request,
    language: PageLocale,
    resident: ResidentPageDep,
    session: SessionDep,
    settings: SettingsDep,
    claimed: Annotated[int | None, Query(ge=0, le=10_000)] = None,
) -> Response:
    return await _page(request, session, settings, resident, language, claimed=claimed)


@router.post("/cua-toi/nhan-phan-anh")
async def claim(request: Request, resident: ResidentPageDep, session: SessionDep) -> Response:
    count = await claims.claim(session, resident)
    return RedirectResponse(f"/cua-toi?claimed={count}", status_code=303)


async def _refused(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    resident: Principal,
    language: PageLang,
    report_id: uuid.UUID,
    exc: AppError,
    default_field: str,
) -> AppError:
    # The page is shown again from what is stored now; the refused change is rolled back after.
    errors = {str(report_id): messages(exc, language.locale, default_field=default_field)}
    page = await _page(request, session, settings, resident, language, errors=errors, status_code=exc.status)
    return refusal(exc, page)


@router.post("/cua-toi/phan-anh/{report_id}/danh-gia")
async def rate(
    request: Request,
    language: PageLocale,
    report_id: uuid.UUID,
    resident: ResidentPageDep,
    session: SessionDep,
    settings: SettingsDep,
    score: Annotated[str, Form(max_length=2)] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        await reporter_actions.rate(session, resident, report_id, score, comment)
    except AppError as exc:
        raise await _refused(request, session, settings, resident, language, report_id, exc, "score") from exc
    return RedirectResponse(f"/cua-toi#r-{report_id}", status_code=303)


@router.post("/cua-toi/phan-anh/{report_id}/mo-lai")
async def reopen(
    request: Request,
    language: PageLocale,
    report_id: uuid.UUID,
    resident: ResidentPageDep,
    session: SessionDep,
    settings: SettingsDep,
    ctx: ContextDep,
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    try:
        await reporter_actions.reopen(session, ctx, resident, report_id, note)
    except AppError as exc:
        raise await _refused(request, session, settings, resident, language, report_id, exc, "note") from exc
    return RedirectResponse(f"/cua-toi#r-{report_id}", status_code=303)
