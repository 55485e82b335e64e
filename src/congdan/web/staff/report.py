"""The workbench's page of one report (/staff/reports/{id}): what it is, where, its whole history
with internal notes, possible duplicates, and the forms of what the signed-in staff member may do
next. It reads through the same services as GET /api/v1/reports/{id}, /events and
/duplicate-candidates; the forms post to web/staff/report_actions.py."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository as agencies_repo
from congdan.agencies.data import committee_code
from congdan.areas import repository as areas_repo
from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.categories import repository as categories_repo
from congdan.db import utcnow
from congdan.deps import ContextDep, SessionDep, writes
from congdan.kit.dates import CITY_TZ, day_and_date
from congdan.kit.errors import AppError, Forbidden, NotFound
from congdan.kit.i18n import _, translate
from congdan.models import Account, Report
from congdan.reports import lifecycle, present, repository, service
from congdan.reports.context import Context
from congdan.reports.states import FINAL, LABELS, Status, allowed
from congdan.routing import service as routing
from congdan.routing.present import duplicates_out
from congdan.web.staff.deps import ROLE_LABELS, StaffPageDep, locale_of, render
from congdan.workbench import replies
from congdan.workbench import service as workbench

router = APIRouter(include_in_schema=False)

# The converter keeps /staff/reports/monthly out of this route whatever the order of the routers.
PAGE = "/staff/reports/{report_id:uuid}"

# Who did a step of the history, in words.
ACTORS = {
    **ROLE_LABELS,
    "resident": _("Người dân"),
    "proven_reporter": _("Người gửi"),
    "public": _("Người dân"),
    "system": _("Hệ thống"),
}
# What a step of the history is.
EVENT_LABELS = {
    "status": _("Đổi trạng thái"),
    "reply": _("Trả lời người dân"),
    "info_request": _("Đề nghị bổ sung thông tin"),
    "progress": _("Cập nhật tiến độ"),
    "note": _("Ghi chú nội bộ"),
    "category": _("Đổi lĩnh vực"),
    "assignee": _("Giao việc"),
    "rating": _("Người dân đánh giá"),
    "overdue": _("Quá hạn"),
    "escalated": _("Báo cáo lãnh đạo"),
}
# What the "done" message after each form says.
DONE = {
    "accepted": _("Đã tiếp nhận xử lý."),
    "assigned": _("Đã giao việc cho cán bộ."),
    "replied": _("Đã gửi trả lời cho người dân."),
    "info": _("Đã đề nghị người dân bổ sung thông tin."),
    "progress": _("Đã cập nhật tiến độ."),
    "resolved": _("Đã chuyển sang «Đã giải quyết»."),
    "rejected": _("Đã không tiếp nhận phản ánh."),
    "transferred": _("Đã chuyển cơ quan."),
    "duplicate": _("Đã đánh dấu trùng phản ánh khác."),
    "category": _("Đã đổi lĩnh vực."),
    "noted": _("Đã thêm ghi chú nội bộ."),
}


def _when(value: datetime) -> str:
    return value.astimezone(CITY_TZ).strftime("%H:%M %d/%m/%Y")


def page_url(report_id: uuid.UUID) -> str:
    return f"/staff/reports/{report_id}"


async def _givable(session: AsyncSession, me: Principal, report: Report) -> list[Account]:
    """The agency's officers this staff member may give the report to (an officer: themselves)."""
    if report.agency_code is None or Status(report.status) not in lifecycle.WORKING:
        return []
    found = []
    for officer in await workbench.officers(session, me, report.agency_code):
        try:
            policy.require_officer_assignment(me, report, officer)
        except Forbidden:
            continue
        if officer.id != report.assignee_id:
            found.append(officer)
    return found


def _may(me: Principal, report: Report, target: Status) -> bool:
    """The status machine allows the move, and this staff member may make it."""
    return allowed(Status(report.status), target) and policy.can_transition(me, report, target.value)


async def _actions(session: AsyncSession, me: Principal, report: Report) -> dict[str, Any]:
    final = Status(report.status) in FINAL
    return {
        "accept": _may(me, report, Status.IN_PROGRESS),
        "officers": await _givable(session, me, report),
        "reply": not final,
        "resolve": _may(me, report, Status.RESOLVED),
        "reject": _may(me, report, Status.REJECTED),
        "transfer": _may(me, report, Status.TRANSFERRED),
        "reassign": _may(me, report, Status.ASSIGNED),
        "duplicate": _may(me, report, Status.DUPLICATE),
        "category": not final,
        "note": True,
    }


