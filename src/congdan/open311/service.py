"""GeoReport v2 over the report rules: every request goes through congdan.reports.service.

Nothing here decides routing, deadlines or visibility; it translates between Open311's words and
ours and checks what Open311 adds (jurisdiction, service attributes, its own limits).
"""

from __future__ import annotations

import math
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz import policy
from congdan.config import Settings
from congdan.db import utcnow
from congdan.kit.errors import BadRequest, FieldError, NotFound
from congdan.kit.i18n import _, translate
from congdan.models import Category, Open311Submission, Report, ReportEvent
from congdan.open311 import repository
from congdan.open311.definitions import STATUS_LABELS, Attribute, info_for
from congdan.open311.formats import CITY_TZ, w3c
from congdan.open311.schemas import RequestIn, RequestsQuery
from congdan.reports import present
from congdan.reports import repository as reports_repo
from congdan.reports import service as reports
from congdan.reports.schemas import Contact, Location, ReportCreate
from congdan.reports.states import OPEN, Status

MAX_ROWS = 1000
MAX_SPAN = timedelta(days=90)
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = datetime(2026, 11, 30, tzinfo=CITY_TZ)
CLOSED = frozenset(s.value for s in Status) - frozenset(s.value for s in OPEN)
OPEN_VALUES = frozenset(s.value for s in OPEN)


def check_jurisdiction(settings: Settings, jurisdiction_id: str | None) -> None:
    """One jurisdiction per server, so the parameter may be left out; a wrong one is not found."""
    if jurisdiction_id is not None and jurisdiction_id.strip() != settings.open311_jurisdiction:
        raise NotFound(_("Không có jurisdiction_id %(id)s."), id=jurisdiction_id)


# ---- discovery and services -------------------------------------------------------------------


