"""The tracking page a resident opens from a message or with the code read out on the phone."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.deps import SessionDep
from congdan.kit.codes import normalise_tracking_code
from congdan.kit.dates import day_and_date
from congdan.kit.errors import NotFound
from congdan.notifications import following
from congdan.notifications.messages import LOCAL_TZ
from congdan.reports import service as reports
from congdan.reports.states import label
from congdan.reports.tracking import TrackingView, tracking_view
from congdan.web.alerts import ALERT_BANNER
from congdan.web.rendering import PageLang, PageLocale, render
from congdan.web.reporter_actions import SCORES
from congdan.web.reporter_view import reporter_view, viewer
from congdan.web.resident_session import current_resident, sign_in_url

router = APIRouter(include_in_schema=False, dependencies=[ALERT_BANNER])


def deadline(value: datetime | None, locale: str) -> str | None:
    return None if value is None else day_and_date(value, locale)


def when(value: datetime) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")


def _render(
    request: Request,
    language: PageLang,
    *,
    view: TrackingView | None,
    code: str = "",
    status_code: int = 200,
    extra: dict[str, Any] | None = None,
) -> HTMLResponse:
    context = {
        "view": view,
        "code": code,
        "label": label,
        "deadline": deadline,
        "when": when,
        **(extra or {}),
    }
    return render(
        request,
        "tracking/page.html",
        context,
        locale=language.locale,
        lang=language.choice,
        status_code=status_code,
    )


async def show(
    request: Request,
    session: AsyncSession,
    code: str,
    language: PageLang,
    *,
    proof: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The tracking page of the report with this (normalised) code, for whoever is looking: the
    public view by code, more for its reporter (signed in, or proven by a one-time code)."""
    locale = language.locale
    principal = await viewer(request, session, code)
    try:
        view = await tracking_view(session, principal, code, locale)
    except NotFound:
        return _render(request, language, view=None, code=code, status_code=404)
    extra = {
        "reporter": await reporter_view(session, request.app.state.settings, principal, code, locale),
        "proof": proof or {},
        "errors": errors or {},
        "scores": SCORES,
        "follow": await _follow(request, session, view),
    }
    return _render(request, language, view=view, code=code, status_code=status_code, extra=extra)


@router.get("/theo-doi", response_class=HTMLResponse)
async def look_up(
    request: Request,
    language: PageLocale,
    code: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    if code is None or not code.strip():
        return _render(request, language, view=None)
    normalised = normalise_tracking_code(code)
    if normalised is None:
        return _render(request, language, view=None, code=code, status_code=404)
    target = f"/theo-doi/{normalised}{language.query}"
    return RedirectResponse(target, status_code=303)


@router.get("/theo-doi/{code}", response_class=HTMLResponse)
async def tracking_page(
    request: Request,
    language: PageLocale,
    code: str,
    session: SessionDep,
) -> Response:
    normalised = normalise_tracking_code(code)
    if normalised is None:
        return _render(request, language, view=None, code=code, status_code=404)
    # The page never reads a bearer token: by code alone it is the public view; the reporter's
    # browser session or this report's proof cookie shows the reporter theirs.
    return await show(request, session, normalised, language)


async def _follow(request: Request, session: AsyncSession, view: TrackingView) -> dict[str, object]:
    """What the page offers about following: the button for a signed-in resident, a way to sign in
    for anyone else (public reports only: a private one cannot be followed by others)."""
    here = f"/theo-doi/{view.code}"
    resident = await current_resident(request, session)
    if resident is None:
        return {"sign_in": sign_in_url(here) if view.detailed else None, "state": None}
    report = await reports.get_by_code(session, view.code)
    return {"sign_in": None, "state": await following.follow_state(session, resident, report)}


@router.post("/theo-doi/{code}/theo-doi", response_class=HTMLResponse)
async def follow_report(
    request: Request,
    code: str,
    session: SessionDep,
    action: Annotated[str, Form(max_length=16)] = "follow",
) -> Response:
    normalised = normalise_tracking_code(code)
    if normalised is None:
        raise NotFound()
    here = f"/theo-doi/{normalised}"
    resident = await current_resident(request, session)
    if resident is None:
        return RedirectResponse(sign_in_url(here), status_code=303)
    report = await reports.get_by_code(session, normalised)
    if action == "unfollow":
        await following.unfollow(session, resident, report.id)
    else:
        await following.follow(session, resident, report.id)
    return RedirectResponse(here, status_code=303)