def _next_step(can: dict[str, Any]) -> str | None:
    """The one primary button: what an officer does next (accept → answer → resolve)."""
    if can["accept"]:
        return "accept"
    if can["resolve"]:
        return "resolve"
    return "reply" if can["reply"] else None


def _shows(can: dict[str, Any], form: str) -> bool:
    """Whether the page has the form of this name, where its error is shown."""
    shown = {
        "accept": can["accept"],
        "assign": bool(can["officers"]),
        "reply": can["reply"],
        "info": can["reply"],
        "progress": can["reply"],
        "resolve": can["resolve"],
        "reject": can["reject"],
        "transfer": can["transfer"] or can["reassign"],
        "duplicate": can["duplicate"],
        "category": can["category"],
        "note": can["note"],
    }
    return bool(shown.get(form, False))


async def report_page(
    request: Request,
    session: AsyncSession,
    ctx: Context,
    me: Principal,
    report_id: uuid.UUID,
    *,
    error: str | None = None,
    failed: str | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The page, also shown again with `error` next to the form `failed` and what was `typed`."""
    locale = locale_of(request)
    report = await service.get_for(session, me, report_id)
    policy.require_internal_access(me, report)
    # Shows the contact only to whom the API shows it, and records that it was seen.
    out = await service.report_out(session, me, report, locale)
    events = await repository.events(session, report.id, include_internal=True)
    found = await routing.duplicates_of(session, me, report, ctx.settings)
    categories = await categories_repo.categories(session)
    by_code = {c.code: c for c in categories}
    assignee = (
        (await repository.accounts_by_id(session, {report.assignee_id})).get(report.assignee_id)
        if report.assignee_id
        else None
    )
    templates = [
        t
        for t in await replies.list_templates(
            session, me, category=report.category_code, include_inactive=False
        )
        if t.agency_code in (None, report.agency_code)
    ]
    can = await _actions(session, me, report)
    # Only a coordinator gives a report to any agency: nobody else's page lists them.
    agencies = await agencies_repo.agency_names(session) if can["reassign"] else []
    estimate = workbench.estimated_area(ctx, report)
    runner_up = (
        await areas_repo.get_area(session, estimate.runner_up) if estimate and estimate.runner_up else None
    )
    runner_up_agency = (
        await agencies_repo.get_agency(session, committee_code(runner_up.code))
        if runner_up and can["reassign"]
        else None
    )
    if failed is not None and not _shows(can, failed):
        failed = None  # the form is not on the page (any more): the error goes at the top
    context: dict[str, Any] = {
        "r": out,
        "status_label": translate(LABELS[out.status], locale),
        "assignee": assignee,
        "events": await present.events_out(session, events, locale),
        "event_labels": EVENT_LABELS,
        "actors": ACTORS,
        "labels": LABELS,
        "duplicates": duplicates_out(found, by_code, locale),
        "followers": len(await repository.followers(session, report.id)),
        "can": can,
        "primary": _next_step(can),
        "late": report.due_at is not None and report.due_at <= utcnow(),
        "templates": templates,
        "reasons": await replies.list_reasons(session, me, include_inactive=False),
        "agencies": agencies,
        "runner_up": runner_up,
        # The runner-up's committee, for the coordinator's one-click reassignment.
        "runner_up_agency": runner_up_agency if runner_up_agency and runner_up_agency.is_active else None,
        "categories": [c for c in categories if c.is_active],
        "tile_url": ctx.settings.map_tile_url,
        "tile_attribution": ctx.settings.map_tile_attribution,
        "action": page_url(report.id),
        "when": _when,
        "day": lambda value: day_and_date(value, locale),
        # After a refused form the address is the form's: the switch goes to the page itself.
        "switch_url": page_url(report.id) + ("?lang=vi" if locale == "en" else "?lang=en"),
        "done": DONE.get(request.query_params.get("done", "")),
        "error": error,
        "failed": failed,
        "typed": typed or {},
    }
    return await render(request, session, "staff/report.html", context, status_code=status_code)


async def refused_page(request: Request, session: AsyncSession, exc: AppError) -> Response:
    """Not this staff member's report: the refusal in the workbench layout, nothing of the report."""
    message = translate(exc.detail, locale_of(request), **exc.params)
    return await render(request, session, "staff/refused.html", {"message": message}, status_code=exc.status)


@router.get(PAGE)
@writes
async def report_view(
    request: Request, report_id: uuid.UUID, session: SessionDep, ctx: ContextDep, me: StaffPageDep
) -> Response:
    try:
        return await report_page(request, session, ctx, me, report_id)
    except (Forbidden, NotFound) as exc:
        return await refused_page(request, session, exc)
