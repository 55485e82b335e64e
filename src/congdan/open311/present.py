"""Reports as Open311 service requests: only what the public may see, in the caller's language."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz import policy
from congdan.kit.dates import CITY_TZ
from congdan.kit.i18n import _, translate
from congdan.models import Report, ReportEvent
from congdan.open311 import repository
from congdan.open311.definitions import STATUS_LABELS
from congdan.open311.formats import w3c
from congdan.open311.query import OPEN_VALUES
from congdan.reports import present
from congdan.reports import repository as reports_repo


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
