from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class PeriodOut(BaseModel):
    month: str = Field(description="Tháng báo cáo, YYYY-MM / the report's month")
    start: datetime = Field(description="12:00 ngày 25 tháng trước, giờ Việt Nam")
    end: datetime = Field(description="12:00 ngày 25 tháng này, giờ Việt Nam")
    complete: bool = Field(description="Kỳ đã kết thúc / the period is over")


class LateReportOut(BaseModel):
    id: uuid.UUID
    tracking_code: str
    status: str
    due_at: datetime
    resolved_at: datetime | None
    working_days_late: int = Field(description="Số ngày làm việc trễ (đến khi giải quyết hoặc cuối kỳ)")


class AgencyMonthOut(BaseModel):
    rank: int
    agency_code: str
    agency_name: str
    received: int = Field(description="Phản ánh tiếp nhận trong kỳ")
    handled: int = Field(description="Phản ánh giải quyết trong kỳ")
    on_time: int = Field(description="Đến hạn trong kỳ và giải quyết đúng hạn")
    late: int = Field(description="Đến hạn trong kỳ và giải quyết trễ hoặc chưa giải quyết")
    on_time_rate: float | None = Field(description="on_time / (on_time + late); null khi không có")
    median_first_reply_hours: float | None
    median_resolution_hours: float | None
    rating_mean: float | None
    rating_count: int
    reopened: int
    reopen_rate: float | None = Field(description="reopened / handled")
    late_reports: list[LateReportOut] | None = Field(
        description="Danh sách trễ hạn: điều phối viên, quản trị và chính đơn vị; null với đơn vị khác"
    )


class MonthlyReportOut(BaseModel):
    period: PeriodOut
    ranking_rule: str
    agencies: list[AgencyMonthOut]
