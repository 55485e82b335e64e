"""The public map and list of reports (/ban-do).

The filters are a GET form, so the page works without JavaScript: then it is the list, a page at a
time. With JavaScript, web/static/app/map.js draws the same filters' reports as clustered markers,
from GET /api/v1/reports/map for the part of the map in view.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from congdan.areas import repository as areas_repo
from congdan.categories import repository as categories_repo
from congdan.deps import SessionDep, SettingsDep
from congdan.kit.errors import AppError
from congdan.kit.i18n import _, translate
from congdan.kit.pagination import decode_cursor, encode_cursor
from congdan.notifications.messages import LOCAL_TZ
from congdan.replica import from_replica
from congdan.reports import public_map
from congdan.reports.states import LABELS, Status, label
from congdan.web.alerts import ALERT_BANNER
from congdan.web.rendering import PageLocale, render

router = APIRouter(include_in_schema=False, dependencies=[ALERT_BANNER])

Text = Annotated[str | None, Query(max_length=64)]


def _day(raw: str | None, field: str, errors: dict[str, str], locale: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = translate(_("Ngày không hợp lệ; hãy chọn ngày theo dạng ngày/tháng/năm."), locale)
        return None


def _shown_day(value: datetime) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%d/%m/%Y")


@router.get("/ban-do", response_class=HTMLResponse)
@from_replica()  # public reports, a moment old at worst; a signed-in resident reads the primary
async def map_page(
    request: Request,
    language: PageLocale,
    session: SessionDep,
    settings: SettingsDep,
    category: Text = None,
    status: Text = None,
    unit: Text = None,
    day_from: Annotated[str | None, Query(alias="from", max_length=32)] = None,
    day_to: Annotated[str | None, Query(alias="to", max_length=32)] = None,
    cursor: Text = None,
) -> Response:
    locale = language.locale
    errors: dict[str, str] = {}
    chosen_status = Status(status) if status in {s.value for s in Status} else None
    start, end = _day(day_from, "from", errors, locale), _day(day_to, "to", errors, locale)
    categories = await categories_repo.categories(session)
    units = await areas_repo.unit_names(session)
    category = category if category in {c.code for c in categories} else None
    unit = unit if unit in {u.code for u in units} else None
    try:
        filters = public_map.public_filters(
            category=category, status=chosen_status, unit=unit, day_from=start, day_to=end
        )
    except AppError as refused:
        errors["to"] = translate(refused.detail, locale)
        filters = public_map.public_filters(category=category, status=chosen_status, unit=unit)
    try:
        after = decode_cursor(cursor)
    except AppError:
        after = None
    page = await public_map.public_list(session, filters, after=after, locale=locale)
    chosen = {
        "category": category or "",
        "status": chosen_status.value if chosen_status else "",
        "unit": unit or "",
        "from": start.isoformat() if start and "from" not in errors else "",
        "to": end.isoformat() if end and "to" not in errors else "",
    }
    query = {k: v for k, v in chosen.items() if v}
    context = {
        "page": page,
        "chosen": chosen,
        "errors": errors,
        "categories": [(c.code, c.name_en if locale == "en" else c.name_vi) for c in categories],
        "statuses": [(s.value, translate(LABELS[s], locale)) for s in Status],
        "units": [(u.code, u.name) for u in units],
        "status_text": lambda value: translate(label(value), locale),
        "day": _shown_day,
        "points_url": "/api/v1/reports/map" + (f"?{urlencode(query)}" if query else ""),
        "next_url": f"/ban-do?{urlencode({**query, 'cursor': encode_cursor(page.next_after)})}"
        if page.next_after
        else None,
        "first_url": f"/ban-do?{urlencode(query)}" if after else None,
        "tile_url": settings.map_tile_url,
        "tile_attribution": settings.map_tile_attribution,
    }
    return render(request, "app/map/page.html", context, locale=locale, lang=language.choice)
