"""The monthly figures' queries. Counts and means are aggregated by the database per agency; the
medians need every duration, which are read per report (no median in SQLite) and taken in Python."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import Agency, Report, ReportEvent

# Public messages from the unit that count as its first reply to the resident.
REPLY_TYPES = ("reply", "progress", "info_request")
# Closed without a result to measure against the deadline.
NOT_JUDGED = ("rejected", "duplicate")


@dataclass(frozen=True)
class Counts:
    received: int = 0
    handled: int = 0
    on_time: int = 0
    late: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    reopened: int = 0


@dataclass(frozen=True)
class LateRow:
    id: uuid.UUID
    agency_code: str
    tracking_code: str
    status: str
    due_at: datetime
    resolved_at: datetime | None


def _in(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def _judged(start: datetime, until: datetime) -> list[ColumnElement[bool]]:
    """Reports judged against their deadline in a period: those whose deadline fell in it (up to
    `until`, so the month under way judges only deadlines already passed)."""
    return [
        Report.agency_code.is_not(None),
        Report.due_at >= start,
        Report.due_at < until,
        Report.status.not_in(NOT_JUDGED),
    ]


def _on_time() -> ColumnElement[bool]:
    return and_(Report.resolved_at.is_not(None), Report.resolved_at <= Report.due_at)


async def counts(session: AsyncSession, start: datetime, end: datetime, until: datetime) -> dict[str, Counts]:
    received = select(Report.agency_code, func.count()).where(
        Report.agency_code.is_not(None), _in(Report.created_at, start, end)
    )
    handled = select(Report.agency_code, func.count()).where(
        Report.agency_code.is_not(None), _in(Report.resolved_at, start, end)
    )
    judged = select(
        Report.agency_code,
        func.sum(case((_on_time(), 1), else_=0)),
        func.sum(case((_on_time(), 0), else_=1)),
    ).where(*_judged(start, until))
    rated = select(Report.agency_code, func.sum(Report.rating), func.count(Report.rating)).where(
        Report.agency_code.is_not(None), Report.rating.is_not(None), _in(Report.rated_at, start, end)
    )
    reopened = (
        select(Report.agency_code, func.count())
        .join(ReportEvent, ReportEvent.report_id == Report.id)
        .where(
            Report.agency_code.is_not(None),
            ReportEvent.type == "status",
            ReportEvent.to_status == "reopened",
            _in(ReportEvent.created_at, start, end),
        )
    )
    found: dict[str, dict[str, int]] = {}
    grouped = (("received", received), ("handled", handled), ("rated", rated), ("reopened", reopened))
    for name, stmt in grouped:
        for row in (await session.execute(stmt.group_by(Report.agency_code))).all():
            values = found.setdefault(str(row[0]), {})
            if name == "rated":
                values["rating_sum"], values["rating_count"] = int(row[1] or 0), int(row[2] or 0)
            else:
                values[name] = int(row[1] or 0)
    for row in (await session.execute(judged.group_by(Report.agency_code))).all():
        values = found.setdefault(str(row[0]), {})
        values["on_time"], values["late"] = int(row[1] or 0), int(row[2] or 0)
    return {code: Counts(**values) for code, values in found.items()}


async def late_reports(session: AsyncSession, start: datetime, until: datetime) -> Sequence[LateRow]:
    late = or_(Report.resolved_at.is_(None), Report.resolved_at > Report.due_at)
    stmt = (
        select(Report.id, Report.agency_code, Report.tracking_code)
        .add_columns(Report.status, Report.due_at, Report.resolved_at)
        .where(*_judged(start, until), late)
        .order_by(Report.agency_code, Report.due_at, Report.id)
    )
    return [
        LateRow(rid, str(agency), code, status, due, resolved)
        for rid, agency, code, status, due, resolved in (await session.execute(stmt)).all()
        if due is not None
    ]


async def first_reply_hours(session: AsyncSession, start: datetime, end: datetime) -> dict[str, list[float]]:
    """Per agency, hours from each report received in the period to the unit's first public reply."""
    first = (
        select(ReportEvent.report_id, func.min(ReportEvent.created_at).label("at"))
        .where(ReportEvent.type.in_(REPLY_TYPES), ReportEvent.is_public.is_(True))
        .group_by(ReportEvent.report_id)
        .subquery()
    )
    stmt = (
        select(Report.agency_code, Report.created_at, first.c.at)
        .join(first, first.c.report_id == Report.id)
        .where(Report.agency_code.is_not(None), _in(Report.created_at, start, end))
    )
    return _hours((await session.execute(stmt)).all())


async def resolution_hours(session: AsyncSession, start: datetime, end: datetime) -> dict[str, list[float]]:
    """Per agency, hours from sending to resolution of each report resolved in the period."""
    stmt = select(Report.agency_code, Report.created_at, Report.resolved_at).where(
        Report.agency_code.is_not(None), _in(Report.resolved_at, start, end)
    )
    return _hours((await session.execute(stmt)).all())


def _hours(rows: Sequence[Any]) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    for code, began, ended in rows:
        if ended is None:
            continue
        hours = (_aware(ended) - _aware(began)).total_seconds() / 3600
        found.setdefault(str(code), []).append(max(hours, 0.0))
    return found


def _aware(value: datetime) -> datetime:
    # An aggregate (min) comes back without the column's type: naive UTC on SQLite, a string on some drivers.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


async def agencies(session: AsyncSession, codes: Sequence[str]) -> dict[str, Agency]:
    if not codes:
        return {}
    stmt = select(Agency).where(Agency.code.in_(list(codes)))
    return {a.code: a for a in (await session.scalars(stmt)).all()}
