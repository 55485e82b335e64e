"""Every query of the workbench. Which reports a caller may work on comes in as `scope`, built by
authz.queue_filter from the one visibility definition; nothing here decides permissions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import Account, ReplyTemplate, Report
from congdan.reports.states import OPEN, Status
from congdan.workbench.schemas import QueueFilters

_OPEN = sorted(s.value for s in OPEN)
# Where routing could not place a report, or its agency handed it back: the coordinators decide.
_TRIAGE = [Status.TRIAGE.value, Status.TRANSFERRED.value]
SOON = timedelta(hours=24)


def _fixed(scope: ColumnElement[bool], f: QueueFilters) -> list[ColumnElement[bool]]:
    """The filters that are not counted facets: whose reports, category, unit, officer."""
    conditions = [scope]
    if f.category:
        conditions.append(Report.category_code == f.category)
    if f.area:
        conditions.append(Report.area_code == f.area)
    if f.assignee is not None:
        conditions.append(Report.assignee_id == f.assignee)
    if f.unassigned:
        conditions.append(Report.assignee_id.is_(None))
    return conditions


def _chosen_statuses(f: QueueFilters) -> list[str]:
    return [s.value for s in f.status] if f.status else _OPEN


def _due(f: QueueFilters, now: datetime) -> list[ColumnElement[bool]]:
    if f.due == "overdue":
        return _overdue(now)
    if f.due == "soon":
        return _due_soon(now)
    return []


def _conditions(scope: ColumnElement[bool], f: QueueFilters, now: datetime) -> list[ColumnElement[bool]]:
    conditions = [*_fixed(scope, f), Report.status.in_(_chosen_statuses(f)), *_due(f, now)]
    if f.reopened:
        conditions.append(Report.reopened_at.is_not(None))
    return conditions


def _overdue(now: datetime) -> list[ColumnElement[bool]]:
    return [Report.status.in_(_OPEN), Report.due_at < now]


def _due_soon(now: datetime) -> list[ColumnElement[bool]]:
    return [Report.status.in_(_OPEN), Report.due_at >= now, Report.due_at < now + SOON]


def _after(cursor: tuple[datetime | None, uuid.UUID]) -> ColumnElement[bool]:
    """Past the cursor in the order due date (missing last), then id."""
    due, last_id = cursor
    if due is None:
        return and_(Report.due_at.is_(None), Report.id > last_id)
    return or_(
        Report.due_at > due,
        and_(Report.due_at == due, Report.id > last_id),
        Report.due_at.is_(None),
    )


async def queue_page(
    session: AsyncSession,
    scope: ColumnElement[bool],
    f: QueueFilters,
    now: datetime,
    *,
    after: tuple[datetime | None, uuid.UUID] | None,
    limit: int,
) -> Sequence[Report]:
    conditions = _conditions(scope, f, now)
    if after is not None:
        conditions.append(_after(after))
    stmt = (
        select(Report)
        .where(*conditions)
        .order_by(Report.due_at.asc().nulls_last(), Report.id.asc())
        .limit(limit)
    )
    return (await session.scalars(stmt)).all()


async def queue_places(
    session: AsyncSession, scope: ColumnElement[bool], f: QueueFilters, now: datetime, *, limit: int
) -> Sequence[Report]:
    """The filtered queue's reports that have a place, in the queue's order, at most `limit`."""
    conditions = [*_conditions(scope, f, now), Report.lat.is_not(None), Report.lon.is_not(None)]
    stmt = (
        select(Report)
        .where(*conditions)
        .order_by(Report.due_at.asc().nulls_last(), Report.id.asc())
        .limit(limit)
    )
    return (await session.scalars(stmt)).all()


@dataclass(frozen=True)
class Counts:
    total: int
    by_status: dict[str, int]
    overdue: int
    due_soon: int
    reopened: int


def _all(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return and_(true(), *conditions)


async def queue_counts(
    session: AsyncSession, scope: ColumnElement[bool], f: QueueFilters, now: datetime
) -> Counts:
    """Each facet (status, due, reopened) counted with the other filters only, so that it says
    what choosing it would give, in one pass over the open reports in scope (and over the closed
    ones only when a closed status is chosen: an agency's whole history is not counted on every
    look at its queue)."""
    chosen = _chosen_statuses(f)
    due = _all(_due(f, now))
    reopened = Report.reopened_at.is_not(None) if f.reopened else true()
    stmt = (
        select(
            Report.status,
            func.count().filter(and_(due, reopened)),
            func.count().filter(and_(*_overdue(now), reopened)),
            func.count().filter(and_(*_due_soon(now), reopened)),
            func.count().filter(and_(due, Report.reopened_at.is_not(None))),
        )
        .where(*_fixed(scope, f), Report.status.in_(sorted(set(_OPEN) | set(chosen))))
        .group_by(Report.status)
    )
    rows = [(str(s), int(a), int(o), int(d), int(r)) for s, a, o, d, r in (await session.execute(stmt)).all()]
    picked = [row for row in rows if row[0] in chosen]
    return Counts(
        total=sum(row[1] for row in picked),
        by_status={row[0]: row[1] for row in rows if row[1]},
        overdue=sum(row[2] for row in picked),
        due_soon=sum(row[3] for row in picked),
        reopened=sum(row[4] for row in picked),
    )


async def triage_page(session: AsyncSession, *, after: uuid.UUID | None, limit: int) -> Sequence[Report]:
    """Oldest first: the report that has waited longest for an agency comes first."""
    conditions: list[ColumnElement[bool]] = [
        or_(Report.status.in_(_TRIAGE), and_(Report.agency_code.is_(None), Report.status.in_(_OPEN)))
    ]
    if after is not None:
        conditions.append(Report.id > after)
    stmt = select(Report).where(*conditions).order_by(Report.id.asc()).limit(limit)
    return (await session.scalars(stmt)).all()


async def deadline_board(
    session: AsyncSession, now: datetime, end_of_day: datetime
) -> list[tuple[str, int, int]]:
    """(agency, overdue, due before the end of today) for each agency with any, worst first."""
    overdue = func.sum(case((Report.due_at < now, 1), else_=0))
    due_today = func.sum(case((and_(Report.due_at >= now, Report.due_at < end_of_day), 1), else_=0))
    stmt = (
        select(Report.agency_code, overdue, due_today)
        .where(Report.status.in_(_OPEN), Report.agency_code.is_not(None), Report.due_at < end_of_day)
        .group_by(Report.agency_code)
        .order_by(overdue.desc(), due_today.desc(), Report.agency_code)
    )
    return [(str(a), int(o or 0), int(d or 0)) for a, o, d in (await session.execute(stmt)).all()]


async def officers_of(session: AsyncSession, agency_code: str, roles: Sequence[str]) -> Sequence[Account]:
    stmt = (
        select(Account)
        .where(Account.agency_code == agency_code, Account.role.in_(roles), Account.is_active.is_(True))
        .order_by(Account.display_name, Account.id)
    )
    return (await session.scalars(stmt)).all()


async def accounts(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, Account]:
    if not ids:
        return {}
    return {a.id: a for a in (await session.scalars(select(Account).where(Account.id.in_(ids)))).all()}


async def reports_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[Report]:
    return (await session.scalars(select(Report).where(Report.id.in_(ids)))).all()


# ---- reply templates -----------------------------------------------------------------------------


async def template(session: AsyncSession, template_id: uuid.UUID) -> ReplyTemplate | None:
    return await session.get(ReplyTemplate, template_id)


async def templates(
    session: AsyncSession, *, agency_code: str | None, everything: bool, category: str | None
) -> Sequence[ReplyTemplate]:
    """The shared templates and one agency's (or, `everything`, every agency's), for a category
    (the category's own and those for any category)."""
    stmt = select(ReplyTemplate)
    if not everything:
        stmt = stmt.where(
            or_(ReplyTemplate.agency_code.is_(None), ReplyTemplate.agency_code == agency_code)
            if agency_code is not None
            else ReplyTemplate.agency_code.is_(None)
        )
    if category is not None:
        stmt = stmt.where(or_(ReplyTemplate.category_code.is_(None), ReplyTemplate.category_code == category))
    order = (ReplyTemplate.agency_code.is_(None), ReplyTemplate.category_code.is_(None), ReplyTemplate.title)
    return (await session.scalars(stmt.order_by(*order, ReplyTemplate.id))).all()


async def delete_template(session: AsyncSession, template: ReplyTemplate) -> None:
    await session.delete(template)
    await session.flush()
