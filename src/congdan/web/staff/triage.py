"""The coordinators' triage page (one-click routing to the classifier's guesses, or any agency)
and the city-wide deadline board, over the same workbench services as the JSON API."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository as agencies_repo
from congdan.agencies.data import committee_code
from congdan.authz.policy import Principal
from congdan.deps import ContextDep, SessionDep
from congdan.kit.errors import AppError, Forbidden
from congdan.kit.i18n import translate
from congdan.kit.pagination import decode_cursor, encode_cursor
from congdan.reports.context import Context
from congdan.web.refusal import refusal
from congdan.web.staff.deps import StaffPageDep, locale_of, moved, render
from congdan.workbench import present, service
from congdan.workbench.schemas import RouteIn

router = APIRouter(include_in_schema=False)

TRIAGE = "/staff/triage"
FORMER_TRIAGE = "/staff/phan-loai"  # the address the page had first: a bookmark still works
PAGE_SIZE = 50
Cursor = Annotated[str | None, Query(max_length=64)]
Code = Annotated[str, Form(max_length=64)]


async def forbidden_page(request: Request, session: AsyncSession, exc: Forbidden) -> Response:
    """A refusal a person reads, in the workbench layout, instead of problem+json."""
    message = translate(exc.detail, locale_of(request), **exc.params)
    return await render(request, session, "staff/refused.html", {"message": message}, status_code=403)


async def _page(
    request: Request,
    session: AsyncSession,
    ctx: Context,
    me: Principal,
    cursor: str | None,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    locale = locale_of(request)
    entries, more = await service.triage(session, ctx, me, after=decode_cursor(cursor), limit=PAGE_SIZE)
    board = await present.board_rows(session, await service.deadline_board(session, me), locale)
    context = {
        "items": await present.triage_items(session, entries, locale),
        "board": board,
        "agencies": await agencies_repo.list_agencies(session),
        "committee_code": committee_code,
        "next_url": f"{TRIAGE}?cursor={encode_cursor(entries[-1].report.id)}" if more and entries else None,
        "error": error,
        "done": request.query_params.get("done"),
    }
    return await render(request, session, "staff/triage.html", context, status_code=status_code)


@router.get(TRIAGE)
async def triage_page(
    request: Request, session: SessionDep, ctx: ContextDep, me: StaffPageDep, cursor: Cursor = None
) -> Response:
    try:
        return await _page(request, session, ctx, me, cursor)
    except Forbidden as exc:
        return await forbidden_page(request, session, exc)


moved(router, FORMER_TRIAGE, TRIAGE)


@router.post(TRIAGE + "/{report_id}/chuyen")
async def route(
    request: Request,
    report_id: uuid.UUID,
    session: SessionDep,
    ctx: ContextDep,
    me: StaffPageDep,
    category: Code = "",
    agency: Code = "",
) -> Response:
    """One click: a guessed category (routed by its rules), or the chosen agency."""
    data = RouteIn(category=category or None, agency=agency or None)
    try:
        async with session.begin_nested():
            report = await service.route(session, ctx, me, report_id, data)
    except Forbidden as exc:
        raise refusal(exc, await forbidden_page(request, session, exc)) from exc
    except AppError as exc:
        message = translate(exc.detail, locale_of(request), **exc.params)
        if exc.errors:
            message = translate(exc.errors[0].message, locale_of(request), **(exc.errors[0].params or {}))
        page = await _page(request, session, ctx, me, None, error=message, status_code=exc.status)
        raise refusal(exc, page) from exc
    return RedirectResponse(f"{TRIAGE}?done={report.tracking_code}", status_code=303)
