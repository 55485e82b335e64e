"""The public home page. Full resident and staff pages arrive with their issues."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from congdan.authz.policy import PUBLIC
from congdan.deps import LocaleDep, SessionDep
from congdan.kit.i18n import translate
from congdan.reports import present, repository
from congdan.reports.schemas import ReportFilters
from congdan.reports.states import label
from congdan.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, session: SessionDep, locale: LocaleDep) -> HTMLResponse:
    rows = await repository.search(session, PUBLIC, ReportFilters(), after=None, limit=10)
    reports = await present.reports_out(session, PUBLIC, rows, locale)
    context = {"locale": locale, "reports": reports, "status_text": lambda s: translate(label(s), locale)}
    return templates.TemplateResponse(request, "home.html", context)
