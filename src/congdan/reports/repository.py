from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz.policy import Principal, visible_to
from congdan.db import held
from congdan.kit.text import fold
from congdan.models import (
    Account,
    Agency,
    Area,
    Category,
    Media,
    RejectionReason,
    Report,
    ReportEvent,
    ReportFollower,
)
from congdan.reports.schemas import ReportFilters
from congdan.reports.states import OPEN

Named = TypeVar("Named", Category, Area, Agency)


async def get(session: AsyncSession, report_id: uuid.UUID, *, for_update: bool = False) -> Report | None:
    stmt = select(Report).where(Report.id == report_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def by_tracking_code(session: AsyncSession, code: str) -> Report | None:
    return (await session.scalars(select(Report).where(Report.tracking_code == code))).first()


async def search(
    session: AsyncSession,
    principal: Principal,
    filters: ReportFilters,
    *,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[Report]:
    conditions: list[ColumnElement[bool]] = [visible_to(principal)]
    if filters.mine:
        conditions.append(
            Report.reporter_id == principal.account_id if principal.account_id is not None else false()
        )
    if filters.status:
        conditions.append(Report.status.in_([s.value for s in filters.status]))
    if filters.category:
        conditions.append(Report.category_code == filters.category)
    if filters.area:
        conditions.append(Report.area_code == filters.area)
    if filters.agency:
        conditions.append(Report.agency_code == filters.agency)
    if filters.bbox:
        min_lon, min_lat, max_lon, max_lat = filters.bbox
        conditions.append(and_(Report.lat.between(min_lat, max_lat), Report.lon.between(min_lon, max_lon)))
    if filters.created_from:
        conditions.append(Report.created_at >= filters.created_from)
    if filters.created_to:
        conditions.append(Report.created_at < filters.created_to)
    if filters.q:
        for term in fold(filters.q).split()[:8]:
            conditions.append(Report.search_text.contains(term, autoescape=True))
    if after is not None:
        conditions.append(Report.id < after)
    stmt = select(Report).where(*conditions).order_by(Report.id.desc()).limit(limit)
    return (await session.scalars(stmt)).all()


async def events(
    session: AsyncSession, report_id: uuid.UUID, *, include_internal: bool
) -> Sequence[ReportEvent]:
    stmt = select(ReportEvent).where(ReportEvent.report_id == report_id)
    if not include_internal:
        stmt = stmt.where(ReportEvent.is_public.is_(True))
    return (await session.scalars(stmt.order_by(ReportEvent.created_at, ReportEvent.id))).all()


async def media_for_reports(session: AsyncSession, report_ids: Sequence[uuid.UUID]) -> Sequence[Media]:
    if not report_ids:
        return []
    stmt = select(Media).where(Media.report_id.in_(report_ids), Media.event_id.is_(None)).order_by(Media.id)
    return (await session.scalars(stmt)).all()


async def media_for_events(session: AsyncSession, event_ids: Sequence[uuid.UUID]) -> Sequence[Media]:
    if not event_ids:
        return []
    stmt = select(Media).where(Media.event_id.in_(event_ids)).order_by(Media.id)
    return (await session.scalars(stmt)).all()


async def unattached_media(session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[Media]:
    stmt = select(Media).where(Media.id.in_(ids), Media.report_id.is_(None)).with_for_update()
    return (await session.scalars(stmt)).all()


async def attach_media(
    session: AsyncSession, ids: Sequence[uuid.UUID], report_id: uuid.UUID, event_id: uuid.UUID | None
) -> None:
    if not ids:
        return
    await session.execute(
        update(Media).where(Media.id.in_(ids)).values(report_id=report_id, event_id=event_id)
    )


async def names_for(
    session: AsyncSession, *, categories: set[str], areas: set[str], agencies: set[str]
) -> tuple[dict[str, Category], dict[str, Area], dict[str, Agency]]:
    return (
        await _by_code(session, Category, categories),
        await _by_code(session, Area, areas),
        await _by_code(session, Agency, agencies),
    )


async def _by_code(session: AsyncSession, model: type[Named], codes: set[str]) -> dict[str, Named]:
    # No query for codes that are none or already held: a caller that knows the names asks for none.
    found = {code: row for code in codes if (row := held(session, model, code)) is not None}
    if missing := codes - found.keys():
        rows = await session.scalars(select(model).where(model.code.in_(missing)))
        found.update({row.code: row for row in rows.all()})
    return found


async def followers(session: AsyncSession, report_id: uuid.UUID) -> Sequence[ReportFollower]:
    stmt = (
        select(ReportFollower)
        .where(ReportFollower.report_id == report_id)
        .order_by(ReportFollower.created_at)
    )
    return (await session.scalars(stmt)).all()


async def accounts_by_id(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, Account]:
    if not ids:
        return {}
    return {a.id: a for a in (await session.scalars(select(Account).where(Account.id.in_(ids)))).all()}


def _sent_with(phone: str | None, email: str | None) -> ColumnElement[bool]:
    """Reports sent without an account, with this phone number or email as their contact."""
    matches = [Report.contact_phone == phone] if phone else []
    if email:
        matches.append(Report.contact_email == email)
    return and_(Report.reporter_id.is_(None), or_(*matches)) if matches else false()


async def unclaimed_with_contact(
    session: AsyncSession, phone: str | None, email: str | None, *, for_update: bool = False
) -> Sequence[Report]:
    stmt = select(Report).where(_sent_with(phone, email)).order_by(Report.id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).all()


async def count_sent_by(session: AsyncSession, account_id: uuid.UUID) -> int:
    return int(
        await session.scalar(select(func.count(Report.id)).where(Report.reporter_id == account_id)) or 0
    )


async def count_unclaimed_with_contact(session: AsyncSession, phone: str | None, email: str | None) -> int:
    return int(await session.scalar(select(func.count(Report.id)).where(_sent_with(phone, email))) or 0)


# ---- deadline sweeps: each mark is claimed by one UPDATE that sets it only where it is still
# empty, so of several workers sweeping at once exactly one gets each report. On PostgreSQL the rows
# are picked FOR UPDATE SKIP LOCKED (a second sweep takes the others instead of waiting, in no order
# that could deadlock) and the WHERE is checked again on the locked row; SQLite runs one writer at a time.


async def _claim(
    session: AsyncSession, conditions: Sequence[ColumnElement[bool]], values: dict[str, datetime]
) -> list[uuid.UUID]:
    free = select(Report.id).where(*conditions).with_for_update(skip_locked=True)
    stmt = (
        update(Report)
        .where(Report.id.in_(free.scalar_subquery()), *conditions)
        .values(**values)
        .returning(Report.id)
        .execution_options(synchronize_session=False)
    )
    return list((await session.scalars(stmt)).all())


async def claim_due_soon(
    session: AsyncSession, statuses: Iterable[str], now: datetime, horizon: datetime
) -> list[uuid.UUID]:
    conditions = [
        Report.status.in_(list(statuses)),
        Report.due_at > now,
        Report.due_at <= horizon,
        Report.due_soon_at.is_(None),
        Report.overdue_at.is_(None),
    ]
    return await _claim(session, conditions, {"due_soon_at": now})


async def claim_overdue(session: AsyncSession, statuses: Iterable[str], now: datetime) -> list[uuid.UUID]:
    conditions = [Report.status.in_(list(statuses)), Report.due_at <= now, Report.overdue_at.is_(None)]
    return await _claim(session, conditions, {"overdue_at": now, "progress_required_at": now})


async def escalation_candidates(
    session: AsyncSession, statuses: Iterable[str]
) -> Sequence[tuple[uuid.UUID, datetime]]:
    """Overdue open reports not yet escalated, with their deadlines (the working-day count is Python's)."""
    stmt = select(Report.id, Report.due_at).where(
        Report.status.in_(list(statuses)),
        Report.overdue_at.is_not(None),
        Report.escalated_at.is_(None),
        Report.due_at.is_not(None),
    )
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all() if row[1] is not None]


async def claim_escalation(session: AsyncSession, ids: Sequence[uuid.UUID], now: datetime) -> list[uuid.UUID]:
    if not ids:
        return []
    conditions = [Report.id.in_(list(ids)), Report.escalated_at.is_(None), Report.overdue_at.is_not(None)]
    return await _claim(session, conditions, {"escalated_at": now})


async def reports_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[Report]:
    if not ids:
        return []
    return (await session.scalars(select(Report).where(Report.id.in_(list(ids))).order_by(Report.id))).all()


async def rejection_reason(session: AsyncSession, code: str) -> RejectionReason | None:
    return await session.get(RejectionReason, code)


async def rejection_reasons(session: AsyncSession, *, active_only: bool) -> Sequence[RejectionReason]:
    stmt = select(RejectionReason).order_by(RejectionReason.sort_order, RejectionReason.code)
    if active_only:
        stmt = stmt.where(RejectionReason.is_active.is_(True))
    return (await session.scalars(stmt)).all()


async def rejection_reasons_by_code(session: AsyncSession, codes: set[str]) -> dict[str, RejectionReason]:
    if not codes:
        return {}
    stmt = select(RejectionReason).where(RejectionReason.code.in_(codes))
    return {r.code: r for r in (await session.scalars(stmt)).all()}


async def count_open_for_agency(session: AsyncSession, agency_code: str) -> int:
    stmt = (
        select(func.count())
        .select_from(Report)
        .where(Report.agency_code == agency_code, Report.status.in_(sorted(OPEN)))
    )
    return int(await session.scalar(stmt) or 0)
