"""The tracking page a resident opens from a message or with the code read out on the phone."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from babel.dates import format_date
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from congdan.authz.policy import PUBLIC
from congdan.deps import SessionDep
from congdan.kit.codes import normalise_tracking_code
from congdan.kit.errors import NotFound
from congdan.kit.i18n import LOCALES
from congdan.notifications.messages import LOCAL_TZ
from congdan.reports.states import label
from congdan.reports.tracking import TrackingView, tracking_view
from congdan.web.rendering import page_locale, render

router = APIRouter(include_in_schema=False)


def deadline(value: datetime | None, locale: str) -> str | None:
    """A date with its day of the week, in Ho Chi Minh City: "thứ Sáu, 11/12/2026"."""
    if value is None:
        return None
    day = value.astimezone(LOCAL_TZ).date()
    if locale == "en":
        return format_date(day, "EEEE dd/MM/yyyy", locale="en")
    text = format_date(day, "EEEE, dd/MM/yyyy", locale="vi")
    # In a sentence the weekday is written "thứ Sáu"; "Chủ nhật" keeps its capital.
    return "t" + text[1:] if text.startswith("Thứ") else text


def _time(value: datetime) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")


def _render(
    request: Request,
    locale: str,
    lang: str | None,
    *,
    view: TrackingView | None,
    code: str = "",
    status_code: int = 200,
) -> Response:
    context = {"view": view, "code": code, "label": label, "deadline": deadline, "when": _time}
    return render(request, "tracking/page.html", context, locale=locale, lang=lang, status_code=status_code)


LangQuery = Annotated[str | None, Query(max_length=8)]
AcceptLanguage = Annotated[str | None, Header()]


@router.get("/theo-doi", response_class=HTMLResponse)
async def look_up(
    request: Request,
    code: Annotated[str | None, Query(max_length=64)] = None,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    locale = page_locale(request, lang, accept_language)
    if code is None or not code.strip():
        return _render(request, locale, lang, view=None)
    normalised = normalise_tracking_code(code)
    if normalised is None:
        return _render(request, locale, lang, view=None, code=code, status_code=404)
    target = f"/theo-doi/{normalised}" + (f"?lang={lang}" if lang in LOCALES else "")
    return RedirectResponse(target, status_code=303)


@router.get("/theo-doi/{code}", response_class=HTMLResponse)
async def tracking_page(
    request: Request,
    code: str,
    session: SessionDep,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    locale = page_locale(request, lang, accept_language)
    normalised = normalise_tracking_code(code)
    if normalised is None:
        return _render(request, locale, lang, view=None, code=code, status_code=404)
    try:
        # By code alone, whoever asks: the page never reads a bearer token.
        view = await tracking_view(session, PUBLIC, normalised, locale)
    except NotFound:
        return _render(request, locale, lang, view=None, code=code, status_code=404)
    return _render(request, locale, lang, view=view, code=normalised)
