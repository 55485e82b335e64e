"""The monthly unit report on the 1022 calendar.

A month runs from 12:00 on the 25th of the previous month to 12:00 on the 25th, Ho Chi Minh City
time: "2027-02" is 25/01 12:00 → 25/02 12:00. Per agency (the one a report is with now):

- received: reports sent in the period; handled: reports resolved in it;
- on time / late: reports whose deadline fell in the period (up to now, for the month under way),
  rejected and duplicate ones aside; on time when resolved by the deadline, late otherwise
  (resolved after it, or not resolved), each late one listed with its working days late;
- medians: hours from sending to the unit's first public reply (reports received in the period)
  and to resolution (reports handled in it); satisfaction: mean rating and count of ratings given
  in the period; reopen rate: reopenings in the period over reports handled in it.

Ranking: on-time rate, highest first (agencies with no deadline in the period after those with
one), then mean rating (none last), then fewer late reports, then more received, then the code.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.kit.dates import CITY_TZ
from congdan.kit.errors import ValidationFailed
from congdan.kit.i18n import _, translate
from congdan.performance import repository
from congdan.performance.repository import Counts
from congdan.performance.schemas import AgencyMonthOut, LateReportOut, MonthlyReportOut, PeriodOut
from congdan.reports.deadlines import working_days_late

LOCAL = CITY_TZ
CUTOFF_DAY = 25
CUTOFF = time(12, 0)
RANKING_RULE = _(
    "Xếp theo tỉ lệ đúng hạn (cao trước; đơn vị không có hạn trong kỳ xếp sau), rồi điểm hài lòng "
    "trung bình, rồi ít trễ hạn hơn, rồi nhiều phản ánh tiếp nhận hơn."
)
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Period:
    year: int
    month: int

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> datetime:
        year, month = (self.year - 1, 12) if self.month == 1 else (self.year, self.month - 1)
        return datetime(year, month, CUTOFF_DAY, CUTOFF.hour, tzinfo=LOCAL)

    @property
    def end(self) -> datetime:
        return datetime(self.year, self.month, CUTOFF_DAY, CUTOFF.hour, tzinfo=LOCAL)


def period_of(moment: datetime) -> Period:
    """The month a moment belongs to: from 12:00 on the 25th it is next month's."""
    local = moment.astimezone(LOCAL)
    if (local.day, local.time()) >= (CUTOFF_DAY, CUTOFF):
        return Period(local.year + 1, 1) if local.month == 12 else Period(local.year, local.month + 1)
    return Period(local.year, local.month)


def parse_month(value: str | None, now: datetime) -> Period:
    if value is None:
        return period_of(now)
    found = _MONTH.match(value)
    if found is None:
        raise ValidationFailed(_("Tháng cần có dạng YYYY-MM, ví dụ 2027-02."), field="month")
    return Period(int(found.group(1)), int(found.group(2)))


@dataclass(frozen=True)
class Figures:
    """One agency's month before it is shown to someone."""

    code: str
    name: str
    counts: Counts
    first_reply: float | None
    resolution: float | None
    late: list[LateReportOut]

    @property
    def on_time_rate(self) -> float | None:
        judged = self.counts.on_time + self.counts.late
        return self.counts.on_time / judged if judged else None

    @property
    def rating_mean(self) -> float | None:
        c = self.counts
        return round(c.rating_sum / c.rating_count, 2) if c.rating_count else None

    def rank_key(self) -> tuple[int, float, int, float, int, int, str]:
        rate, rating = self.on_time_rate, self.rating_mean
        return (
            rate is None,
            -(rate or 0.0),
            rating is None,
            -(rating or 0.0),
            self.counts.late,
            -self.counts.received,
            self.code,
        )


def _median(values: list[float] | None) -> float | None:
    return round(statistics.median(values), 1) if values else None


async def figures(session: AsyncSession, period: Period, now: datetime, locale: str) -> list[Figures]:
    """Every agency with something to count in the period, ranked best first."""
    start, end = period.start, period.end
    until = min(end, now)
    counts = await repository.counts(session, start, end, until)
    first = await repository.first_reply_hours(session, start, end)
    resolved = await repository.resolution_hours(session, start, end)
    late: dict[str, list[LateReportOut]] = {}
    for row in await repository.late_reports(session, start, until):
        stop = row.resolved_at or until
        late.setdefault(row.agency_code, []).append(
            LateReportOut(
                id=row.id,
                tracking_code=row.tracking_code,
                status=row.status,
                due_at=row.due_at,
                resolved_at=row.resolved_at,
                working_days_late=working_days_late(row.due_at, stop),
            )
        )
    codes = sorted(set(counts) | set(first) | set(resolved))
    names = await repository.agencies(session, codes)
    out = []
    for code in codes:
        agency = names.get(code)
        name = (agency.name_en if locale == "en" else agency.name) if agency else code
        out.append(
            Figures(
                code=code,
                name=name,
                counts=counts.get(code, Counts()),
                first_reply=_median(first.get(code)),
                resolution=_median(resolved.get(code)),
                late=late.get(code, []),
            )
        )
    return sorted(out, key=Figures.rank_key)


async def monthly(
    session: AsyncSession, principal: Principal, month: str | None, now: datetime, locale: str
) -> MonthlyReportOut:
    """The month as this caller may see it: the whole ranking for every staff member, the late
    list only where authz allows it (city-wide staff, and an agency's own staff for their agency)."""
    policy.require_performance_access(principal)
    period = parse_month(month, now)
    ranked = await figures(session, period, now, locale)
    return MonthlyReportOut(
        period=PeriodOut(month=period.label, start=period.start, end=period.end, complete=now >= period.end),
        ranking_rule=translate(RANKING_RULE, locale),
        agencies=[
            AgencyMonthOut(
                rank=rank,
                agency_code=f.code,
                agency_name=f.name,
                received=f.counts.received,
                handled=f.counts.handled,
                on_time=f.counts.on_time,
                late=f.counts.late,
                on_time_rate=round(f.on_time_rate, 4) if f.on_time_rate is not None else None,
                median_first_reply_hours=f.first_reply,
                median_resolution_hours=f.resolution,
                rating_mean=f.rating_mean,
                rating_count=f.counts.rating_count,
                reopened=f.counts.reopened,
                reopen_rate=round(f.counts.reopened / f.counts.handled, 4) if f.counts.handled else None,
                late_reports=f.late if policy.can_see_late_reports(principal, f.code) else None,
            )
            for rank, f in enumerate(ranked, start=1)
        ],
    )
