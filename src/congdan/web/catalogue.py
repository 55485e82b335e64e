"""The residents' procedure catalogue: search, life events and fields, one procedure, blank forms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.catalogue import forms, service
from congdan.catalogue.data import FIELDS, LIFE_EVENTS
from congdan.deps import SessionDep
from congdan.kit.errors import AppError, NotFound
from congdan.kit.i18n import _, translate
from congdan.models import ProcedureVersion
from congdan.web.alerts import ALERT_BANNER
from congdan.web.rendering import PageLocale, render

router = APIRouter(include_in_schema=False, dependencies=[ALERT_BANNER])

ONLINE_MODES = {
    "full": _("Trực tuyến toàn trình"),
    "partial": _("Trực tuyến một phần"),
    "in_person": _("Nộp trực tiếp"),
}
LEVELS = {"ward": _("Cấp phường, xã"), "city": _("Cấp thành phố")}


@router.get("/dich-vu-cong", response_class=HTMLResponse)
async def catalogue_page(
    request: Request,
    language: PageLocale,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    field: Annotated[str | None, Query(max_length=32)] = None,
    life_event: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    locale = language.locale
    status_code, error = 200, None
    try:
        found = await service.find(session, q, field or None, life_event or None)
    except AppError as refused:
        found, status_code, error = [], 400, translate(refused.detail, locale)
    values = {
        "q": q,
        "field": field,
        "life_event": life_event,
        "found": found,
        "error": error,
        "fields": FIELDS,
        "life_events": LIFE_EVENTS,
        "modes": ONLINE_MODES,
        "browsing": bool(q or field or life_event),
    }
    return render(
        request, "catalogue/page.html", values, locale=locale, lang=language.choice, status_code=status_code
    )


@router.get("/dich-vu-cong/mau/{name}")
async def blank_form(name: str) -> Response:
    pdf = forms.blank_form(name)
    if pdf is None:
        raise NotFound(_("Không tìm thấy mẫu này."))
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get("/dich-vu-cong/{code}", response_class=HTMLResponse)
async def procedure_page(
    request: Request, language: PageLocale, session: SessionDep, code: str
) -> HTMLResponse:
    v = await service.current(session, code[:16])
    return await _procedure(request, language, session, v, v.number)


@router.get("/dich-vu-cong/{code}/phien-ban/{number}", response_class=HTMLResponse)
async def procedure_version_page(
    request: Request,
    language: PageLocale,
    session: SessionDep,
    code: str,
    number: Annotated[int, Path(ge=1, le=100_000)],
) -> HTMLResponse:
    """An earlier text, for a resident or officer dealing with a file submitted under it."""
    v, current = await service.version(session, code[:16], number)
    return await _procedure(request, language, session, v, current)


async def _procedure(
    request: Request, language: PageLocale, session: AsyncSession, v: ProcedureVersion, current: int
) -> HTMLResponse:
    locale = language.locale
    values = {
        "p": service.full(v, current, locale),
        "versions": (await service.history(session, v.procedure_code)).items,
        "modes": ONLINE_MODES,
        "levels": LEVELS,
        "life_events": LIFE_EVENTS,
    }
    return render(request, "catalogue/procedure.html", values, locale=locale, lang=language.choice)
