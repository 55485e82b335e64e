"""Staff sign-in failures and the locks they close, counted per factor.

Each factor has a count per (account, client address) and one per account: a caller spends their
own share first, and the account's ceiling only stops guesses spread over many addresses. Only
failures count, so an owner signing in often never locks themselves out. A count starts afresh
when someone unlocks the account (an audit row, so every `serve` instance agrees).

The way back for a locked-out owner is the password together with a recovery code: it is checked
against this address's counts only (password and recovery), never against the account-wide
password lock that other addresses' guesses closed, and it answers the same refusal whichever of
the two was wrong, so it tells a guesser nothing about the password.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.audit import service as audit
from congdan.authz.policy import PUBLIC
from congdan.kit.i18n import _
from congdan.models import Account
from congdan.security.ratelimit import RateLimiter, TooManyRequests

PASSWORD = "login"  # noqa: S105 - the rate-limit rule of passwords, not a password
TOTP = "totp"
RECOVERY = "recovery"
# Names in the audit log.
LOCKED = "auth.locked"
FACTOR_NAMES = {PASSWORD: "password", TOTP: "totp", RECOVERY: "recovery_code"}


class AccountLocked(TooManyRequests):
    slug = "account-locked"
    title = _("Tài khoản tạm khóa đăng nhập")


LOCKED_MESSAGE = _(
    "Có quá nhiều lần đăng nhập sai; hãy thử lại sau %(seconds)s giây, hoặc đăng nhập bằng mật khẩu "
    "và một mã khôi phục."
)


@dataclass
class Guard:
    """The counts of one request's client address. Without a limiter (rate limits turned off)
    nothing is counted and nothing is locked."""

    limiter: RateLimiter | None
    client: str

    def _rules(self, factor: str, key: str, *, account_wide: bool) -> list[tuple[str, str, str]]:
        rules = [(f"{factor}_target_client", f"{key}|{self.client}", "client")]
        if account_wide:
            rules.append((f"{factor}_target", key, "account"))
        return rules

    async def check(self, factor: str, key: str, *, account_wide: bool = True) -> None:
        if self.limiter is None:
            return
        for rule, identifier, _scope in self._rules(factor, key, account_wide=account_wide):
            wait = await self.limiter.exhausted(rule, identifier)
            if wait is not None:
                raise AccountLocked(LOCKED_MESSAGE, headers={"Retry-After": str(wait)}, seconds=wait)

    async def is_locked(self, factor: str, key: str) -> bool:
        if self.limiter is None:
            return False
        return await self.limiter.exhausted(f"{factor}_target", key) is not None

    async def failed(
        self,
        session: AsyncSession,
        factor: str,
        key: str,
        account: Account | None,
        *,
        account_wide: bool = True,
    ) -> None:
        """Counts a failure; the failure, and a lock it closes, are audited for a staff account."""
        if account is not None:
            await audit.record(
                session,
                PUBLIC,
                "auth.staff_login_failed",
                subject_type="account",
                subject_id=account.id,
                details={"factor": FACTOR_NAMES[factor]},
            )
        if self.limiter is None:
            return
        for rule, identifier, scope in self._rules(factor, key, account_wide=account_wide):
            if await self.limiter.spend(rule, identifier) and account is not None:
                await audit.record(
                    session,
                    PUBLIC,
                    LOCKED,
                    subject_type="account",
                    subject_id=account.id,
                    details={"factor": FACTOR_NAMES[factor], "scope": scope},
                )
