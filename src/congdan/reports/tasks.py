"""Outbox handlers for report events: the reporter's in-app inbox, recorded as deliveries.

Email, SMS and push arrive with the notifications issue; they will hang off the same events.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.kit.i18n import _, translate
from congdan.models import Account, Delivery, Notification, OutboxMessage, Report
from congdan.outbox.registry import HandlerContext, handles
from congdan.reports import repository

_STATUS_TEXT = {
    "assigned": _("Phản ánh %(code)s đã được chuyển đến cơ quan xử lý."),
    "in_progress": _("Phản ánh %(code)s đang được xử lý."),
    "transferred": _("Phản ánh %(code)s đang được chuyển sang cơ quan phù hợp hơn."),
    "resolved": _("Phản ánh %(code)s đã được giải quyết. Hãy xem kết quả và đánh giá."),
    "closed": _("Phản ánh %(code)s đã kết thúc."),
    "rejected": _("Phản ánh %(code)s không được tiếp nhận. Xem lý do trong ứng dụng."),
    "reopened": _("Phản ánh %(code)s đã được mở lại."),
    "duplicate": _(
        "Phản ánh %(code)s trùng với một phản ánh đang được xử lý; bạn sẽ được cập nhật theo phản ánh đó."
    ),
}


@handles("report.submitted", "report.status_changed", "report.replied")
async def notify_reporter(session: AsyncSession, message: OutboxMessage, ctx: HandlerContext) -> None:
    """The reporter, and everyone following the report (duplicates' reporters among them)."""
    payload = message.payload
    if message.event_type == "report.status_changed" and not payload.get("public", True):
        return
    report = await session.get(Report, uuid.UUID(str(payload["report_id"])))
    if report is None:
        return
    recipients = [report.reporter_id] if report.reporter_id is not None else []
    if message.event_type != "report.submitted":
        recipients += await repository.follower_accounts(session, report.id, message.created_at)
    for account_id in dict.fromkeys(recipients):
        account = await session.get(Account, account_id)
        if account is None or not account.is_active:
            continue
        texts = _texts(message, report, account.locale, following=account_id != report.reporter_id)
        if texts is None:
            return
        exists = await session.scalar(
            select(Delivery.id).where(
                Delivery.outbox_id == message.id,
                Delivery.channel == "inbox",
                Delivery.recipient == str(account.id),
            )
        )
        if exists is not None:
            continue
        title, body = texts
        session.add(
            Notification(
                account_id=account.id, outbox_id=message.id, report_id=report.id, title=title, body=body
            )
        )
        session.add(
            Delivery(outbox_id=message.id, channel="inbox", recipient=str(account.id), status="delivered")
        )


def _texts(message: OutboxMessage, report: Report, locale: str, *, following: bool) -> tuple[str, str] | None:
    code = report.tracking_code
    if message.event_type == "report.submitted":
        title = translate(_("Đã nhận phản ánh %(code)s"), locale, code=code)
        body = translate(
            _("Cảm ơn bạn. Mã theo dõi: %(code)s. Chúng tôi sẽ báo khi có kết quả."), locale, code=code
        )
        return title, body
    if following:
        title = translate(_("Cập nhật phản ánh bạn theo dõi %(code)s"), locale, code=code)
    else:
        title = translate(_("Cập nhật phản ánh %(code)s"), locale, code=code)
    if message.event_type == "report.replied":
        if not following:
            title = translate(_("Có trả lời cho phản ánh %(code)s"), locale, code=code)
        return title, translate(_("Cơ quan xử lý đã trả lời phản ánh %(code)s."), locale, code=code)
    target = str(message.payload.get("to"))
    if target not in _STATUS_TEXT:
        return None
    return title, translate(_STATUS_TEXT[target], locale, code=code)
