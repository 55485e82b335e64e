"""Removing stored files of erased data, after the erasure has committed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.integrations.storage import Storage
from congdan.models import OutboxMessage
from congdan.outbox.registry import HandlerContext, Registry
from congdan.privacy.service import MEDIA_ERASED


async def erase_media_files(session: AsyncSession, message: OutboxMessage, ctx: HandlerContext) -> None:
    # The process's one storage (a local folder, or another store): files go where they were kept.
    storage: Storage = ctx.resources["storage"]
    keys = message.payload.get("keys")
    for key in keys if isinstance(keys, list) else []:
        await storage.delete(str(key))  # already gone is fine: handlers may run twice


def register(registry: Registry) -> None:
    registry.handles(MEDIA_ERASED)(erase_media_files)
