from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import (
    Account,
    ApiKey,
    ApiToken,
    OtpChallenge,
    RecoveryCode,
    ReportToken,
    ResidentSession,
    StaffFactor,
    StaffSession,
)


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


# ---- staff second factor and browser sessions ------------------------------------------------


async def factor(session: AsyncSession, account_id: uuid.UUID) -> StaffFactor | None:
    # Locked while a code is checked, so one code is accepted once even by concurrent requests.
    stmt = select(StaffFactor).where(StaffFactor.account_id == account_id).with_for_update()
    return (await session.scalars(stmt)).first()


async def delete_factor(session: AsyncSession, account_id: uuid.UUID) -> int:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
    result = await session.execute(delete(StaffFactor).where(StaffFactor.account_id == account_id))
    return int(getattr(result, "rowcount", 0) or 0)


async def unused_recovery_code(
    session: AsyncSession, account_id: uuid.UUID, code_hash: str
) -> RecoveryCode | None:
    stmt = (
        select(RecoveryCode)
        .where(
            RecoveryCode.account_id == account_id,
            RecoveryCode.code_hash == code_hash,
            RecoveryCode.used_at.is_(None),
        )
        .with_for_update()
    )
    return (await session.scalars(stmt)).first()


async def recovery_codes_left(session: AsyncSession, account_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None))
    return int(await session.scalar(stmt) or 0)


async def staff_session(session: AsyncSession, token_hash: str) -> tuple[StaffSession, Account] | None:
    stmt = (
        select(StaffSession, Account)
        .join(Account, Account.id == StaffSession.account_id)
        .where(StaffSession.token_hash == token_hash, StaffSession.revoked_at.is_(None))
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row else None




async def touch_session(session: AsyncSession, session_id: uuid.UUID, now: datetime) -> None:
    await session.execute(update(StaffSession).where(StaffSession.id == session_id).values(last_seen_at=now))


async def open_sessions(
    session: AsyncSession, account_id: uuid.UUID, *, seen_after: datetime, started_after: datetime
) -> list[StaffSession]:
    stmt = (
        select(StaffSession)
        .where(
            StaffSession.account_id == account_id,
            StaffSession.stage == "signed_in",
            StaffSession.revoked_at.is_(None),
            StaffSession.last_seen_at > seen_after,
            StaffSession.created_at > started_after,
        )
        .order_by(StaffSession.last_seen_at.desc())
    )
    return list((await session.scalars(stmt)).all())


async def revoke_sessions(
    session: AsyncSession,
    account_id: uuid.UUID,
    now: datetime,
    *,
    session_id: uuid.UUID | None = None,
    keep: uuid.UUID | None = None,
) -> int:
    """Revokes one session of an account (`session_id`), or all of them but `keep`."""
    stmt = update(StaffSession).where(
        StaffSession.account_id == account_id, StaffSession.revoked_at.is_(None)
    )
    if session_id is not None:
        stmt = stmt.where(StaffSession.id == session_id)
    if keep is not None:
        stmt = stmt.where(StaffSession.id != keep)
    result = await session.execute(stmt.values(revoked_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


async def enrolled_accounts(session: AsyncSession, account_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    stmt = select(StaffFactor.account_id).where(
        StaffFactor.account_id.in_(account_ids), StaffFactor.confirmed_at.is_not(None)
    )
    return set((await session.scalars(stmt)).all())


async def revoke_tokens(session: AsyncSession, account_id: uuid.UUID, now: datetime) -> int:
    stmt = update(ApiToken).where(ApiToken.account_id == account_id, ApiToken.revoked_at.is_(None))
    result = await session.execute(stmt.values(revoked_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


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
