"""Every query of the workbench. Which reports a caller may work on comes in as `scope`, built by
authz.queue_filter from the one visibility definition; nothing here decides permissions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import Account, ReplyTemplate, Report
from congdan.reports.states import OPEN, Status
from congdan.workbench.schemas import QueueFilters

_OPEN = sorted(s.value for s in OPEN)
# Where routing could not place a report, or its agency handed it back: the coordinators decide.
_TRIAGE = [Status.TRIAGE.value, Status.TRANSFERRED.value]
SOON = timedelta(hours=24)


def _conditions(
    scope: ColumnElement[bool], f: QueueFilters, now: datetime, *, without: str | None = None
) -> list[ColumnElement[bool]]:
    """The filters as SQL; `without` leaves one out, so that its own counts show what choosing
    each of its values would give."""
    conditions = [scope]
    if without != "status":
        conditions.append(Report.status.in_([s.value for s in f.status] if f.status else _OPEN))
    if f.category:
        conditions.append(Report.category_code == f.category)
    if f.area:
        conditions.append(Report.area_code == f.area)
    if f.assignee is not None:
        conditions.append(Report.assignee_id == f.assignee)
    if f.unassigned:
        conditions.append(Report.assignee_id.is_(None))
    if without != "due":
        if f.due == "overdue":
            conditions += _overdue(now)
        elif f.due == "soon":
            conditions += _due_soon(now)
    if without != "reopened" and f.reopened:
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


@dataclass(frozen=True)
class Counts:
    total: int
    by_status: dict[str, int]
    overdue: int
    due_soon: int
    reopened: int


async def _count(session: AsyncSession, conditions: list[ColumnElement[bool]]) -> int:
    return int(await session.scalar(select(func.count()).select_from(Report).where(*conditions)) or 0)


async def queue_counts(
    session: AsyncSession, scope: ColumnElement[bool], f: QueueFilters, now: datetime
) -> Counts:
    by_status_stmt = (
        select(Report.status, func.count())
        .where(*_conditions(scope, f, now, without="status"))
        .group_by(Report.status)
    )
    by_status = {str(s): int(n) for s, n in (await session.execute(by_status_stmt)).all()}
    dueless = _conditions(scope, f, now, without="due")
    return Counts(
        total=await _count(session, _conditions(scope, f, now)),
        by_status=by_status,
        overdue=await _count(session, dueless + _overdue(now)),
        due_soon=await _count(session, dueless + _due_soon(now)),
        reopened=await _count(
            session, [*_conditions(scope, f, now, without="reopened"), Report.reopened_at.is_not(None)]
        ),
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
