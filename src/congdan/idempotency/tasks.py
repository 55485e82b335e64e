"""Workers forget Idempotency-Keys past their retention: a retry that late is a new request."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.config import Settings
from congdan.idempotency.service import purge_expired
from congdan.outbox.registry import Registry


async def purge(session: AsyncSession, settings: Settings) -> int:
    return await purge_expired(session, timedelta(hours=settings.idempotency_retention_hours))


def register(registry: Registry) -> None:
    registry.every_housekeeping("idempotency_keys_purged", purge)
