"""Staff sign-in: the password, then the second factor (or a recovery code in its place).

Every surface signs staff in through these functions, so no sign-in skips the second factor: the
JSON API hands out a bearer token, the workbench pages a browser session (auth/sessions.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.accounts import repository as accounts_repo
from congdan.accounts.passwords import verify_password
from congdan.audit import service as audit
from congdan.auth import factors, repository
from congdan.auth.lockout import PASSWORD, RECOVERY, TOTP, Guard
from congdan.auth.service import UNLOCKED, sign_in_count_key
from congdan.authz.policy import STAFF_ROLES, Principal, account_principal, require_admin
from congdan.config import Settings
from congdan.kit.errors import AppError, NotFound, Unauthorized
from congdan.kit.i18n import _
from congdan.models import Account

SIGNED_IN = "auth.staff_login"
ENROLLED = "auth.factor_enrolled"
RESET = "auth.factor_reset"


class WrongPassword(Unauthorized):
    """Refused, but the counted failure and its audit rows are kept."""

    keeps_changes = True


class WrongSecondFactor(Unauthorized):
    slug = "wrong-second-factor"
    keeps_changes = True


class SecondFactorRequired(Unauthorized):
    slug = "second-factor-required"
    title = _("Cần mã xác thực hai lớp")


class AlreadyEnrolled(AppError):
    status = 409
    slug = "already-enrolled"
    title = _("Tài khoản đã có xác thực hai lớp")


WRONG_PASSWORD = _("Email hoặc mật khẩu không đúng.")
WRONG_CODE = _("Mã xác thực không đúng hoặc đã được dùng. Hãy nhập mã mới trong ứng dụng xác thực.")
WRONG_RECOVERY = _("Email, mật khẩu hoặc mã khôi phục không đúng.")


async def account_count_key(session: AsyncSession, account: Account) -> str:
    """What the second-factor counts of one account are kept under; an unlock starts afresh."""
    unlocked = await audit.latest_seq(session, UNLOCKED, subject_type="account", subject_id=account.id)
    return str(account.id) if unlocked is None else f"{account.id}#{unlocked}"


def _is_staff(account: Account | None) -> bool:
    return account is not None and account.is_active and account.role in STAFF_ROLES


async def check_password(session: AsyncSession, guard: Guard, email: str, password: str) -> Account:
    """The first step. Unknown emails, residents and wrong passwords get the same refusal."""
    key = await sign_in_count_key(session, email)
    await guard.check(PASSWORD, key)
    account = await accounts_repo.by_email(session, email.strip().lower())
    valid = verify_password(account.password_hash if account else None, password)
    if account is None or not valid or not _is_staff(account):
        await guard.failed(session, PASSWORD, key, account if _is_staff(account) else None)
        raise WrongPassword(WRONG_PASSWORD)
    return account


async def is_enrolled(session: AsyncSession, account: Account) -> bool:
    return await factors.confirmed_factor(session, account.id) is not None


async def begin_enrolment(session: AsyncSession, account: Account) -> factors.Enrolment:
    """A new secret for an account without a confirmed factor (after its password was checked)."""
    if await is_enrolled(session, account):
        raise AlreadyEnrolled(_("Tài khoản đã có xác thực hai lớp; quản trị viên có thể đặt lại."))
    factor = await factors.start_enrolment(session, account)
    return factors.enrolment_for(factor, account)


async def pending_enrolment(session: AsyncSession, account: Account) -> factors.Enrolment | None:
    factor = await repository.factor(session, account.id)
    if factor is None or factor.confirmed_at is not None:
        return None
    return factors.enrolment_for(factor, account)


@dataclass(frozen=True)
class SecondFactorPassed:
    account: Account
    # Shown once when this code confirmed the enrolment; None otherwise.
    recovery_codes: list[str] | None


async def check_code(
    session: AsyncSession, settings: Settings, guard: Guard, account: Account, code: str, now: datetime
) -> SecondFactorPassed:
    """The second step: a TOTP code. The first accepted code confirms a pending enrolment."""
    key = await account_count_key(session, account)
    await guard.check(TOTP, key)
    factor = await repository.factor(session, account.id)
    if factor is None:
        raise SecondFactorRequired(_("Tài khoản chưa đăng ký xác thực hai lớp."))
    step = factors.matching_step(factor.secret, code, now, factor.last_step)
    if step is None:
        await guard.failed(session, TOTP, key, account)
        raise WrongSecondFactor(WRONG_CODE)
    factor.last_step = step
    codes = None
    if factor.confirmed_at is None:
        factor.confirmed_at = now
        codes = await factors.new_recovery_codes(session, settings.resolved_secret_key, account)
        await audit.record(
            session, account_principal(account), ENROLLED, subject_type="account", subject_id=account.id
        )
    return SecondFactorPassed(account, codes)


async def recover(
    session: AsyncSession,
    settings: Settings,
    guard: Guard,
    email: str,
    password: str,
    code: str,
    now: datetime,
) -> Account:
    """Password and a recovery code in place of the second factor. Counted against this address
    only, so other addresses' guesses cannot close it; a success unlocks the account."""
    key = await sign_in_count_key(session, email)
    await guard.check(PASSWORD, key, account_wide=False)
    await guard.check(RECOVERY, key, account_wide=False)
    account = await accounts_repo.by_email(session, email.strip().lower())
    valid = verify_password(account.password_hash if account else None, password)
    spent = False
    if account is not None and valid and _is_staff(account):
        spent = await factors.spend_recovery_code(session, settings.resolved_secret_key, account, code, now)
    if account is None or not spent:
        staff = account if _is_staff(account) else None
        await guard.failed(session, RECOVERY, key, staff, account_wide=False)
        await guard.failed(session, PASSWORD, key, None, account_wide=False)
        raise WrongPassword(WRONG_RECOVERY)
    owner = account_principal(account)
    locked = await guard.is_locked(PASSWORD, key) or await guard.is_locked(
        TOTP, await account_count_key(session, account)
    )
    if locked:
        await audit.record(
            session,
            owner,
            UNLOCKED,
            subject_type="account",
            subject_id=account.id,
            details={"by": "recovery_code"},
        )
    return account


