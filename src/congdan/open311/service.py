"""GeoReport v2 over the report rules: every request goes through the reports services.

Nothing here decides routing, deadlines or visibility; it translates between Open311's words and
ours and checks what Open311 adds (jurisdiction, service attributes, its own limits).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz import policy
from congdan.categories import repository as categories_repo
from congdan.config import Settings
from congdan.kit.codes import normalise_tracking_code
from congdan.kit.dates import CITY_TZ
from congdan.kit.errors import BadRequest, NotFound
from congdan.kit.i18n import _, translate
from congdan.models import Category, Open311Submission, Report
from congdan.open311 import repository
from congdan.open311.attributes import validate_attributes
from congdan.open311.definitions import Attribute, info_for
from congdan.open311.formats import w3c
from congdan.open311.present import notice, present_requests
from congdan.open311.query import build_filter, extensions_on
from congdan.open311.schemas import RequestIn, RequestsQuery
from congdan.reports import repository as reports_repo
from congdan.reports import submission
from congdan.reports.context import Context
from congdan.reports.schemas import Contact, ReportCreate
from congdan.shared.schemas import Location

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = datetime(2026, 11, 30, tzinfo=CITY_TZ)


def check_jurisdiction(settings: Settings, jurisdiction_id: str | None) -> None:
    """One jurisdiction per server, so the parameter may be left out; a wrong one is not found."""
    if jurisdiction_id and jurisdiction_id.strip() != settings.open311_jurisdiction:
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
    return [_service(c, locale) for c in await categories_repo.categories(session)]


async def _active_category(session: AsyncSession, code: str) -> Category:
    category = await categories_repo.category(session, code)
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


# ---- reading requests -------------------------------------------------------------------------


async def find(
    session: AsyncSession, query: RequestsQuery, locale: str, base_url: str
) -> list[dict[str, object]]:
    f, offset, limit = build_filter(query)
    rows = await repository.search(session, f, offset=offset, limit=limit)
    return await present_requests(session, list(rows), locale, base_url, extensions=extensions_on(query))


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
    return await present_requests(session, [report], locale, base_url, extensions=extensions_on(query))


async def resolve_token(session: AsyncSession, token: str) -> list[dict[str, object]]:
    """Tokens are the tracking codes residents are given; each resolves to its request's id."""
    code = normalise_tracking_code(token)
    report = await reports_repo.by_tracking_code(session, code) if code else None
    if report is None or report.kind != "report" or not policy.can_view_report(policy.PUBLIC, report):
        raise NotFound(_("Không có token %(token)s."), token=token)
    return [{"service_request_id": str(report.id), "token": token}]


# ---- creating requests ------------------------------------------------------------------------


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
    session: AsyncSession, ctx: Context, api_key_id: uuid.UUID, data: RequestIn, locale: str
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
        photos.append((await submission.upload_photo(session, ctx, policy.PUBLIC, data.media)).media.id)
    report = await submission.submit(
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
