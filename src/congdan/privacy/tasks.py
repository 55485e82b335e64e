"""Removing stored files of erased data, after the erasure has committed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.integrations.storage import LocalStorage
from congdan.models import OutboxMessage
from congdan.outbox.registry import HandlerContext, handles


@handles("privacy.media_erased")
async def erase_media_files(session: AsyncSession, message: OutboxMessage, ctx: HandlerContext) -> None:
    storage = LocalStorage(ctx.settings.resolved_media_dir)
    keys = message.payload.get("keys")
    for key in keys if isinstance(keys, list) else []:
        await storage.delete(str(key))  # already gone is fine: handlers may run twice
