"""Outbox handler: one batch of an announcement's or alert's audience per row."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.announcements import service
from congdan.db import utcnow
from congdan.models import OutboxMessage
from congdan.outbox.registry import HandlerContext, Registry


async def fan_out(session: AsyncSession, message: OutboxMessage, ctx: HandlerContext) -> None:
    await service.fanout_batch(session, ctx.settings, message, utcnow(), batch=ctx.settings.alert_batch_size)


def register(registry: Registry) -> None:
    registry.handles(service.FANOUT_EVENT)(fan_out)
