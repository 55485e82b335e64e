from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import Account, ApiKey, ApiToken, OtpChallenge, ReportToken, ResidentSession


async def token_with_account(
    session: AsyncSession, token_hash: str, now: datetime
) -> tuple[ApiToken, Account] | None:
    stmt = (
        select(ApiToken, Account)
        .join(Account, Account.id == ApiToken.account_id)
        .where(
            ApiToken.token_hash == token_hash,
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
            Account.is_active.is_(True),
        )
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row else None


async def token_by_hash(session: AsyncSession, token_hash: str) -> ApiToken | None:
    return (await session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash))).first()


async def open_challenge(
    session: AsyncSession, destination: str, now: datetime, *, report_id: uuid.UUID | None = None
) -> OtpChallenge | None:
    """The newest open code sent to `destination`: a sign-in code, or one proving `report_id`."""
    scope = OtpChallenge.report_id.is_(None) if report_id is None else OtpChallenge.report_id == report_id
    stmt = (
        select(OtpChallenge)
        .where(
            OtpChallenge.destination == destination,
            scope,
            OtpChallenge.consumed_at.is_(None),
            OtpChallenge.expires_at > now,
        )
        .order_by(OtpChallenge.created_at.desc())
        .limit(1)
        # Concurrent verifications queue on the row, so a code is used once and every try counts.
        .with_for_update()
    )
    return (await session.scalars(stmt)).first()


async def api_key_by_hash(session: AsyncSession, key_hash: str) -> ApiKey | None:
    stmt = select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    return (await session.scalars(stmt)).first()


async def report_token(session: AsyncSession, token_hash: str, now: datetime) -> ReportToken | None:
    stmt = select(ReportToken).where(ReportToken.token_hash == token_hash, ReportToken.expires_at > now)
    return (await session.scalars(stmt)).first()


async def challenge(session: AsyncSession, challenge_id: uuid.UUID) -> OtpChallenge | None:
    return await session.get(OtpChallenge, challenge_id)


async def resident_session_with_account(
    session: AsyncSession, token_hash: str, now: datetime
) -> tuple[ResidentSession, Account] | None:
    stmt = (
        select(ResidentSession, Account)
        .join(Account, Account.id == ResidentSession.account_id)
        .where(
            ResidentSession.token_hash == token_hash,
            ResidentSession.revoked_at.is_(None),
            ResidentSession.expires_at > now,
            Account.is_active.is_(True),
        )
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row else None


async def resident_session_by_hash(session: AsyncSession, token_hash: str) -> ResidentSession | None:
    stmt = select(ResidentSession).where(ResidentSession.token_hash == token_hash)
    return (await session.scalars(stmt)).first()
