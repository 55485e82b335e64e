"""Residents' browser sessions: a signed-in phone stays signed in while it keeps coming back.

The cookie holds an opaque token; only its hash is stored. Each session expires
`resident_session_days` after it was last seen, and sign-out revokes it at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.audit import service as audit
from congdan.auth import repository
from congdan.auth.service import resident_by_code
from congdan.authz.policy import Principal, account_principal
from congdan.config import Settings
from congdan.db import utcnow
from congdan.kit.codes import new_secret, sha256_hex
from congdan.models import Account, ResidentSession

SESSION_PREFIX = "cdb"
# The expiry moves forward at most this often, so an ordinary page view stays a read.
SLIDE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class SignedIn:
    token: str
    account: Account
    max_age: int


def _ttl(settings: Settings) -> timedelta:
    return timedelta(days=settings.resident_session_days)


async def sign_in(
    session: AsyncSession, settings: Settings, *, phone: str | None, email: str | None, code: str
) -> SignedIn:
    """Checks the one-time code (a wrong one counts as an attempt) and opens a browser session."""
    account = await resident_by_code(session, settings, phone=phone, email=email, code=code)
    raw = new_secret(SESSION_PREFIX)
    now = utcnow()
    session.add(
        ResidentSession(
            account_id=account.id,
            token_hash=sha256_hex(raw),
            created_at=now,
            last_seen_at=now,
            expires_at=now + _ttl(settings),
        )
    )
    await session.flush()
    await audit.record(
        session,
        account_principal(account),
        "auth.resident_sign_in",
        subject_type="account",
        subject_id=account.id,
    )
    return SignedIn(raw, account, int(_ttl(settings).total_seconds()))


@dataclass(frozen=True)
class Found:
    principal: Principal
    slide_due: bool  # the expiry should move forward (once an hour at most)


async def resident_for(session: AsyncSession, raw: str) -> Found | None:
    """The resident a cookie's token signs in, if it is still valid. Only reads."""
    now = utcnow()
    found = await repository.resident_session_with_account(session, sha256_hex(raw), now)
    if found is None:
        return None
    row, account = found
    return Found(account_principal(account), now - row.last_seen_at >= SLIDE_EVERY)


async def slide(maker: async_sessionmaker[AsyncSession], settings: Settings, raw: str) -> None:
    """Moves the session's expiry forward, in a short transaction of its own taken before the
    request's unit of work, so that a page view stays a read."""
    async with maker() as session, session.begin():
        row = await repository.resident_session_by_hash(session, sha256_hex(raw))
        if row is not None and row.revoked_at is None:
            now = utcnow()
            row.last_seen_at = now
            row.expires_at = now + _ttl(settings)


async def sign_out(session: AsyncSession, raw: str) -> None:
    row = await repository.resident_session_by_hash(session, sha256_hex(raw))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
