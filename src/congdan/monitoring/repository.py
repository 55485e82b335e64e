"""The figures read from the database at scrape time, so that every process reports the same."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import OutboxMessage


async def outbox_due_by_type(session: AsyncSession, now: datetime) -> dict[str, tuple[int, datetime]]:
    """Per event type: rows a worker should be handling now (due, or leased past their lease) and
    when the oldest of them became due. Only waiting rows are read, never the table's history."""
    due = (OutboxMessage.status == "pending") & (OutboxMessage.available_at <= now)
    stale = (OutboxMessage.status == "processing") & (OutboxMessage.locked_until < now)
    found: dict[str, tuple[int, datetime]] = {}
    for condition, when in ((due, OutboxMessage.available_at), (stale, OutboxMessage.locked_until)):
        stmt = (
            select(OutboxMessage.event_type, func.count(), func.min(when))
            .where(condition)
            .group_by(OutboxMessage.event_type)
        )
        for event_type, n, first in (await session.execute(stmt)).all():
            if first is None:  # never in a group, which has at least one row
                continue
            when_due: datetime = first
            count, oldest = found.get(event_type, (0, when_due))
            found[event_type] = (count + int(n), min(oldest, when_due))
    return found
