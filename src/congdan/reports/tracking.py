"""What the tracking page shows of a report found by its code.

A tracking code is read out on the phone, so it is not a key to private details: a private
report shows its status, agency, deadline and the agency's public replies only. A public report
also shows its category, description, photos, area and the public timeline. Nobody's name or
contact is ever part of it, and internal notes never are. The API's look-up by code follows the
same rule: the full report only for those who may see it (the reporter signed in or proven, staff
who may), the short view otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.reports import present, repository, service
from congdan.reports.schemas import EventOut, PhotoOut, ReportByCodeOut, ReportOut
from congdan.reports.states import Status
from congdan.shared.schemas import CodeName

# Events in which the agency speaks to the resident.
REPLY_TYPES = frozenset({"reply", "info_request", "progress"})


@dataclass(frozen=True)
class TrackingView:
    code: str
    status: str
    agency: str | None
    due_at: datetime | None
    replies: list[EventOut]
    detailed: bool
    category: str | None = None
    description: str | None = None
    area: str | None = None
    photos: list[PhotoOut] = field(default_factory=list)
    timeline: list[EventOut] = field(default_factory=list)
    evidence: list[PhotoOut] = field(default_factory=list)


async def tracking_view(session: AsyncSession, principal: Principal, code: str, locale: str) -> TrackingView:
    """The report with this (normalised) code as its tracking page shows it; NotFound if none."""
    report = await service.get_by_code(session, code)
    out = await service.report_out(session, principal, report, locale)
    rows = await repository.events(session, report.id, include_internal=False)
    events = await present.events_out(session, rows, locale)
    replies = [e for e in events if e.type in REPLY_TYPES]
    base = TrackingView(
        code=out.tracking_code,
        status=out.status.value,
        agency=out.agency.name if out.agency else None,
        due_at=out.due_at,
        # The words of the replies, not the photos that came with them.
        replies=[e.model_copy(update={"photos": []}) for e in replies],
        detailed=False,
    )
    if not policy.can_view_report(principal, report):
        return base
    return TrackingView(
        code=base.code,
        status=base.status,
        agency=base.agency,
        due_at=base.due_at,
        replies=replies,
        detailed=True,
        category=out.category.name if out.category else None,
        description=out.description,
        area=out.area.name if out.area else None,
        photos=out.photos,
        timeline=events,
        evidence=[photo for e in events for photo in e.photos],
    )


async def by_code_out(
    session: AsyncSession, principal: Principal, code: str, locale: str
) -> ReportOut | ReportByCodeOut:
    """The look-up by (normalised) tracking code of the API; NotFound if there is no such report."""
    report = await service.get_by_code(session, code)
    if policy.can_view_report(principal, report):
        return await service.report_out(session, principal, report, locale)
    rows = await repository.events(session, report.id, include_internal=False)
    replies = [e for e in await present.events_out(session, rows, locale) if e.type in REPLY_TYPES]
    _c, _a, agencies = await repository.names_for(
        session, categories=set(), areas=set(), agencies={report.agency_code} if report.agency_code else set()
    )
    agency = agencies.get(report.agency_code or "")
    return ReportByCodeOut(
        tracking_code=report.tracking_code,
        status=Status(report.status),
        agency=CodeName(code=agency.code, name=agency.name_en if locale == "en" else agency.name)
        if agency
        else None,
        due_at=report.due_at,
        replies=[e.model_copy(update={"photos": []}) for e in replies],
    )
