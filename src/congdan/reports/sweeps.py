"""The deadline sweeps of the 1022 rules, run by every worker in its housekeeping round
(reports/tasks.py registers them; docs/deadlines.md says what each step does and why).

- 24 plain hours before the deadline the unit is reminded (DUE_SOON). Plain hours, not working
  hours: a deadline on Monday morning is worth a reminder on Friday, when someone is at work.
- At the deadline the report is marked overdue, with a history row, the agency's managers are
  told (OVERDUE), and the unit then owes a progress reply with a photo and a committed finish date.
- CONGDAN_ESCALATE_AFTER_DAYS working days after the deadline it goes up to the coordinators
  (ESCALATED).

Each step claims its reports with one UPDATE that sets the step's mark only where it is still
empty (reports/repository.py), so a second sweep, or a second worker sweeping at the same moment,
finds nothing left: one reminder per report and step. `now` is an argument so tests choose it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz.policy import MACHINE
from congdan.config import Settings
from congdan.models import Report
from congdan.outbox.service import emit
from congdan.reports import events, repository
from congdan.reports import service as shared
from congdan.reports.deadlines import add_working_days
from congdan.reports.states import OPEN

REMIND_BEFORE = timedelta(hours=24)
_OPEN = sorted(s.value for s in OPEN)


@dataclass(frozen=True)
class Swept:
    reminded: int
    overdue: int
    escalated: int

    @property
    def total(self) -> int:
        return self.reminded + self.overdue + self.escalated


async def sweep(session: AsyncSession, settings: Settings, now: datetime) -> Swept:
    """One pass of the three steps, in the caller's transaction."""
    reminded = await repository.claim_due_soon(session, _OPEN, now, now + REMIND_BEFORE)
    for report_id in reminded:
        _emit(session, events.DUE_SOON, report_id, {})
    overdue = await repository.reports_by_id(session, await repository.claim_overdue(session, _OPEN, now))
    await _record_each(session, overdue, "overdue", events.OVERDUE, now)
    late = await repository.escalation_candidates(session, _OPEN)
    ready = [rid for rid, due in late if now >= add_working_days(due, settings.escalate_after_days)]
    claimed = await repository.claim_escalation(session, ready, now)
    escalated = await repository.reports_by_id(session, claimed)
    await _record_each(session, escalated, "escalated", events.ESCALATED, now)
    return Swept(len(reminded), len(overdue), len(escalated))


async def _record_each(
    session: AsyncSession, rows: Sequence[Report], type_: str, event: str, now: datetime
) -> None:
    """A history row (internal: staff read it on the workbench) and the outbox event, per report."""
    history = [
        shared.record(
            session,
            report,
            MACHINE,
            type_=type_,
            from_status=None,
            to_status=None,
            public=False,
            agency_code=report.agency_code,
            at=now,
        )
        for report in rows
    ]
    await session.flush()
    for report, row in zip(rows, history, strict=True):
        # `at`: the sweep's moment, from which the message says how late the report is.
        at = now.isoformat()
        _emit(session, event, report.id, {"event_id": str(row.id), "agency": report.agency_code, "at": at})


def _emit(session: AsyncSession, event: str, report_id: uuid.UUID, extra: dict[str, object]) -> None:
    emit(
        session,
        event,
        aggregate_type="report",
        aggregate_id=str(report_id),
        payload={"report_id": str(report_id), **extra},
    )
