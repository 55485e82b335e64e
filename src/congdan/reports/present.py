"""Turning rows into API answers, hiding what the caller may not see. Presenters only read."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.models import Agency, Media, Report, ReportEvent
from congdan.reports import repository
from congdan.reports.schemas import (
    ContactOut,
    EventOut,
    MediaOut,
    PhotoOut,
    ReportOut,
    RoutingOut,
    UploadOut,
)
from congdan.reports.states import Status
from congdan.shared.schemas import AreaRef, CodeName, Location


def photo_out(media: Media) -> PhotoOut:
    return PhotoOut(
        id=media.id,
        url=f"/media/{media.storage_key}",
        thumbnail_url=f"/media/{media.thumb_key}",
        width=media.width,
        height=media.height,
    )


def media_out(media: Media) -> MediaOut:
    return MediaOut(**photo_out(media).model_dump(), content_type=media.content_type)


def upload_out(media: Media, exif_location: tuple[float, float] | None) -> UploadOut:
    point = Location(lat=exif_location[0], long=exif_location[1]) if exif_location else None
    return UploadOut(**media_out(media).model_dump(), exif_location=point)


def _agency_name(agency: Agency, locale: str) -> str:
    return agency.name_en if locale == "en" else agency.name


async def reports_out(
    session: AsyncSession,
    principal: Principal,
    reports: Sequence[Report],
    locale: str,
    *,
    without_photos: bool = False,
) -> list[ReportOut]:
    """`without_photos`: the caller knows none of the reports has photos (one just sent without
    any), so they are not looked up."""
    cats, areas, agencies = await repository.names_for(
        session,
        categories={r.category_code for r in reports if r.category_code},
        areas={r.area_code for r in reports if r.area_code},
        agencies={r.agency_code for r in reports if r.agency_code},
    )
    photos: dict[uuid.UUID, list[Media]] = defaultdict(list)
    found = [] if without_photos else await repository.media_for_reports(session, [r.id for r in reports])
    for media in found:
        if media.report_id is not None:
            photos[media.report_id].append(media)
    out = []
    for r in reports:
        contact = _contact(principal, r)
        cat = cats.get(r.category_code or "")
        area = areas.get(r.area_code or "")
        agency = agencies.get(r.agency_code or "")
        out.append(
            ReportOut(
                id=r.id,
                tracking_code=r.tracking_code,
                kind=r.kind,
                status=Status(r.status),
                category=CodeName(code=cat.code, name=cat.name_en if locale == "en" else cat.name_vi)
                if cat
                else None,
                description=r.description,
                location=Location(lat=r.lat, long=r.lon) if r.lat is not None and r.lon is not None else None,
                address=r.address,
                area=AreaRef(code=area.code, name=area.name, approximate=r.area_approximate)
                if area
                else None,
                agency=CodeName(code=agency.code, name=_agency_name(agency, locale)) if agency else None,
                visibility="public" if r.is_public else "private",
                hide_identity=r.hide_identity,
                due_at=r.due_at,
                overdue_at=r.overdue_at,
                progress_required=r.progress_required_at is not None,
                committed_finish_on=r.committed_finish_on,
                created_at=r.created_at,
                updated_at=r.updated_at,
                resolved_at=r.resolved_at,
                closed_at=r.closed_at,
                duplicate_of=r.duplicate_of_id,
                rating=r.rating,
                rating_comment=r.rating_comment,
                photos=[photo_out(m) for m in photos.get(r.id, [])],
                is_mine=policy.is_reporter(principal, r),
                routing=RoutingOut(
                    category_source=r.category_source,
                    category_confidence=r.category_confidence,
                    classifier_version=r.classifier_version,
                )
                if policy.can_see_internal(principal, r)
                else None,
                contact=contact,
            )
        )
    return out


def _contact(principal: Principal, report: Report) -> ContactOut | None:
    if not policy.can_see_contact(principal, report):
        return None
    # A reporter who asked to hide their identity is hidden from the agency too; coordinators
    # keep it because they may need to call back.
    if report.hide_identity and not (policy.is_reporter(principal, report) or principal.is_citywide_staff):
        return None
    if not (report.contact_name or report.contact_phone or report.contact_email):
        return None
    return ContactOut(name=report.contact_name, phone=report.contact_phone, email=report.contact_email)


async def events_out(session: AsyncSession, events: Sequence[ReportEvent], locale: str) -> list[EventOut]:
    _c, _a, agencies = await repository.names_for(
        session, categories=set(), areas=set(), agencies={e.agency_code for e in events if e.agency_code}
    )
    reasons = await repository.rejection_reasons_by_code(
        session, {e.reason_code for e in events if e.reason_code}
    )
    photos: dict[uuid.UUID, list[Media]] = defaultdict(list)
    for media in await repository.media_for_events(session, [e.id for e in events]):
        if media.event_id is not None:
            photos[media.event_id].append(media)
    result = []
    for e in events:
        agency = agencies.get(e.agency_code or "")
        result.append(
            EventOut(
                id=e.id,
                type=e.type,
                from_status=e.from_status,
                to_status=e.to_status,
                note=e.note,
                reason=CodeName(code=reason.code, name=reason.text_en if locale == "en" else reason.text_vi)
                if (reason := reasons.get(e.reason_code or ""))
                else None,
                public=e.is_public,
                actor_role=e.actor_role,
                agency=CodeName(code=agency.code, name=_agency_name(agency, locale)) if agency else None,
                photos=[photo_out(m) for m in photos.get(e.id, [])],
                created_at=e.created_at,
            )
        )
    return result
