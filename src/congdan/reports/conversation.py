"""What is said about a report: the agency's public replies, staff's internal notes, the resident's rating."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.db import utcnow
from congdan.kit.errors import Conflict, InvalidTransition, ValidationFailed
from congdan.kit.i18n import _
from congdan.kit.text import clean_plain_text
from congdan.models import Report, ReportEvent
from congdan.reports import events, repository
from congdan.reports import service as shared
from congdan.reports.schemas import NoteIn, RatingIn, ReplyIn
from congdan.reports.states import FINAL, Status

# What each kind of public message from the agency is called in the history and in the outbox.
_REPLY_KINDS = {
    "answer": ("reply", events.REPLIED),
    "info_request": ("info_request", events.INFO_REQUESTED),
    "progress": ("progress", events.PROGRESS_POSTED),
}


async def reply(
    session: AsyncSession, principal: Principal, report_id: uuid.UUID, data: ReplyIn
) -> ReportEvent:
    report = await shared.load_for_change(session, principal, report_id)
    policy.require_internal_access(principal, report)
    if Status(report.status) in FINAL:
        raise InvalidTransition(_("Phản ánh đã kết thúc; không thể trả lời thêm."))
    message = clean_plain_text(data.message)
    if not message:
        raise ValidationFailed(_("Nội dung trả lời không được để trống."), field="message")
    photo_ids = await shared.claim_photos(session, principal, data.photos, "photos")
    event_type, outbox_event = _REPLY_KINDS[data.kind]
    report.updated_at = utcnow()
    event = await shared.record_and_announce(
        session,
        report,
        principal,
        outbox_event,
        type_=event_type,
        note=message,
        agency_code=principal.agency_code,
        # The resident is told what is asked or what was done.
        payload={} if data.kind == "answer" else {"note": message},
    )
    await repository.attach_media(session, photo_ids, report.id, event.id)
    await shared.audit_staff(session, principal, "report.reply", report, event)
    return event


async def add_note(
    session: AsyncSession, principal: Principal, report_id: uuid.UUID, data: NoteIn
) -> ReportEvent:
    report = await shared.load_for_change(session, principal, report_id)
    policy.require_internal_access(principal, report)
    note = clean_plain_text(data.note)
    if not note:
        raise ValidationFailed(_("Ghi chú không được để trống."), field="note")
    event = await shared.record_and_announce(
        session,
        report,
        principal,
        events.NOTE_ADDED,
        type_="note",
        note=note,
        public=False,
        agency_code=principal.agency_code,
    )
    await shared.audit_staff(session, principal, "report.note", report, event)
    return event


async def rate(session: AsyncSession, principal: Principal, report_id: uuid.UUID, data: RatingIn) -> Report:
    report = await shared.load_for_change(session, principal, report_id)
    policy.require_reporter(principal, report)
    if report.status not in (Status.RESOLVED.value, Status.CLOSED.value):
        raise Conflict(_("Chỉ đánh giá được phản ánh đã giải quyết."))
    if report.rating is not None:
        raise Conflict(_("Phản ánh này đã được đánh giá."))
    report.rating = data.score
    report.rating_comment = clean_plain_text(data.comment) if data.comment else None
    report.rated_at = utcnow()
    await shared.record_and_announce(
        session,
        report,
        principal,
        events.RATED,
        type_="rating",
        note=report.rating_comment,
        payload={"score": data.score},
    )
    return report
