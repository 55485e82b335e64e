"""The rules of the workbench: the queue and its counts, bulk actions, triage, the deadline board.

Every change to a report goes through the reports services (lifecycle, conversation) or routing's
category correction, one report at a time, so no rule of the status machine is written twice."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.areas.service import Located
from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.db import utcnow
from congdan.kit.errors import AppError, Conflict, FieldError, ValidationFailed
from congdan.kit.i18n import _
from congdan.models import Account, Report
from congdan.reports import corrections, lifecycle
from congdan.reports import service as reports
from congdan.reports.context import Context
from congdan.reports.deadlines import LOCAL
from congdan.reports.schemas import CategoryChangeIn, TransitionIn
from congdan.reports.states import Status
from congdan.routing.classifier import Ranked
from congdan.workbench import repository
from congdan.workbench.repository import Counts
from congdan.workbench.schemas import QueueFilters, RouteIn


class BulkRefused(Conflict):
    """Some reports of a bulk action could not be changed: none was, and each refusal is listed."""

    slug = "bulk-refused"
    title = _("Không thực hiện được cho mọi phản ánh đã chọn")


# ---- the queue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    items: Sequence[Report]
    more: bool
    counts: Counts
    assignees: dict[uuid.UUID, Account]
    now: datetime


async def queue(
    session: AsyncSession,
    principal: Principal,
    filters: QueueFilters,
    *,
    after: tuple[datetime | None, uuid.UUID] | None,
    limit: int,
) -> Queue:
    scope = policy.queue_filter(principal, filters.agency)
    now = utcnow()
    rows = await repository.queue_page(session, scope, filters, now, after=after, limit=limit + 1)
    page = list(rows[:limit])
    counts = await repository.queue_counts(session, scope, filters, now)
    assignees = await repository.accounts(session, {r.assignee_id for r in page if r.assignee_id})
    return Queue(page, len(rows) > limit, counts, assignees, now)


MAP_LIMIT = 500


@dataclass(frozen=True)
class Places:
    items: Sequence[Report]
    truncated: bool
    now: datetime


async def queue_places(
    session: AsyncSession, principal: Principal, filters: QueueFilters, *, limit: int = MAP_LIMIT
) -> Places:
    """The same filtered queue as `queue`, as places for a map: reports with a position, at most
    `limit` of them (`truncated` says there are more)."""
    scope = policy.queue_filter(principal, filters.agency)
    limit = max(1, min(limit, MAP_LIMIT))
    now = utcnow()
    rows = await repository.queue_places(session, scope, filters, now, limit=limit + 1)
    return Places(rows[:limit], len(rows) > limit, now)


async def officers(session: AsyncSession, principal: Principal, agency_code: str | None) -> Sequence[Account]:
    """Who a report of this agency may be given to."""
    policy.queue_filter(principal, agency_code)  # the same people who see the agency's queue
    code = agency_code or principal.agency_code
    if code is None:
        raise ValidationFailed(_("Cần chọn cơ quan."), field="agency")
    return await repository.officers_of(session, code, sorted(policy.AGENCY_ROLES))


# ---- bulk actions ----------------------------------------------------------------------------


async def _each(
    session: AsyncSession, ids: Sequence[uuid.UUID], act: Callable[[uuid.UUID], Awaitable[Report]]
) -> list[Report]:
    """All or nothing: each report in a savepoint of its own so that every refusal is found and
    listed; if there is any, the whole request is refused and its unit of work rolls back."""
    done: list[Report] = []
    refused: list[FieldError] = []
    for report_id in dict.fromkeys(ids):
        try:
            async with session.begin_nested():
                done.append(await act(report_id))
        except AppError as exc:
            # The report's id is the field: the page marks that row with the reason.
            first = exc.errors[0] if exc.errors else FieldError("", exc.detail, exc.params)
            refused.append(FieldError(str(report_id), first.message, first.params))
    if refused:
        raise BulkRefused(errors=refused)
    return done


async def bulk_assign(
    session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID], officer: uuid.UUID
) -> list[Report]:
    policy.require_staff(principal)
    return await _each(session, ids, lambda rid: lifecycle.assign_officer(session, principal, rid, officer))


async def bulk_accept(
    session: AsyncSession, ctx: Context, principal: Principal, ids: Sequence[uuid.UUID]
) -> list[Report]:
    """Accepting is the agency taking a report it was given: assigned → in progress."""
    policy.require_staff(principal)
    accept = TransitionIn(to=Status.IN_PROGRESS)
    return await _each(session, ids, lambda rid: lifecycle.transition(session, ctx, principal, rid, accept))


# ---- triage ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TriageEntry:
    report: Report
    guesses: list[Ranked]
    area: Located | None


async def triage(
    session: AsyncSession, ctx: Context, principal: Principal, *, after: uuid.UUID | None, limit: int
) -> tuple[list[TriageEntry], bool]:
    policy.require_citywide(principal)
    rows = list(await repository.triage_page(session, after=after, limit=limit + 1))
    page = rows[:limit]
    ranked = ctx.classifier.rank_many([r.description for r in page], limit=3) if ctx.classifier else []
    entries = []
    for i, report in enumerate(page):
        entries.append(TriageEntry(report, ranked[i] if ranked else [], estimated_area(ctx, report)))
    return entries, len(rows) > limit


def estimated_area(ctx: Context, report: Report) -> Located | None:
    """The report's unit, with the runner-up when it was estimated from the point as a close call."""
    located = None
    if (
        report.lat is not None
        and report.lon is not None
        and (report.area_code is None or report.area_approximate)
    ):
        located = ctx.areas.locate(report.lat, report.lon)
    if report.area_code is None:
        return located
    # A unit a person chose, or one the point no longer gives, has no runner-up to offer.
    runner_up = located.runner_up if located is not None and located.area_code == report.area_code else None
    return Located(report.area_code, report.area_approximate, runner_up)


async def route(
    session: AsyncSession, ctx: Context, principal: Principal, report_id: uuid.UUID, data: RouteIn
) -> Report:
    """The coordinator's decision: the right category (taught to the classifier, and routed by its
    rules when no agency is named), and/or the agency — any agency, also a reassignment."""
    policy.require_citywide(principal)
    if not data.category and not data.agency:
        raise ValidationFailed(_("Chọn lĩnh vực hoặc cơ quan nhận."), field="agency")
    report = await reports.get_for(session, principal, report_id)
    note = data.note
    if data.category and data.category != report.category_code:
        change = CategoryChangeIn(category=data.category, note=note, reroute=not data.agency)
        report = await corrections.change_category(session, ctx, principal, report_id, change)
        note = None  # said once, with the category
    if data.agency and not (report.status == Status.ASSIGNED.value and report.agency_code == data.agency):
        move = TransitionIn(to=Status.ASSIGNED, agency=data.agency, note=note, public=False)
        report = await lifecycle.transition(session, ctx, principal, report_id, move)
    return report


# ---- the deadline board -----------------------------------------------------------------------


def end_of_local_day(now: datetime) -> datetime:
    tomorrow = now.astimezone(LOCAL).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 0), tzinfo=LOCAL)


async def deadline_board(session: AsyncSession, principal: Principal) -> list[tuple[str, int, int]]:
    policy.require_citywide(principal)
    now = utcnow()
    return await repository.deadline_board(session, now, end_of_local_day(now))
