"""What the reporter can still do about their report (rate it once resolved; reopen it within the
days the city allows) and doing it, for "my reports" and for the tracking page alike: the rules
are the reports services'; this only reads the form."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz.policy import Principal
from congdan.config import Settings
from congdan.db import utcnow
from congdan.kit.errors import ValidationFailed
from congdan.kit.i18n import _
from congdan.models import Report
from congdan.reports import conversation, lifecycle
from congdan.reports.context import Context
from congdan.reports.schemas import RatingIn, TransitionIn
from congdan.reports.states import Status

SCORES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class ReporterActions:
    can_rate: bool
    rating: int | None
    rating_comment: str | None
    can_reopen: bool
    reopen_until: datetime | None


def actions_for(report: Report, settings: Settings) -> ReporterActions:
    resolved = report.status in (Status.RESOLVED.value, Status.CLOSED.value)
    until = None
    if report.status == Status.RESOLVED.value:
        until = (report.resolved_at or report.updated_at) + timedelta(days=settings.reopen_days)
    return ReporterActions(
        can_rate=resolved and report.rating is None,
        rating=report.rating,
        rating_comment=report.rating_comment,
        can_reopen=until is not None and utcnow() <= until,
        reopen_until=until,
    )


async def rate(
    session: AsyncSession, principal: Principal, report_id: uuid.UUID, score: str, comment: str
) -> Report:
    if score not in {str(s) for s in SCORES}:
        raise ValidationFailed(_("Hãy chọn từ 1 đến 5 sao."), field="score")
    data = RatingIn(score=int(score), comment=comment.strip() or None)
    return await conversation.rate(session, principal, report_id, data)


async def reopen(
    session: AsyncSession, ctx: Context, principal: Principal, report_id: uuid.UUID, note: str
) -> Report:
    if not note.strip():
        raise ValidationFailed(_("Hãy cho biết điều gì vẫn chưa được khắc phục."), field="note")
    data = TransitionIn(to=Status.REOPENED, note=note.strip())
    return await lifecycle.transition(session, ctx, principal, report_id, data)
