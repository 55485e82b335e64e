"""What every report operation shares: finding a report for a caller, showing it, and the history
rows, audit entries and photos that changes write. The changes themselves live in `submission`,
`lifecycle`, `conversation` and `corrections` (a category put right by staff). Services never
commit: the request or the job owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.audit import service as audit
from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.db import new_id, utcnow
from congdan.kit.errors import NotFound, ValidationFailed
from congdan.kit.i18n import _
from congdan.models import Report, ReportEvent
from congdan.outbox.service import emit
from congdan.reports import present, repository
from congdan.reports.schemas import ReportOut
from congdan.reports.states import OPEN, Status

# ---- reading -----------------------------------------------------------------------------------


async def get_for(session: AsyncSession, principal: Principal, report_id: uuid.UUID) -> Report:
    report = await repository.get(session, report_id)
    if report is None:
        raise NotFound(_("Không tìm thấy phản ánh."))
    policy.require_viewable(principal, report)
    return report


async def get_by_code(session: AsyncSession, code: str) -> Report:
    """Whoever holds the tracking code may follow the report; it is how anonymous reporters do."""
    report = await repository.by_tracking_code(session, code)
    if report is None:
        raise NotFound(_("Không tìm thấy phản ánh với mã này."))
    return report


async def reports_out(
    session: AsyncSession,
    principal: Principal,
    reports: Sequence[Report],
    locale: str,
    *,
    without_photos: bool = False,
) -> list[ReportOut]:
    """The reports as this caller may see them. Staff seeing a resident's contact details is an
    access to personal data, so it is logged here; the caller's unit of work commits the rows with
    the answer, also on reads (such endpoints are marked `@writes`)."""
    out = await present.reports_out(session, principal, reports, locale, without_photos=without_photos)
    revealed = [r.id for r in out if r.contact is not None]
    if revealed and principal.is_staff:
        await audit.record_many(
            session, principal, "contact.viewed", subject_type="report", subjects=revealed
        )
    return out


async def report_out(
    session: AsyncSession, principal: Principal, report: Report, locale: str, *, without_photos: bool = False
) -> ReportOut:
    return (await reports_out(session, principal, [report], locale, without_photos=without_photos))[0]


def is_open(report: Report) -> bool:
    return Status(report.status) in OPEN


# ---- what changes share ------------------------------------------------------------------------


async def load_for_change(session: AsyncSession, principal: Principal, report_id: uuid.UUID) -> Report:
    report = await repository.get(session, report_id, for_update=True)
    if report is None:
        raise NotFound(_("Không tìm thấy phản ánh."))
    policy.require_viewable(principal, report)
    return report


def record(
    session: AsyncSession,
    report: Report,
    actor: Principal,
    *,
    type_: str,
    from_status: Status | None,
    to_status: Status | None,
    note: str | None = None,
    public: bool = True,
    agency_code: str | None = None,
    at: datetime | None = None,
) -> ReportEvent:
    """A row of the report's history (`at`: when it happened, if not now: a sweep's moment)."""
    event = ReportEvent(
        id=new_id(),  # known now, so that the announcement can name it without a flush
        report_id=report.id,
        type=type_,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        actor_id=actor.account_id,
        actor_role=actor.role,
        agency_code=agency_code if actor.role in policy.AGENCY_ROLES or actor.role == policy.SYSTEM else None,
        note=note,
        is_public=public,
        created_at=at or utcnow(),
    )
    session.add(event)
    return event


def _actor(actor: Principal) -> dict[str, str]:
    # A staff member's own changes are left out of the live count on their queue page.
    return {"actor_id": str(actor.account_id)} if actor.is_staff and actor.account_id else {}


async def record_and_announce(
    session: AsyncSession,
    report: Report,
    actor: Principal,
    announce: str,
    *,
    type_: str,
    from_status: Status | None = None,
    to_status: Status | None = None,
    note: str | None = None,
    public: bool = True,
    agency_code: str | None = None,
    payload: dict[str, object] | None = None,
    flush: bool = True,
) -> ReportEvent:
    """A row of the report's history and the outbox row `announce` that tells of it, in one
    transaction. The history row is flushed at once (the session does not flush by itself before a
    query) unless `flush` is False: a caller writing several rows flushes them together."""
    event = record(
        session,
        report,
        actor,
        type_=type_,
        from_status=from_status,
        to_status=to_status,
        note=note,
        public=public,
        agency_code=agency_code,
    )
    if flush:
        await session.flush()
    emit(
        session,
        announce,
        aggregate_type="report",
        aggregate_id=str(report.id),
        payload={"report_id": str(report.id), "event_id": str(event.id), **_actor(actor), **(payload or {})},
    )
    return event


async def audit_staff(
    session: AsyncSession,
    principal: Principal,
    action: str,
    report: Report,
    event: ReportEvent,
    **details: str,
) -> None:
    if principal.is_staff:
        await audit.record(
            session,
            principal,
            action,
            subject_type="report",
            subject_id=report.id,
            details={"event_id": str(event.id), **details},
        )


async def claim_photos(
    session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID], field: str
) -> list[uuid.UUID]:
    """Uploaded photos the caller may attach: their own, or anonymous ones, not yet attached."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        return []
    found = {m.id: m for m in await repository.unattached_media(session, unique)}
    for media_id in unique:
        media = found.get(media_id)
        if media is None or (media.owner_id is not None and media.owner_id != principal.account_id):
            raise ValidationFailed(
                _("Ảnh %(id)s không tồn tại hoặc đã được dùng."), field=field, id=str(media_id)
            )
    return unique
