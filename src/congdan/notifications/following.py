"""Following a report: a signed-in resident hears of the progress of a report they did not send.
The JSON API and the report's page both call these."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz.policy import (
    Principal,
    can_view_report,
    require_authenticated,
    require_identified,
    require_reporter,
)
from congdan.models import Report
from congdan.notifications import repository
from congdan.reports import service as reports


async def follow(session: AsyncSession, principal: Principal, report_id: uuid.UUID) -> Report:
    require_identified(principal)
    report = await reports.get_for(session, principal, report_id)
    if principal.account_id is None:
        # A proven reporter already hears of every step through the contact they left.
        require_reporter(principal, report)
        return report
    await repository.follow(session, report.id, principal.account_id)
    return report


async def unfollow(session: AsyncSession, principal: Principal, report_id: uuid.UUID) -> None:
    require_authenticated(principal)
    assert principal.account_id is not None
    await repository.unfollow(session, report_id, principal.account_id)


async def follow_state(session: AsyncSession, principal: Principal, report: Report) -> bool | None:
    """Whether this signed-in account follows the report; None when it cannot (not signed in, its
    own report, or a report it may not see)."""
    if principal.account_id is None or report.reporter_id == principal.account_id:
        return None
    if not can_view_report(principal, report):
        return None
    return await repository.is_following(session, report.id, principal.account_id)
