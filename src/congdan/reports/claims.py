"""A resident who signs in with the phone number or email they once left on a report sent without
an account can take those reports into their account (a report that carried both is matched by
either). Signing in proved they hold that contact;
the report's contact is compared by its keyed hash, and every claim is in the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.audit import service as audit
from congdan.authz.policy import RESIDENT, Principal, require_authenticated
from congdan.db import utcnow
from congdan.kit.errors import Forbidden
from congdan.kit.i18n import _
from congdan.models import Account
from congdan.reports import repository

CLAIMED = "report.claimed"


async def _resident(session: AsyncSession, principal: Principal) -> Account | None:
    require_authenticated(principal)
    if principal.role != RESIDENT or principal.account_id is None:
        return None
    return (await repository.accounts_by_id(session, {principal.account_id})).get(principal.account_id)


@dataclass(frozen=True)
class Claimable:
    """How many reports wait to be claimed, and by what they are matched: "phone", "email" or
    "both" (an account that proved both), so that the page can say which contact it means."""

    count: int
    by: str


async def claimable(session: AsyncSession, principal: Principal) -> Claimable:
    """The reports sent without an account that carry the signed-in resident's phone or email."""
    account = await _resident(session, principal)
    if account is None or not (account.phone or account.email):
        return Claimable(0, "phone")
    by = "both" if account.phone and account.email else "phone" if account.phone else "email"
    return Claimable(await repository.count_unclaimed_with_contact(session, account.phone, account.email), by)


async def claim(session: AsyncSession, principal: Principal) -> int:
    """Attaches those reports to the resident's account; returns how many."""
    account = await _resident(session, principal)
    if account is None:
        raise Forbidden(_("Chỉ người dân đã đăng nhập mới nhận được phản ánh về tài khoản."))
    if not (account.phone or account.email):
        return 0
    reports = await repository.unclaimed_with_contact(session, account.phone, account.email, for_update=True)
    now = utcnow()
    for report in reports:
        report.reporter_id = account.id
        report.updated_at = now
    if reports:
        await audit.record_many(
            session, principal, CLAIMED, subject_type="report", subjects=[r.id for r in reports]
        )
    return len(reports)
