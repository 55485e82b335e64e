"""The agency's queue at /staff/ (the workbench's first page) and its bulk actions, over the same
workbench services and presenters as /api/v1/staff/queue."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import QueryParams

from congdan.agencies import repository as agencies_repo
from congdan.areas import repository as areas_repo
from congdan.authz.policy import Principal
from congdan.categories import repository as categories_repo
from congdan.deps import ContextDep, SessionDep
from congdan.kit.errors import AppError, ValidationFailed
from congdan.kit.i18n import _, translate
from congdan.kit.pagination import decode_time_cursor, encode_time_cursor
from congdan.models import Account
from congdan.reports.states import LABELS, OPEN, Status
from congdan.web.refusal import refusal
from congdan.web.staff.deps import StaffPageDep, locale_of, render
from congdan.workbench import present, service
from congdan.workbench.schemas import QueueFilters

router = APIRouter(include_in_schema=False)

BULK = "/staff/hang-doi/hang-loat"
MAP_POINTS = "/api/v1/staff/queue/map"
PAGE_SIZE = 50
OPEN_STATUSES = [s for s in Status if s in OPEN]
Ids = Annotated[list[uuid.UUID], Form(max_length=100)]


def _one(params: QueryParams, name: str, limit: int = 64) -> str | None:
    value = params.get(name, "").strip()
    return value[:limit] or None


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def filters_of(params: QueryParams) -> QueueFilters:
    """The filter form's choices; anything unreadable is left out, as if not chosen (the form is
    read without JavaScript, from the address)."""
    status = [Status(s) for s in params.getlist("status") if s in Status._value2member_map_]
    due = _one(params, "due")
    return QueueFilters(
        agency=_one(params, "agency"),
        status=status,
        category=_one(params, "category"),
        area=_one(params, "area", 16),
        assignee=_uuid(_one(params, "assignee")),
        due="soon" if due == "soon" else "overdue" if due == "overdue" else None,
        reopened=params.get("reopened") == "1",
    )


def _query(f: QueueFilters) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = [("status", s.value) for s in f.status]
    for key in ("agency", "category", "area", "assignee", "due"):
        value = getattr(f, key)
        if value is not None:
            pairs.append((key, str(value)))
    if f.reopened:
        pairs.append(("reopened", "1"))
    return pairs


async def _officers(session: AsyncSession, principal: Principal, agency: str | None) -> list[Account]:
    if agency is None and principal.agency_code is None:
        return []  # city-wide staff choose an agency first
    return list(await service.officers(session, principal, agency))


def _live_url(principal: Principal, f: QueueFilters) -> str | None:
    """The agency's live stream the page listens to (city-wide staff: the agency they chose)."""
    code = f.agency or principal.agency_code
    return f"/api/v1/agencies/{quote(code, safe='')}/queue/live" if code else None


async def queue_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    *,
    params: QueryParams | None = None,
    refused: AppError | None = None,
) -> Response:
    locale = locale_of(request)
    params = request.query_params if params is None else params
    f = filters_of(params)
    cursor = _one(params, "cursor")
    after = decode_time_cursor(cursor) if cursor else None
    queue = await service.queue(session, principal, f, after=after, limit=PAGE_SIZE)
    last = queue.items[-1] if queue.items else None
    next_cursor = encode_time_cursor(last.due_at, last.id) if queue.more and last else None
    categories = await categories_repo.categories(session)
    areas = await areas_repo.unit_names(session)
    agencies = await agencies_repo.list_agencies(session) if principal.is_citywide_staff else []
    known = present.Known.of(categories, areas, agencies)
    page = await present.queue_page(session, queue, locale, next_cursor, known)
    query = _query(f)
    on_map = params.get("view") == "map"
    shown = [*query, ("view", "map")] if on_map else query
    settings = request.app.state.settings
    context: dict[str, Any] = {
        "page": page,
        "now": queue.now,
        "f": f,
        "statuses": OPEN_STATUSES,
        "labels": LABELS,
        "categories": categories,
        "areas": areas,
        "agencies": agencies,
        "officers": await _officers(session, principal, f.agency),
        "next_url": "/staff/?" + urlencode([*shown, ("cursor", next_cursor)]) if next_cursor else None,
        "back": urlencode(shown),
        "view": "map" if on_map else "list",
        "list_url": "/staff/" + (f"?{urlencode(query)}" if query else ""),
        "map_url": "/staff/?" + urlencode([*query, ("view", "map")]),
        "points_url": MAP_POINTS + (f"?{urlencode(query)}" if query else ""),
        "places": {r.id: r for r in queue.items} if on_map else {},
        "tile_url": settings.map_tile_url,
        "tile_attribution": settings.map_tile_attribution,
        "live_url": _live_url(principal, f),
        "errors": _sentences(locale, refused, {str(i.id): i.tracking_code for i in page.items})
        if refused
        else [],
        "done": params.get("done"),
    }
    status_code = refused.status if refused else 200
    return await render(request, session, "staff/queue.html", context, status_code=status_code)


def _sentences(locale: str, exc: AppError, codes: dict[str, str]) -> list[str]:
    """Each refused report in a sentence: its tracking code (when the page shows it), the reason."""
    out = []
    for e in exc.errors or []:
        reason = translate(e.message, locale, **(e.params or {}))
        code = codes.get(e.field)
        out.append(translate(_("%(code)s: %(reason)s"), locale, code=code, reason=reason) if code else reason)
    return out or [translate(exc.detail, locale, **exc.params)]


@router.post(BULK)
async def bulk(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    me: StaffPageDep,
    action: Annotated[str, Form(max_length=16)],
    report_ids: Ids = [],  # noqa: B006 - FastAPI copies the default
    officer: Annotated[str, Form(max_length=64)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Accept, or assign to an officer, every ticked report: all or none, as the API does."""
    try:
        # Undone before the page is shown again, so that it shows the reports as they stay.
        async with session.begin_nested():
            if not report_ids:
                raise ValidationFailed(_("Chọn ít nhất một phản ánh."), field="report_ids")
            if action == "assign":
                chosen = _uuid(officer)
                if chosen is None:
                    raise ValidationFailed(_("Chọn cán bộ để giao việc."), field="officer")
                await service.bulk_assign(session, me, report_ids, chosen)
            else:
                await service.bulk_accept(session, ctx, me, report_ids)
    except AppError as exc:
        page = await queue_page(request, session, me, params=QueryParams(back), refused=exc)
        raise refusal(exc, page) from exc
    done = "assigned" if action == "assign" else "accepted"
    return RedirectResponse("/staff/?" + "&".join(p for p in (back, f"done={done}") if p), status_code=303)
