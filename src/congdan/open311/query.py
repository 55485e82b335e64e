"""GET requests query parameters turned into a repository filter, with the spec's limits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from congdan.db import utcnow
from congdan.kit.errors import BadRequest
from congdan.kit.i18n import _
from congdan.open311.formats import parse_w3c
from congdan.open311.repository import RequestFilter
from congdan.open311.schemas import RequestsQuery
from congdan.reports.states import OPEN, Status

MAX_ROWS = 1000
MAX_SPAN = timedelta(days=90)
OPEN_VALUES = frozenset(s.value for s in OPEN)
CLOSED_VALUES = frozenset(s.value for s in Status) - OPEN_VALUES


def _date_param(name: str, raw: str | None) -> datetime | None:
    if raw is None or raw == "":
        return None
    moment = parse_w3c(raw, date_only=True)
    if moment is None:
        raise BadRequest(
            _("%(name)s phải là ngày giờ W3C có múi giờ, ví dụ 2026-01-01T00:00:00Z."), field=name, name=name
        )
    return moment


def _positive_int(name: str, raw: str | None, default: int, maximum: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise BadRequest(
            _("%(name)s phải là số nguyên từ 1 đến %(max)s."), field=name, name=name, max=maximum
        )
    return int(raw)


def _csv(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


@dataclass(frozen=True)
class Window:
    start: datetime | None
    end: datetime | None


def requested_window(start: datetime | None, end: datetime | None, *, default: bool) -> Window:
    """The spec's window: at most 90 days, the most recent 90 days when neither end is given."""
    if start is not None and end is not None:
        if end < start:
            raise BadRequest(_("end_date phải sau start_date."), field="end_date")
        if end - start > MAX_SPAN:
            raise BadRequest(_("Khoảng start_date–end_date không được quá 90 ngày."), field="end_date")
        return Window(start, end)
    if start is not None:
        return Window(start, start + MAX_SPAN)
    if end is not None:
        return Window(end - MAX_SPAN, end)
    if default:
        now = utcnow()
        return Window(now - MAX_SPAN, now)
    return Window(None, None)


def extensions_on(query: RequestsQuery) -> bool:
    return (query.extensions or "").strip().lower() == "true"


def build_filter(query: RequestsQuery) -> tuple[RequestFilter, int, int]:
    """The filter, offset and row limit a GET requests query asks for."""
    page = _positive_int("page", query.page, 1, 1_000_000)
    size = _positive_int("page_size", query.page_size, MAX_ROWS, MAX_ROWS)
    offset = (page - 1) * size
    if query.service_request_id is not None and query.service_request_id.strip():
        # The spec: a list of ids overrides every other parameter.
        ids: list[uuid.UUID] = []
        for part in _csv(query.service_request_id):
            try:
                ids.append(uuid.UUID(part))
            except ValueError:
                continue  # an id we never issued simply matches nothing
        return RequestFilter(ids=ids[:MAX_ROWS]), 0, MAX_ROWS
    statuses: set[str] = set()
    for word in _csv(query.status):
        if word.lower() == "open":
            statuses |= OPEN_VALUES
        elif word.lower() == "closed":
            statuses |= CLOSED_VALUES
        else:
            raise BadRequest(_("status chỉ nhận open hoặc closed."), field="status")
    updated_after = _date_param("updated_after", query.updated_after)
    updated_before = _date_param("updated_before", query.updated_before)
    if updated_after and updated_before and updated_before < updated_after:
        raise BadRequest(_("updated_before phải sau updated_after."), field="updated_before")
    window = requested_window(
        _date_param("start_date", query.start_date),
        _date_param("end_date", query.end_date),
        # Asking what changed since a moment must not hide older requests that changed.
        default=updated_after is None and updated_before is None,
    )
    return (
        RequestFilter(
            service_codes=_csv(query.service_code),
            statuses=sorted(statuses),
            requested_from=window.start,
            requested_to=window.end,
            updated_from=updated_after,
            updated_to=updated_before,
        ),
        offset,
        size,
    )
