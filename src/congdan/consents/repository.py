from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import Consent


async def active_consent(
    session: AsyncSession, account_id: uuid.UUID, purpose: str, version: str
) -> Consent | None:
    stmt = select(Consent).where(
        Consent.account_id == account_id,
        Consent.purpose == purpose,
        Consent.notice_version == version,
        Consent.withdrawn_at.is_(None),
    )
    return (await session.scalars(stmt.limit(1))).first()


async def consents_of(session: AsyncSession, account_id: uuid.UUID) -> Sequence[Consent]:
    stmt = select(Consent).where(Consent.account_id == account_id).order_by(Consent.granted_at, Consent.id)
    return (await session.scalars(stmt)).all()


async def consent(session: AsyncSession, consent_id: uuid.UUID) -> Consent | None:
    return await session.get(Consent, consent_id, with_for_update=True)
