"""Staff browser sessions: a row per signed-in browser, referenced by an opaque HttpOnly cookie
whose hash alone is stored.

A session first stands for a checked password awaiting the second factor (a few minutes at
most), then for a full sign-in. It ends when revoked (sign-out, by its owner, by an
administrator), after CONGDAN_STAFF_IDLE_MINUTES without a request, and in any case
CONGDAN_STAFF_SESSION_HOURS after it began. Its last-seen time is written at most once a minute.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.accounts import repository as accounts_repo
from congdan.audit import service as audit
from congdan.auth import repository
from congdan.authz.policy import STAFF_ROLES, Principal, account_principal, require_admin
from congdan.config import Settings
from congdan.kit.codes import new_secret, sha256_hex
from congdan.kit.errors import NotFound
from congdan.kit.i18n import _
from congdan.models import Account, StaffSession

COOKIE_PREFIX = "cdw"
AWAITING_FACTOR = "password"
SIGNED_IN = "signed_in"
# How long the second-factor page waits after the password.
FACTOR_WAIT = timedelta(minutes=10)
TOUCH_EVERY = timedelta(minutes=1)
REVOKED = "auth.session_revoked"
SIGNED_OUT = "auth.staff_logout"


@dataclass(frozen=True)
class Current:
    row: StaffSession
    account: Account
    # The last-seen time is due to be written (at most once a minute).
    touch: bool

    @property
    def principal(self) -> Principal:
        return account_principal(self.account)


def idle_limit(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.staff_idle_minutes)


def absolute_limit(settings: Settings) -> timedelta:
    return timedelta(hours=settings.staff_session_hours)


def _alive(row: StaffSession, settings: Settings, now: datetime) -> bool:
    if row.revoked_at is not None:
        return False
    if row.stage == AWAITING_FACTOR:
        return now - row.created_at < FACTOR_WAIT
    return now - row.last_seen_at < idle_limit(settings) and now - row.created_at < absolute_limit(settings)


async def start(
    session: AsyncSession, account: Account, *, stage: str, user_agent: str, address: str, now: datetime
) -> tuple[StaffSession, str]:
    """A new session; the raw token (for the cookie) is returned once and never stored."""
    raw = new_secret(COOKIE_PREFIX)
    row = StaffSession(
        account_id=account.id,
        token_hash=sha256_hex(raw),
        stage=stage,
        user_agent=user_agent[:300],
        address=address[:64],
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    await session.flush()
    return row, raw


async def current(
    session: AsyncSession, settings: Settings, raw: str | None, now: datetime, *, stage: str = SIGNED_IN
) -> Current | None:
    """The live session of this cookie at `stage`, for an active staff account, or None."""
    if not raw or len(raw) > 128:
        return None
    found = await repository.staff_session(session, sha256_hex(raw))
    if found is None:
        return None
    row, account = found
    if row.stage != stage or not _alive(row, settings, now):
        return None
    if not account.is_active or account.role not in STAFF_ROLES:
        return None
    return Current(row, account, touch=now - row.last_seen_at >= TOUCH_EVERY)


async def touch(session: AsyncSession, found: Current, now: datetime) -> None:
    await repository.touch_session(session, found.row.id, now)


async def complete(session: AsyncSession, row: StaffSession, now: datetime) -> None:
    """The second factor passed: the session now signs its browser in; its clocks start now."""
    row.stage = SIGNED_IN
    row.created_at = now
    row.last_seen_at = now


async def listed(
    session: AsyncSession, settings: Settings, account_id: uuid.UUID, now: datetime
) -> list[StaffSession]:
    return await repository.open_sessions(
        session,
        account_id,
        seen_after=now - idle_limit(settings),
        started_after=now - absolute_limit(settings),
    )


async def sign_out(session: AsyncSession, found: Current, now: datetime) -> None:
    await repository.revoke_sessions(session, found.account.id, now, session_id=found.row.id)
    await audit.record(
        session,
        found.principal,
        SIGNED_OUT,
        subject_type="account",
        subject_id=found.account.id,
        details={"session": str(found.row.id)},
    )


async def revoke_own(session: AsyncSession, actor: Principal, session_id: uuid.UUID, now: datetime) -> None:
    assert actor.account_id is not None
    if not await repository.revoke_sessions(session, actor.account_id, now, session_id=session_id):
        raise NotFound(_("Không tìm thấy phiên đăng nhập."))
    await audit.record(
        session,
        actor,
        REVOKED,
        subject_type="account",
        subject_id=actor.account_id,
        details={"session": str(session_id), "by": "owner"},
    )


async def revoke_all(session: AsyncSession, actor: Principal, account_id: uuid.UUID, now: datetime) -> int:
    """An administrator ends every browser session and bearer token of a staff account."""
    require_admin(actor)
    account = await accounts_repo.get(session, account_id)
    if account is None or account.role not in STAFF_ROLES:
        raise NotFound(_("Không tìm thấy tài khoản cán bộ."))
    count = await repository.revoke_sessions(session, account.id, now)
    count += await repository.revoke_tokens(session, account.id, now)
    await audit.record(
        session,
        actor,
        REVOKED,
        subject_type="account",
        subject_id=account.id,
        details={"by": "admin", "count": count},
    )
    return count
