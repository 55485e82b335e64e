"""What is said about a report: the agency's public replies, staff's internal notes, the resident's rating."""

from __future__ import annotations

import uuid
from datetime import date

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
from congdan.reports.deadlines import local_today
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
    committed = _committed_finish(report, data, photo_ids)
    event_type, outbox_event = _REPLY_KINDS[data.kind]
    report.updated_at = utcnow()
    # The resident is told what is asked or what was done.
    payload: dict[str, object] = {} if data.kind == "answer" else {"note": message}
    if committed is not None:
        report.committed_finish_on = committed
        report.progress_required_at = None  # the overdue unit has posted what it owed
        payload["committed_finish_on"] = committed.isoformat()
    event = await shared.record_and_announce(
        session,
        report,
        principal,
        outbox_event,
        type_=event_type,
        note=message,
        agency_code=principal.agency_code,
        payload=payload,
    )
    await repository.attach_media(session, photo_ids, report.id, event.id)
    await shared.audit_staff(session, principal, "report.reply", report, event)
    return event


def _committed_finish(report: Report, data: ReplyIn, photo_ids: list[uuid.UUID]) -> date | None:
    """The finish date a progress reply commits to. An overdue report's unit owes progress with a
    photo and that date (the 1022 rule), so until it is posted a progress reply must carry both."""
    if data.kind != "progress":
        if data.committed_finish_on is not None:
            raise ValidationFailed(
                _("Chỉ cập nhật tiến độ mới kèm ngày hoàn thành cam kết."), field="committed_finish_on"
            )
        return None
    if report.progress_required_at is not None:
        if not photo_ids:
            raise ValidationFailed(
                _("Phản ánh đã quá hạn: cập nhật tiến độ cần kèm ít nhất một ảnh."), field="photos"
            )
        if data.committed_finish_on is None:
            raise ValidationFailed(
                _("Phản ánh đã quá hạn: cần ghi ngày cam kết hoàn thành."), field="committed_finish_on"
            )
    if data.committed_finish_on is not None and data.committed_finish_on < local_today():
        raise ValidationFailed(
            _("Ngày cam kết hoàn thành không được trước hôm nay."), field="committed_finish_on"
        )
    return data.committed_finish_on


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
