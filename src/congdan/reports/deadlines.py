"""Deadlines in working days: no weekends, no Vietnamese public holidays (the `holidays` package)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import holidays

from congdan.kit.dates import CITY_TZ
from congdan.kit.i18n import N_, _, translate
from congdan.models import Report

LOCAL = CITY_TZ


@cache
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment `days` working days after `start`, in UTC.

    A report sent on a day off starts counting from the beginning of the next working day;
    otherwise the deadline keeps the time of day it was sent.
    """
    local = start.astimezone(LOCAL)
    if not is_working_day(local.date()):
        day = local.date()
        while not is_working_day(day):
            day += timedelta(days=1)
        local = datetime.combine(day, time(0, 0), tzinfo=LOCAL)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return datetime.combine(day, local.timetz()).astimezone(ZoneInfo("UTC"))


def local_today(now: datetime | None = None) -> date:
    """Today's date in Ho Chi Minh City."""
    return (now or datetime.now(LOCAL)).astimezone(LOCAL).date()


def set_due(report: Report, due_at: datetime | None) -> None:
    """A new deadline: the sweeps start again for it (reminder, overdue, escalation) and an overdue
    unit's owed progress is forgiven, since the report is no longer late. The same deadline again
    changes nothing, so a report is never reminded twice of one deadline."""
    if report.due_at == due_at:
        return
    report.due_at = due_at
    report.due_soon_at = None
    report.overdue_at = None
    report.escalated_at = None
    report.progress_required_at = None


@lru_cache(maxsize=4096)
def working_days_between(start: date, end: date) -> int:
    """How many working days fall after `start` up to and including `end` (0 when end <= start).

    Kept per pair of dates: a page of fifty deadlines asks for a handful of distinct days, and the
    answer for two dates never changes."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def working_days_late(due: datetime, now: datetime) -> int:
    """How many working days have begun since a deadline passed (the day it passed counts 0)."""
    return working_days_between(due.astimezone(LOCAL).date(), now.astimezone(LOCAL).date())


def time_left(due: datetime | None, now: datetime, locale: str) -> str:
    """A deadline as staff read it, counted in working days in Ho Chi Minh City time:

    - later than today: "còn N ngày", N the working days from today to the deadline's day (at least 1);
    - today, an hour or more ahead: "còn N giờ" (whole hours left); under an hour: "hạn hôm nay";
    - passed: "quá hạn N ngày", N the working days begun since the deadline's day; on the day it
      passed, "quá hạn N giờ" (at least 1). A day off after the deadline counts 1 day, not 0.
    """
    if due is None:
        return translate(_("chưa có hạn"), locale)
    today = now.astimezone(LOCAL).date()
    due_day = due.astimezone(LOCAL).date()
    if now < due:
        if due_day > today:
            days = max(working_days_between(today, due_day), 1)
            return translate(N_("còn %(n)s ngày", "còn %(n)s ngày"), locale, n=days)
        hours = int((due - now).total_seconds() // 3600)
        if hours == 0:
            return translate(_("hạn hôm nay"), locale)
        return translate(N_("còn %(n)s giờ", "còn %(n)s giờ"), locale, n=hours)
    if due_day == today:
        hours = max(int((now - due).total_seconds() // 3600), 1)
        return translate(N_("quá hạn %(n)s giờ", "quá hạn %(n)s giờ"), locale, n=hours)
    days = max(working_days_between(due_day, today), 1)
    return translate(N_("quá hạn %(n)s ngày", "quá hạn %(n)s ngày"), locale, n=days)
