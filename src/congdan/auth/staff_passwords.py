"""A staff member's password: changed by its owner, who gives the current one first, or reset by
an administrator to a one-time password that its owner must replace at the next sign-in.

Either way every other way in ends: after a change, the owner's other browser sessions and their
bearer tokens (the browser the change was made in stays signed in); after a reset, all of them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.accounts import repository as accounts_repo
from congdan.accounts.passwords import hash_password, verify_password
from congdan.accounts.service import initial_password, require_strong
from congdan.audit import service as audit
from congdan.auth import repository
from congdan.auth.lockout import PASSWORD, Guard
from congdan.auth.service import sign_in_count_key
from congdan.auth.sessions import Current
from congdan.authz.policy import STAFF_ROLES, Principal, require_admin
from congdan.kit.errors import Forbidden, NotFound, ValidationFailed
from congdan.kit.i18n import _

CHANGED = "auth.password_changed"
RESET = "auth.password_reset"


class WrongCurrentPassword(ValidationFailed):
    """Refused like a wrong password at sign-in: the counted failure and its audit rows are kept."""

    keeps_changes = True


class PasswordChangeRequired(Forbidden):
    slug = "password-change-required"
    title = _("Cần chọn mật khẩu mới")


CHOOSE_ON_WORKBENCH = _(
    "Mật khẩu này do quản trị viên đặt lại: hãy đăng nhập trang cán bộ và chọn mật khẩu mới trước."
)


async def change_own(
    session: AsyncSession,
    guard: Guard,
    found: Current,
    *,
    current: str,
    new: str,
    again: str,
    now: datetime,
) -> int:
    """The signed-in staff member chooses a new password; answers how many other sessions and
    tokens ended. A wrong current password counts against the same limits as the sign-in, so this
    form is no way round them."""
    # The session's account was read before the unit of work; change the row this one holds.
    account = await accounts_repo.get(session, found.account.id)
    assert account is not None and account.email is not None
    key = await sign_in_count_key(session, account.email)
    await guard.check(PASSWORD, key)
    if not verify_password(account.password_hash, current):
        await guard.failed(session, PASSWORD, key, account)
        raise WrongCurrentPassword(_("Mật khẩu hiện tại không đúng."), field="current_password")
    require_strong(new, field="new_password")
    if new != again:
        raise ValidationFailed(_("Hai lần nhập mật khẩu mới không khớp."), field="new_password_again")
    if new == current:
        raise ValidationFailed(_("Mật khẩu mới phải khác mật khẩu hiện tại."), field="new_password")
    forced = account.must_change_password
    account.password_hash = hash_password(new)
    account.must_change_password = False
    ended = await repository.revoke_sessions(session, account.id, now, keep=found.row.id)
    ended += await repository.revoke_tokens(session, account.id, now)
    await audit.record(
        session,
        found.principal,
        CHANGED,
        subject_type="account",
        subject_id=account.id,
        details={"by": "owner", "after_reset": forced, "revoked": ended},
    )
    return ended


async def reset(session: AsyncSession, actor: Principal, account_id: uuid.UUID, now: datetime) -> str:
    """An administrator gives a staff member a new one-time password (returned to be shown once,
    never stored in clear); every session and token of the account ends, and the next sign-in
    leads, after the second factor, to choosing a password before anything else."""
    require_admin(actor)
    account = await accounts_repo.get(session, account_id)
    if account is None or account.role not in STAFF_ROLES:
        raise NotFound(_("Không tìm thấy tài khoản cán bộ."))
    if account.id == actor.account_id:
        raise ValidationFailed(_("Mật khẩu của chính mình thì đổi ở trang Tài khoản."), field="password")
    password = initial_password()
    account.password_hash = hash_password(password)
    account.must_change_password = True
    ended = await repository.revoke_sessions(session, account.id, now)
    ended += await repository.revoke_tokens(session, account.id, now)
    await audit.record(
        session, actor, RESET, subject_type="account", subject_id=account.id, details={"revoked": ended}
    )
    return password