async def record_sign_in(session: AsyncSession, account: Account, *, via: str, surface: str) -> None:
    await audit.record(
        session,
        account_principal(account),
        SIGNED_IN,
        subject_type="account",
        subject_id=account.id,
        details={"via": via, "surface": surface},
    )


async def reset_factor(session: AsyncSession, actor: Principal, account_id: uuid.UUID) -> Account:
    """An administrator removes a staff member's factor and recovery codes: the next sign-in enrols."""
    require_admin(actor)
    account = await accounts_repo.get(session, account_id)
    if account is None or account.role not in STAFF_ROLES:
        raise NotFound(_("Không tìm thấy tài khoản cán bộ."))
    await repository.delete_factor(session, account.id)
    await audit.record(session, actor, RESET, subject_type="account", subject_id=account.id)
    return account


async def unlock_account(session: AsyncSession, actor: Principal, account_id: uuid.UUID) -> Account:
    """An administrator lets a staff member locked out by someone else's guesses sign in again."""
    require_admin(actor)
    account = await accounts_repo.get(session, account_id)
    if account is None or account.role not in STAFF_ROLES:
        raise NotFound(_("Không tìm thấy tài khoản cán bộ."))
    await audit.record(
        session, actor, UNLOCKED, subject_type="account", subject_id=account.id, details={"by": "admin"}
    )
    return account


@dataclass(frozen=True)
class StaffRow:
    account: Account
    enrolled: bool


async def staff_list(session: AsyncSession, actor: Principal) -> list[StaffRow]:
    require_admin(actor)
    accounts = await accounts_repo.staff_accounts(session, STAFF_ROLES)
    enrolled = await repository.enrolled_accounts(session, [a.id for a in accounts])
    return [StaffRow(a, a.id in enrolled) for a in accounts]


async def recovery_codes_left(session: AsyncSession, account_id: uuid.UUID) -> int:
    return await repository.recovery_codes_left(session, account_id)
