"""The public map and list of reports: what anyone may see, filtered by category, status, unit and
the days they were sent.

Both read through the reports repository as the PUBLIC principal, so they hold exactly the reports
authz lets the public see, and present them as the public sees them: no reporter's name or contact,
nothing internal. The map answer is bounded; a map that would hold more says it was cut.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz.policy import PUBLIC
from congdan.kit.dates import CITY_TZ
from congdan.kit.errors import ValidationFailed
from congdan.kit.i18n import _, translate
from congdan.reports import present, repository
from congdan.reports.schemas import MapFeature, MapFeatureCollection, MapPoint, MapProperties, ReportFilters
from congdan.reports.states import Status, label

LOCAL_TZ = CITY_TZ
MAP_LIMIT = 500
LIST_PAGE = 20
WHOLE_WORLD = (-180.0, -90.0, 180.0, 90.0)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL_TZ)


def public_filters(
    *,
    category: str | None = None,
    status: Status | None = None,
    unit: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> ReportFilters:
    """Filters from what a resident chose: days are Ho Chi Minh City days, `day_to` included."""
    if day_from and day_to and day_to < day_from:
        raise ValidationFailed(_("Ngày kết thúc phải sau ngày bắt đầu."), field="to")
    return ReportFilters(
        status=[status] if status else [],
        category=category or None,
        area=unit or None,
        created_from=_local_midnight(day_from) if day_from else None,
        created_to=_local_midnight(day_to + timedelta(days=1)) if day_to else None,
        bbox=bbox,
    )


def parse_bbox(raw: str) -> tuple[float, float, float, float]:
    """ "min_long,min_lat,max_long,max_lat", as the map sends its bounds."""
    try:
        parts = [float(p) for p in raw.split(",")]
    except ValueError:
        parts = []
    if (
        len(parts) != 4
        or not (parts[0] < parts[2] and parts[1] < parts[3])
        or not (all(-180 <= p <= 180 for p in parts[0::2]) and all(-90 <= p <= 90 for p in parts[1::2]))
    ):
        raise ValidationFailed(_("bbox phải có dạng min_long,min_lat,max_long,max_lat."), field="bbox")
    return parts[0], parts[1], parts[2], parts[3]


@dataclass(frozen=True)
class ListItem:
    code: str
    status: str
    category: str | None
    area: str | None
    description: str
    created_at: datetime
    has_location: bool


@dataclass(frozen=True)
class ListPage:
    items: list[ListItem]
    next_after: uuid.UUID | None


async def public_list(
    session: AsyncSession,
    filters: ReportFilters,
    *,
    after: uuid.UUID | None,
    locale: str,
    limit: int = LIST_PAGE,
) -> ListPage:
    rows = await repository.search(session, PUBLIC, filters, after=after, limit=limit + 1)
    page = list(rows[:limit])
    shown = await present.reports_out(session, PUBLIC, page, locale)
    items = [
        ListItem(
            code=r.tracking_code,
            status=r.status.value,
            category=r.category.name if r.category else None,
            area=r.area.name if r.area else None,
            description=r.description,
            created_at=r.created_at,
            has_location=r.location is not None,
        )
        for r in shown
    ]
    return ListPage(items=items, next_after=page[-1].id if len(rows) > limit else None)


async def map_features(
    session: AsyncSession, filters: ReportFilters, *, locale: str, limit: int = MAP_LIMIT
) -> MapFeatureCollection:
    """Public reports with a place inside the filters' box (the whole world without one), newest
    first, at most `limit`."""
    limit = max(1, min(limit, MAP_LIMIT))
    boxed = filters.model_copy(update={"bbox": filters.bbox or WHOLE_WORLD})
    rows = await repository.search(session, PUBLIC, boxed, after=None, limit=limit + 1)
    page = list(rows[:limit])
    shown = await present.reports_out(session, PUBLIC, page, locale)
    features = [
        MapFeature(
            geometry=MapPoint(coordinates=(r.location.long, r.location.lat)),
            properties=MapProperties(
                code=r.tracking_code,
                status=r.status,
                status_label=translate(label(r.status), locale),
                category=r.category.name if r.category else None,
                url=f"/theo-doi/{r.tracking_code}",
            ),
        )
        for r in shown
        if r.location is not None
    ]
    return MapFeatureCollection(features=features, truncated=len(rows) > limit)
