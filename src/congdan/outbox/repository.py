from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import OutboxMessage


async def claim(
    session: AsyncSession, *, worker_id: str, now: datetime, lease_until: datetime, limit: int
) -> Sequence[uuid.UUID]:
    """Leases up to `limit` due rows to this worker. Rows leased by a worker that died come back first;
    then urgent rows (sign-in codes, emergency alerts), then the rest in the order they were written.
    Two plain queries rather than one with OR, so each walks its index instead of the whole table."""
    postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
    expired = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "processing", OutboxMessage.locked_until < now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if postgres:
        expired = expired.with_for_update(skip_locked=True)
    ids = list((await session.scalars(expired)).all())
    if len(ids) < limit:
        due = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.available_at <= now)
            .order_by(OutboxMessage.priority.desc(), OutboxMessage.id)
            .limit(limit - len(ids))
        )
        if postgres:
            due = due.with_for_update(skip_locked=True)
        ids += list((await session.scalars(due)).all())
    if not ids:
        return []
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(status="processing", locked_by=worker_id, locked_until=lease_until)
    )
    return ids


async def by_aggregate(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[uuid.UUID]]:
    """The claimed ids split per aggregate, each list in claim order."""
    rows = await session.execute(
        select(OutboxMessage.id, OutboxMessage.aggregate_type, OutboxMessage.aggregate_id).where(
            OutboxMessage.id.in_(list(ids))
        )
    )
    key = {row_id: (kind, agg) for row_id, kind, agg in rows.all()}
    streams: dict[tuple[str, str], list[uuid.UUID]] = {}
    for message_id in ids:
        streams.setdefault(key.get(message_id, ("", str(message_id))), []).append(message_id)
    return list(streams.values())


async def lock_for_processing(
    session: AsyncSession, message_id: uuid.UUID, worker_id: str
) -> OutboxMessage | None:
    """The row, locked, if this worker still holds its lease; None if another has taken it over."""
    stmt = select(OutboxMessage).where(
        OutboxMessage.id == message_id,
        OutboxMessage.status == "processing",
        OutboxMessage.locked_by == worker_id,
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def lease_holders(session: AsyncSession) -> list[str]:
    rows = await session.scalars(
        select(OutboxMessage.locked_by)
        .where(OutboxMessage.status == "processing", OutboxMessage.locked_by.is_not(None))
        .distinct()
    )
    return [holder for holder in rows.all() if holder]


async def release(session: AsyncSession, holders: Sequence[str]) -> int:
    """Hands the rows of workers that died back to the queue, counting the interrupted try."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "processing", OutboxMessage.locked_by.in_(list(holders)))
        .values(
            status="pending",
            locked_by=None,
            locked_until=None,
            attempts=OutboxMessage.attempts + 1,
            last_error="the worker holding this row stopped",
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def renew(session: AsyncSession, worker_id: str, lease_until: datetime) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "processing", OutboxMessage.locked_by == worker_id)
        .values(locked_until=lease_until)
        .execution_options(synchronize_session=False)
    )


async def backlog(session: AsyncSession, now: datetime) -> tuple[int, datetime | None]:
    """Rows a worker should be handling now (due, or leased past their lease) and the oldest's due time."""
    due = (OutboxMessage.status == "pending") & (OutboxMessage.available_at <= now)
    stale = (OutboxMessage.status == "processing") & (OutboxMessage.locked_until < now)
    count = 0
    oldest: datetime | None = None
    # Two indexed queries rather than one with OR (as in claim).
    for condition, when in ((due, OutboxMessage.available_at), (stale, OutboxMessage.locked_until)):
        n, first = (await session.execute(select(func.count(), func.min(when)).where(condition))).one()
        count += int(n)
        if first is not None and (oldest is None or first < oldest):
            oldest = first
    return count, oldest


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {status: int(n) for status, n in rows.all()}


async def get(session: AsyncSession, message_id: uuid.UUID) -> OutboxMessage | None:
    return await session.get(OutboxMessage, message_id)


async def latest_of(session: AsyncSession, event_type: str, aggregate_id: str) -> OutboxMessage | None:
    """The newest row of one kind about one aggregate: a job's row tells whether it is queued,
    running, finished or given up."""
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.aggregate_id == aggregate_id, OutboxMessage.event_type == event_type)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()
