"""Workers sweep the deadlines in their housekeeping round (reports/sweeps.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.config import Settings
from congdan.db import utcnow
from congdan.outbox.registry import Registry
from congdan.reports.sweeps import sweep


async def sweep_deadlines(session: AsyncSession, settings: Settings) -> int:
    return (await sweep(session, settings, utcnow())).total


def register(registry: Registry) -> None:
    registry.every_housekeeping("deadlines_swept", sweep_deadlines)