def discovery(base_url: str, locale: str) -> dict[str, object]:
    return {
        "changeset": w3c(CHANGESET),
        "contact": translate(_("Tổng đài 1022 Thành phố Hồ Chí Minh"), locale),
        "key_service": translate(
            _("Khóa API do quản trị viên hệ thống cấp (lệnh congdan apikey create)."), locale
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base_url}/open311/v2",
                "changeset": w3c(CHANGESET),
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def _service(category: Category, locale: str) -> dict[str, object]:
    info = info_for(category.code)
    return {
        "service_code": category.code,
        "service_name": category.name_en if locale == "en" else category.name_vi,
        "description": info.description.get(locale) or None,
        "metadata": bool(info.attributes),
        "type": "realtime",
        "keywords": info.keywords.get(locale) or None,
        "group": info.group.get(locale),
    }


async def services(session: AsyncSession, locale: str) -> list[dict[str, object]]:
    return [_service(c, locale) for c in await reports_repo.categories(session)]


async def _active_category(session: AsyncSession, code: str) -> Category:
    category = await reports_repo.category(session, code)
    if category is None or not category.is_active:
        raise NotFound(_("Không có service_code %(code)s."), code=code)
    return category


def _attribute(attribute: Attribute, order: int, locale: str) -> dict[str, object]:
    out: dict[str, object] = {
        "variable": True,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": attribute.datatype_description.get(locale)
        if attribute.datatype_description
        else None,
        "order": order,
        "description": attribute.description.get(locale),
    }
    if attribute.values:
        out["values"] = [{"key": v.key, "name": v.name.get(locale)} for v in attribute.values]
    return out


async def definition(session: AsyncSession, code: str, locale: str) -> dict[str, object]:
    category = await _active_category(session, code)
    attributes = info_for(category.code).attributes
    return {
        "service_code": category.code,
        "attributes": [_attribute(a, i, locale) for i, a in enumerate(attributes, start=1)],
    }


# ---- parsing ----------------------------------------------------------------------------------

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A "+07:00" offset sent unencoded in a URL or form arrives as " 07:00".
_LOST_PLUS = re.compile(r"(T[\d:.]+) (\d{2}(:?\d{2})?)$")


def parse_w3c(raw: str, *, date_only: bool = False) -> datetime | None:
    """A W3C date-time with a zone (Z or ±hh:mm); a bare date when allowed means midnight in the city."""
    raw = _LOST_PLUS.sub(r"\1+\2", raw.strip())
    if date_only and _DATE_ONLY.match(raw):
        try:
            return datetime.fromisoformat(raw).replace(tzinfo=CITY_TZ)
        except ValueError:
            return None
    if "T" not in raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


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


def _extensions_on(query: RequestsQuery) -> bool:
    return (query.extensions or "").strip().lower() == "true"


def _filter(query: RequestsQuery) -> tuple[repository.RequestFilter, int, int]:
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
        return repository.RequestFilter(ids=ids[:MAX_ROWS]), 0, MAX_ROWS
    statuses: set[str] = set()
    for word in _csv(query.status):
        if word.lower() == "open":
            statuses |= OPEN_VALUES
        elif word.lower() == "closed":
            statuses |= CLOSED
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
        repository.RequestFilter(
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


# ---- reading requests -------------------------------------------------------------------------


def notice(report: Report, agency_name: str | None, locale: str) -> str | None:
    """What the city will do next, in a sentence; nothing once the request is closed."""
    if report.status not in OPEN_VALUES:
        return None
    if agency_name and report.due_at is not None:
        due = report.due_at.astimezone(CITY_TZ).strftime("%d/%m/%Y")
        return translate(
            _("Đã chuyển đến %(agency)s; hạn trả lời kết quả: %(due)s."), locale, agency=agency_name, due=due
        )
    return translate(_("Đang chờ điều phối viên phân loại và chuyển đến cơ quan xử lý."), locale)


def _note(event: ReportEvent, locale: str) -> dict[str, object]:
    label = STATUS_LABELS.get(event.to_status or "")
    return {
        "datetime": w3c(event.created_at),
        "type": event.type,
        "status": event.to_status,
        "summary": label.get(locale) if label else translate(_("Cơ quan xử lý trả lời"), locale),
        "description": event.note,
    }


async def present_requests(
    session: AsyncSession, rows: list[Report], locale: str, base_url: str, *, extensions: bool
) -> list[dict[str, object]]:
    shown = [r for r in rows if policy.can_view_report(policy.PUBLIC, r)]
    ids = [r.id for r in shown]
    cats, _areas, agencies = await reports_repo.names_for(
        session,
        categories={r.category_code for r in shown if r.category_code},
        areas=set(),
        agencies={r.agency_code for r in shown if r.agency_code},
    )
    events: dict[uuid.UUID, list[ReportEvent]] = defaultdict(list)
    for event in await repository.public_events(session, ids):
        events[event.report_id].append(event)
    photos = await repository.first_photos(session, ids)
    extras = await repository.submissions(session, ids)
    out: list[dict[str, object]] = []
    for r in shown:
        category = cats.get(r.category_code or "")
        agency = agencies.get(r.agency_code or "")
        agency_name = (agency.name_en if locale == "en" else agency.name) if agency else None
        notes = [e.note for e in events.get(r.id, []) if e.note]
        photo = photos.get(r.id)
        extra = extras.get(r.id)
        media_url = (
            f"{base_url}{present.photo_out(photo).url}" if photo else (extra.media_url if extra else None)
        )
        item: dict[str, object] = {
            "service_request_id": str(r.id),
            "status": "open" if r.status in OPEN_VALUES else "closed",
            "status_notes": notes[-1] if notes else None,
            "service_name": (category.name_en if locale == "en" else category.name_vi) if category else None,
            "service_code": r.category_code,
            "description": r.description,
            "agency_responsible": agency_name,
            "service_notice": notice(r, agency_name, locale),
            "requested_datetime": w3c(r.created_at),
            "updated_datetime": w3c(r.updated_at),
            "expected_datetime": w3c(r.due_at),
            "address": r.address,
            "address_id": r.area_code,
            "zipcode": None,
            "lat": r.lat,
            "long": r.lon,
            "media_url": media_url,
        }
        if extensions:
            label = STATUS_LABELS[r.status].get(locale)
            item["extended_attributes"] = {
                "detailed_status": r.status,
                "detailed_status_label": label,
                "attributes": _attributes_out(extra.attributes if extra else {}),
            }
            item["notes"] = [_note(e, locale) for e in events.get(r.id, [])]
        out.append(item)
    return out


def _attributes_out(stored: dict[str, object]) -> list[dict[str, object]]:
    return [{"code": code, "value": value} for code, value in stored.items()]


async def find(
    session: AsyncSession, query: RequestsQuery, locale: str, base_url: str
) -> list[dict[str, object]]:
    f, offset, limit = _filter(query)
    rows = await repository.search(session, f, offset=offset, limit=limit)
    return await present_requests(session, list(rows), locale, base_url, extensions=_extensions_on(query))


async def one(
    session: AsyncSession, raw_id: str, query: RequestsQuery, locale: str, base_url: str
) -> list[dict[str, object]]:
    try:
        report_id = uuid.UUID(raw_id)
    except ValueError:
        raise NotFound(_("Không có service_request_id %(id)s."), id=raw_id) from None
    report = await reports_repo.get(session, report_id)
    if report is None or report.kind != "report" or not policy.can_view_report(policy.PUBLIC, report):
        raise NotFound(_("Không có service_request_id %(id)s."), id=raw_id)
    return await present_requests(session, [report], locale, base_url, extensions=_extensions_on(query))


async def resolve_token(session: AsyncSession, token: str) -> list[dict[str, object]]:
    """Tokens are the tracking codes residents are given; each resolves to its request's id."""
    from congdan.kit.codes import normalise_tracking_code

    code = normalise_tracking_code(token)
    report = await reports_repo.by_tracking_code(session, code) if code else None
    if report is None or report.kind != "report" or not policy.can_view_report(policy.PUBLIC, report):
        raise NotFound(_("Không có token %(token)s."), token=token)
    return [{"service_request_id": str(report.id), "token": token}]


# ---- creating requests ------------------------------------------------------------------------

_MAX_STRING = 200
_MAX_TEXT = 4000


def validate_attributes(code: str, raw: dict[str, list[str]]) -> dict[str, object]:
    """Checks attribute[code] and attribute[code][] against the service definition."""
    definitions = {a.code: a for a in info_for(code).attributes}
    errors: list[FieldError] = []
    clean: dict[str, object] = {}
    for name in raw:
        if name not in definitions:
            errors.append(
                FieldError(
                    f"attribute[{name}]",
                    _("Dịch vụ %(service)s không có thuộc tính %(code)s."),
                    {"service": code, "code": name},
                )
            )
    for attribute in definitions.values():
        field = f"attribute[{attribute.code}]"
        sent = raw.get(attribute.code)
        values = [v.strip() for v in sent if v.strip()] if sent else []
        if not values:
            if attribute.required:
                errors.append(
                    FieldError(field, _("Thiếu thuộc tính bắt buộc %(code)s."), {"code": attribute.code})
                )
            continue
        problem = _check_value(attribute, values)
        if isinstance(problem, FieldError):
            errors.append(problem)
        else:
            clean[attribute.code] = problem
    if errors:
        raise BadRequest(errors=errors)
    return clean


def _check_value(attribute: Attribute, values: list[str]) -> object:
    field = f"attribute[{attribute.code}]"
    params: dict[str, object] = {"code": attribute.code}
    if attribute.datatype == "multivaluelist":
        unknown = [v for v in values if v not in attribute.keys]
        if unknown:
            return FieldError(field, _("Giá trị không có trong danh sách của %(code)s."), params)
        return list(dict.fromkeys(values))
    if len(values) > 1:
        return FieldError(field, _("Thuộc tính %(code)s chỉ nhận một giá trị."), params)
    value = values[0]
    if attribute.datatype == "singlevaluelist":
        if value not in attribute.keys:
            return FieldError(field, _("Giá trị không có trong danh sách của %(code)s."), params)
        return value
    if attribute.datatype == "number":
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            return FieldError(field, _("Thuộc tính %(code)s phải là một số."), params)
        return number
    if attribute.datatype == "datetime":
        moment = parse_w3c(value)
        if moment is None:
            return FieldError(field, _("Thuộc tính %(code)s phải là ngày giờ W3C có múi giờ."), params)
        return w3c(moment)
    limit = _MAX_TEXT if attribute.datatype == "text" else _MAX_STRING
    if len(value) > limit or (attribute.datatype == "string" and "\n" in value):
        return FieldError(field, _("Thuộc tính %(code)s quá dài hoặc sai định dạng."), params)
    return value


def _location(data: RequestIn) -> Location | None:
    if data.lat is None and data.long is None:
        return None
    try:
        lat = float(data.lat or "")
        lon = float(data.long or "")
    except ValueError:
        lat = lon = math.nan
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadRequest(_("lat và long phải là tọa độ WGS84 hợp lệ, gửi cùng nhau."), field="lat")
    return Location(lat=lat, long=lon)


def _media_url(raw: str | None) -> str | None:
    if not raw:
        return None
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or len(raw) > 2000:
        raise BadRequest(_("media_url phải là địa chỉ http hoặc https."), field="media_url")
    return raw.strip()


def _too_long(value: str | None, limit: int) -> bool:
    return value is not None and len(value) > limit


@dataclass(frozen=True)
class Created:
    report: Report
    service_notice: str | None
    account_id: str | None


async def create(
    session: AsyncSession, ctx: reports.Context, api_key_id: uuid.UUID, data: RequestIn, locale: str
) -> Created:
    if not data.service_code:
        raise BadRequest(_("Thiếu service_code."), field="service_code")
    category = await _active_category(session, data.service_code)
    location = _location(data)
    address = data.address_string.strip() if data.address_string and data.address_string.strip() else None
    if data.address_id and address is None and location is None:
        # address_id is the code of a ward or commune; its full name routes like an address.
        address = await _area(session, data.address_id.strip())
    if location is None and address is None:
        raise BadRequest(_("Cần lat và long, address_string hoặc address_id."), field="lat")
    description = (data.description or "").strip()
    if not description:
        raise BadRequest(_("Thiếu description: hãy mô tả vấn đề."), field="description")
    for field, value, limit in (
        ("description", description, 4000),
        ("address_string", address, 500),
        ("email", data.email, 254),
        ("phone", data.phone, 32),
        ("device_id", data.device_id, 200),
        ("account_id", data.account_id, 200),
        ("first_name", data.first_name, 100),
        ("last_name", data.last_name, 100),
    ):
        if _too_long(value, limit):
            raise BadRequest(_("%(name)s quá dài."), field=field, name=field)
    attributes = validate_attributes(category.code, data.attributes)
    media_url = _media_url(data.media_url)
    name = " ".join(p.strip() for p in (data.first_name, data.last_name) if p and p.strip()) or None
    contact = (
        Contact(name=name, phone=data.phone or None, email=data.email or None)
        if name or data.phone or data.email
        else None
    )
    photos: list[uuid.UUID] = []
    if data.media:
        photos.append((await reports.upload_photo(session, ctx, policy.PUBLIC, data.media)).id)
    report = await reports.submit(
        session,
        ctx,
        policy.PUBLIC,
        ReportCreate(
            kind="report",
            category=category.code,
            description=description,
            location=location,
            address=address,
            photos=photos,
            visibility="public",
            contact=contact,
        ),
    )
    session.add(
        Open311Submission(
            report_id=report.id,
            api_key_id=api_key_id,
            attributes=attributes,
            device_id=data.device_id or None,
            account_id=data.account_id or None,
            media_url=media_url,
        )
    )
    await session.flush()
    agency_name = None
    if report.agency_code:
        _c, _a, agencies = await reports_repo.names_for(
            session, categories=set(), areas=set(), agencies={report.agency_code}
        )
        agency = agencies.get(report.agency_code)
        agency_name = (agency.name_en if locale == "en" else agency.name) if agency else None
    return Created(report, notice(report, agency_name, locale), data.account_id or None)


async def _area(session: AsyncSession, code: str) -> str:
    _c, areas, _g = await reports_repo.names_for(session, categories=set(), areas={code}, agencies=set())
    area = areas.get(code)
    if area is None:
        raise BadRequest(_("Không có address_id %(id)s."), field="address_id", id=code)
    return f"{area.name}, Thành phố Hồ Chí Minh"
