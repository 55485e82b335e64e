from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import OutboxMessage


def emit(
    session: AsyncSession,
    event_type: str,
    *,
    aggregate_type: str,
    aggregate_id: str,
    payload: dict[str, object],
) -> OutboxMessage:
    """Adds an outbox row to the caller's transaction; it is handled only if that transaction commits."""
    message = OutboxMessage(
        event_type=event_type, aggregate_type=aggregate_type, aggregate_id=aggregate_id, payload=payload
    )
    session.add(message)
    return message
