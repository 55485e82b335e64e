"""Deadlines as staff read them: working days, Ho Chi Minh City time, both languages, on a clock
the test sets (Tết 2027 keeps offices shut from Thursday 4 to Wednesday 10 February)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from congdan.reports.deadlines import add_working_days, time_left, working_days_between
from congdan.templating import templates

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: int, hour: int, minute: int = 0, month: int = 2, year: int = 2027) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HCM)


@pytest.mark.parametrize(
    ("due", "now", "vi", "en"),
    [
        # Before Tết, due after it: nine calendar days, two working days (11 and 12 February).
        (at(12, 10), at(3, 10), "còn 2 ngày", "2 days left"),
        (at(11, 9), at(3, 16), "còn 1 ngày", "1 day left"),
        # The same day: hours, then "today" in the last hour.
        (at(12, 15), at(12, 10), "còn 5 giờ", "5 hours left"),
        (at(12, 11, 30), at(12, 10), "còn 1 giờ", "1 hour left"),
        (at(12, 10, 30), at(12, 10), "hạn hôm nay", "due today"),
        # Passed the same day: hours; later: working days begun since, Tết not counted.
        (at(12, 9), at(12, 12), "quá hạn 3 giờ", "overdue by 3 hours"),
        (at(3, 10), at(10, 11), "quá hạn 1 ngày", "overdue by 1 day"),
        (at(3, 10), at(12, 11), "quá hạn 2 ngày", "overdue by 2 days"),
        # 30/4 (Friday) and 1/5 (Saturday, observed Monday 3/5) in 2027.
        (at(29, 10, month=4), at(4, 9, month=5), "quá hạn 1 ngày", "overdue by 1 day"),
        # Five calendar days, one working day: 30/4, 1/5, Sunday and the observed Monday are off.
        (at(4, 10, month=5), at(29, 9, month=4), "còn 1 ngày", "1 day left"),
        # 2/9 and 3/9 2027 (Thursday, Friday): from Wednesday to Monday is one working day.
        (at(6, 8, month=9), at(1, 17, month=9), "còn 1 ngày", "1 day left"),
    ],
)
def test_time_left_counts_working_days_in_city_time(due: datetime, now: datetime, vi: str, en: str) -> None:
    assert time_left(due, now, "vi") == vi
    assert time_left(due, now, "en") == en


def test_the_day_is_the_city_s_day_not_utc_s() -> None:
    # 23:30 in the city is 16:30 UTC the same day; one hour later it is tomorrow in the city only.
    now = at(11, 23, 30)
    assert time_left(at(12, 0, 30), now, "en") == "1 day left"
    assert time_left(at(11, 23, 59), now, "en") == "due today"


def test_no_deadline() -> None:
    assert time_left(None, at(1, 9), "vi") == "chưa có hạn"
    assert time_left(None, at(1, 9), "en") == "no deadline"


def test_working_days_and_deadlines_skip_tet() -> None:
    assert working_days_between(at(3, 0).date(), at(12, 0).date()) == 2
    assert add_working_days(at(3, 10), 2) == at(12, 10)


def test_templates_write_the_filter_in_the_page_language() -> None:
    page = templates.env.from_string("<p>{{ due|time_left }}</p>")
    assert page.render(due=at(12, 10), now=at(3, 10), locale="vi") == "<p>còn 2 ngày</p>"
    assert page.render(due=at(3, 10), now=at(12, 11), locale="en") == "<p>overdue by 2 days</p>"
    # Without a clock in the context it reads the real one, and still answers in the page's language.
    assert page.render(due=None, locale="en") == "<p>no deadline</p>"
