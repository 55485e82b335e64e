from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import AuditEntry

# Any constant works; it only has to be the same for every writer of the chain.
_CHAIN_LOCK = 0x636F6E6764616E  # "congdan"


async def lock_chain(session: AsyncSession) -> None:
    """Writers queue here until commit, so two of them never extend the same row. SQLite needs
    nothing: every transaction there starts with BEGIN IMMEDIATE and so holds the write lock."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})


async def last(session: AsyncSession) -> AuditEntry | None:
    return (await session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))).first()


async def batch_after(session: AsyncSession, seq: int, limit: int) -> Sequence[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.seq > seq).order_by(AuditEntry.seq).limit(limit)
    return (await session.scalars(stmt)).all()


async def for_subject(session: AsyncSession, subject_type: str, subject_id: str) -> Sequence[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id)
        .order_by(AuditEntry.seq)
    )
    return (await session.scalars(stmt)).all()


async def latest_seq(session: AsyncSession, action: str, subject_type: str, subject_id: str) -> int | None:
    stmt = select(func.max(AuditEntry.seq)).where(
        AuditEntry.action == action,
        AuditEntry.subject_type == subject_type,
        AuditEntry.subject_id == subject_id,
    )
    result: int | None = await session.scalar(stmt)
    return result
