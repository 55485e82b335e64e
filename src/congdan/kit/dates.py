"""Dates as the city reads them: Ho Chi Minh City time, and a deadline as a day of the week and a
date ("thứ Sáu, 11/12/2026"), never a number of hours."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

CITY_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def day_and_date(value: datetime, locale: str) -> str:
    """ "thứ Sáu, 11/12/2026" in Vietnamese, "Friday 11/12/2026" in English, in the city's time."""
    day = value.astimezone(CITY_TZ).date()
    if locale == "en":
        return format_date(day, "EEEE dd/MM/yyyy", locale="en")
    text = format_date(day, "EEEE, dd/MM/yyyy", locale="vi")
    # Inside a sentence Vietnamese writes "thứ Sáu" and "Chủ nhật"; CLDR capitalises "Thứ" and "Nhật".
    if text.startswith("Thứ"):
        return "t" + text[1:]
    return text.replace("Chủ Nhật", "Chủ nhật")
