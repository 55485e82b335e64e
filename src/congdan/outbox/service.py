from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.kit import requestid
from congdan.models import OutboxMessage
from congdan.outbox import repository


def emit(
    session: AsyncSession,
    event_type: str,
    *,
    aggregate_type: str,
    aggregate_id: str,
    payload: dict[str, object],
) -> OutboxMessage:
    """Adds an outbox row to the caller's transaction; it is handled only if that transaction commits.
    The row keeps the id of the request being answered, if any."""
    message = OutboxMessage(
        event_type=event_type,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        payload=payload,
        request_id=requestid.bound.get(),
    )
    session.add(message)
    return message


async def latest(session: AsyncSession, event_type: str, aggregate_id: str) -> OutboxMessage | None:
    return await repository.latest_of(session, event_type, aggregate_id)


@dataclass(frozen=True)
class Backlog:
    due: int
    oldest_due_seconds: float | None


async def backlog(session: AsyncSession, now: datetime) -> Backlog:
    """How much work is waiting for a worker now, and how long the oldest piece has waited."""
    due, oldest = await repository.backlog(session, now)
    return Backlog(due, None if oldest is None else max((now - oldest).total_seconds(), 0.0))
