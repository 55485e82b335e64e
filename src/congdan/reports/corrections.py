"""Staff correcting what category a report is in: the report moves, and the classifier learns.
Like submission, it asks routing (who acts, what to learn); routing never reads reports."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.areas.service import Located
from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.categories import repository as categories_repo
from congdan.db import utcnow
from congdan.kit.errors import Conflict, InvalidTransition, ValidationFailed
from congdan.kit.i18n import _
from congdan.kit.text import clean_plain_text
from congdan.models import Report
from congdan.reports import events, lifecycle
from congdan.reports import service as reports
from congdan.reports.context import Context
from congdan.reports.deadlines import add_working_days, set_due
from congdan.reports.schemas import CategoryChangeIn
from congdan.reports.states import FINAL, Status
from congdan.routing import service as routing


async def change_category(
    session: AsyncSession, ctx: Context, principal: Principal, report_id: uuid.UUID, data: CategoryChangeIn
) -> Report:
    """Staff put a report in the right category. The text becomes a labelled example for the next
    training run, and a report still waiting for an agency is routed by the new category."""
    report = await reports.load_for_change(session, principal, report_id)
    policy.require_internal_access(principal, report)
    if Status(report.status) in FINAL:
        raise InvalidTransition(_("Phản ánh đã kết thúc; không thể đổi lĩnh vực."))
    category = await categories_repo.category(session, data.category)
    if category is None or not category.is_active:
        raise ValidationFailed(_("Lĩnh vực không tồn tại: %(code)s."), field="category", code=data.category)
    if category.code == report.category_code:
        raise Conflict(_("Phản ánh đã thuộc lĩnh vực này."))
    previous = report.category_code
    note = clean_plain_text(data.note) if data.note else None
    report.category_code = category.code
    report.category_source = "staff"
    report.updated_at = utcnow()
    event = await reports.record_and_announce(
        session,
        report,
        principal,
        events.CATEGORY_CHANGED,
        type_="category",
        note=note,
        public=False,
        agency_code=principal.agency_code,
        payload={"from": previous, "to": category.code},
    )
    await reports.audit_staff(
        session, principal, "report.category", report, event, previous=previous or "", to=category.code
    )
    await routing.learn_from_correction(session, report, previous=previous, by=principal.account_id)
    if data.reroute and Status(report.status) in (Status.SUBMITTED, Status.TRIAGE):
        located = Located(report.area_code, report.area_approximate) if report.area_code else None
        decision = await routing.decide(session, ctx.areas, category=category, area=located)
        if decision.agency_code is not None:
            await lifecycle.move(
                session,
                report,
                principal,
                Status.ASSIGNED,
                note=None,
                public=True,
                agency_code=decision.agency_code,
            )
    if Status(report.status) != Status.REOPENED:  # a reopened report keeps the deadline it got then
        set_due(report, add_working_days(report.created_at, category.deadline_days))
    return report
