"""Training a classifier version for an administrator who asked from the page. The seconds of
CPU run outside any transaction (a sender's act), so that SQLite's write lock is not held
meanwhile; the version is stored with the job's "done" mark, so a job stores exactly one."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import OutboxMessage
from congdan.outbox.registry import HandlerContext, Registry
from congdan.routing import service, versions


class TrainSender:
    async def claim(self, session: AsyncSession, message: OutboxMessage, ctx: HandlerContext) -> Any | None:
        return await service.training_examples(session)

    async def act(self, claim: Any, ctx: HandlerContext) -> service.Fitted:
        examples, n_corrections = claim
        return await asyncio.to_thread(service.fit, examples, n_corrections)

    async def record(
        self, session: AsyncSession, message: OutboxMessage, claim: Any, outcome: Any, ctx: HandlerContext
    ) -> str | None:
        if isinstance(outcome, Exception):
            return f"{type(outcome).__name__}: {outcome}"[:2000]
        trained = await service.store(session, outcome)
        await versions.record_trained(session, message, trained)
        return None


def register(registry: Registry) -> None:
    registry.sends(versions.TRAIN_REQUESTED, TrainSender())
