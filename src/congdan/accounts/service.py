"""Creating accounts. Staff are created by administrators (CLI or API); residents by signing in."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.accounts import repository
from congdan.accounts.passwords import hash_password
from congdan.agencies import repository as agencies_repo
from congdan.audit import service as audit
from congdan.authz.policy import AGENCY_ROLES, MACHINE, RESIDENT, STAFF_ROLES, Principal, require_admin
from congdan.kit.contact import normalise_email, normalise_phone
from congdan.kit.errors import Conflict, NotFound, ValidationFailed
from congdan.kit.i18n import _
from congdan.models import Account

MIN_PASSWORD = 10
# An initial password is read off a screen and typed once: no characters that look alike
# (0/O, 1/l/I), 16 of 54 symbols (about 92 bits), in groups of four.
_READABLE = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
DEACTIVATED = "account.deactivated"
REACTIVATED = "account.reactivated"


def require_strong(password: str, *, field: str = "password") -> None:
    """The one rule every staff password keeps, whoever chooses it."""
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(_("Mật khẩu phải có ít nhất %(n)s ký tự."), field=field, n=MIN_PASSWORD)


def initial_password() -> str:
    return "-".join("".join(secrets.choice(_READABLE) for _ in range(4)) for _ in range(4))


async def create_staff(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    role: str,
    agency_code: str | None = None,
    display_name: str | None = None,
    actor: Principal = MACHINE,
) -> Account:
    normalised = normalise_email(email)
    if normalised is None:
        raise ValidationFailed(_("Địa chỉ email không hợp lệ."), field="email")
    if role not in STAFF_ROLES:
        raise ValidationFailed(_("Vai trò không hợp lệ: %(role)s."), field="role", role=role)
    if role in AGENCY_ROLES:
        if not agency_code or await agencies_repo.get_agency(session, agency_code) is None:
            raise ValidationFailed(_("Cán bộ cơ quan phải thuộc một cơ quan có thật."), field="agency")
    elif agency_code:
        raise ValidationFailed(_("Chỉ cán bộ cơ quan mới gắn với một cơ quan."), field="agency")
    require_strong(password)
    if await repository.by_email(session, normalised) is not None:
        raise Conflict(_("Email này đã có tài khoản."))
    account = Account(
        role=role,
        email=normalised,
        password_hash=hash_password(password),
        agency_code=agency_code if role in AGENCY_ROLES else None,
        display_name=display_name,
    )
    session.add(account)
    await session.flush()
    await audit.record(
        session,
        actor,
        "account.created",
        subject_type="account",
        subject_id=account.id,
        details={"role": role, "agency": account.agency_code},
    )
    return account


async def change_role(
    session: AsyncSession, actor: Principal, *, email: str, role: str, agency_code: str | None = None
) -> Account:
    """Moves a staff account to another role or agency; every change is in the audit log."""
    account = await repository.by_email(session, (normalise_email(email) or email).strip().lower())
    if account is None or account.role not in STAFF_ROLES:
        raise NotFound(_("Không tìm thấy tài khoản cán bộ với email này."))
    if role not in STAFF_ROLES:
        raise ValidationFailed(_("Vai trò không hợp lệ: %(role)s."), field="role", role=role)
    if role in AGENCY_ROLES:
        if not agency_code or await agencies_repo.get_agency(session, agency_code) is None:
            raise ValidationFailed(_("Cán bộ cơ quan phải thuộc một cơ quan có thật."), field="agency")
    elif agency_code:
        raise ValidationFailed(_("Chỉ cán bộ cơ quan mới gắn với một cơ quan."), field="agency")
    before = {"role": account.role, "agency": account.agency_code}
    account.role, account.agency_code = role, agency_code if role in AGENCY_ROLES else None
    await audit.record(
        session,
        actor,
        "account.role_changed",
        subject_type="account",
        subject_id=account.id,
        details={"from": before, "to": {"role": account.role, "agency": account.agency_code}},
    )
    return account


@dataclass(frozen=True)
class NewStaff:
    account: Account
    # Shown once to the administrator who created the account, to hand over; never stored in clear.
    initial_password: str


async def create_staff_by_admin(
    session: AsyncSession,
    actor: Principal,
    *,
    email: str,
    role: str,
    agency_code: str | None,
    display_name: str | None,
) -> NewStaff:
    """An administrator creates a staff account with a random initial password; the staff member
    enrols a second factor at the first sign-in, as after `congdan user create`."""
    require_admin(actor)
    password = initial_password()
    account = await create_staff(
        session,
        email=email,
        password=password,
        role=role,
        agency_code=agency_code,
        display_name=display_name,
        actor=actor,
    )
    return NewStaff(account, password)


async def staff_account(session: AsyncSession, actor: Principal, account_id: uuid.UUID) -> Account:
    require_admin(actor)
    account = await repository.get(session, account_id)
    if account is None or account.role not in STAFF_ROLES:
        raise NotFound(_("Không tìm thấy tài khoản cán bộ."))
    return account


def _not_self(actor: Principal, account: Account) -> None:
    # The last administrator could otherwise lock everybody out of administration.
    if actor.account_id == account.id:
        raise ValidationFailed(_("Không tự đổi vai trò hay ngừng tài khoản của chính mình."), field="role")


async def change_role_of(
    session: AsyncSession, actor: Principal, account_id: uuid.UUID, *, role: str, agency_code: str | None
) -> Account:
    account = await staff_account(session, actor, account_id)
    _not_self(actor, account)
    assert account.email is not None
    return await change_role(session, actor, email=account.email, role=role, agency_code=agency_code)


async def set_active(
    session: AsyncSession, actor: Principal, account_id: uuid.UUID, *, active: bool
) -> Account:
    """An administrator deactivates a staff account (it can no longer sign in, and its sessions and
    tokens stop working) or lets it work again; both are in the audit log."""
    account = await staff_account(session, actor, account_id)
    _not_self(actor, account)
    if account.is_active != active:
        account.is_active = active
        await session.flush()
        await audit.record(
            session,
            actor,
            REACTIVATED if active else DEACTIVATED,
            subject_type="account",
            subject_id=account.id,
        )
    return account


async def resident_for(session: AsyncSession, *, channel: str, destination: str) -> Account:
    """The resident account behind a verified phone or email, created on first sign-in."""
    found = await (
        repository.by_phone(session, destination)
        if channel == "sms"
        else repository.by_email(session, destination)
    )
    if found is not None:
        return found
    account = Account(role=RESIDENT)
    if channel == "sms":
        account.phone = destination
    else:
        account.email = destination
    try:
        async with session.begin_nested():
            session.add(account)
    except IntegrityError:
        # Two first sign-ins raced; the other one created the account.
        found = await (
            repository.by_phone(session, destination)
            if channel == "sms"
            else repository.by_email(session, destination)
        )
        if found is None:
            raise
        return found
    return account


def normalise_destination(*, phone: str | None, email: str | None) -> tuple[str, str]:
    if phone:
        value = normalise_phone(phone)
        if value is None:
            raise ValidationFailed(_("Số điện thoại không hợp lệ."), field="phone")
        return "sms", value
    if email:
        value = normalise_email(email)
        if value is None:
            raise ValidationFailed(_("Địa chỉ email không hợp lệ."), field="email")
        return "email", value
    raise ValidationFailed(_("Cần số điện thoại hoặc email."), field="phone")
