from __future__ import annotations

import re
import uuid
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from congdan.kit.i18n import _

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class NotificationOut(BaseModel):
    id: uuid.UUID
    title: str
    body: str
    report_id: uuid.UUID | None
    url: str | None = Field(description="Trang mà thông báo nói đến / the page the message is about")
    created_at: datetime
    read_at: datetime | None


class Inbox(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None
    unread: int = Field(description="Số thông báo chưa đọc / unread count")


class MarkRead(BaseModel):
    ids: list[uuid.UUID] | None = Field(
        default=None, description="Những thông báo cần đánh dấu; bỏ trống là tất cả / omit for all"
    )


class Marked(BaseModel):
    marked: int


class QuietHours(BaseModel):
    start: str = Field(examples=["22:00"], description="Giờ Việt Nam / local time, HH:MM")
    end: str = Field(examples=["06:30"])

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError(_("Cần giờ theo dạng GIỜ:PHÚT, ví dụ 22:00."))
        return value


class Preferences(BaseModel):
    email_enabled: bool = True
    sms_enabled: bool = False
    push_enabled: bool = True
    quiet_hours: QuietHours | None = None


def minutes(value: str) -> int:
    hours, mins = value.split(":")
    return int(hours) * 60 + int(mins)


def hhmm(value: int) -> str:
    return f"{value // 60:02d}:{value % 60:02d}"


class PushKeys(BaseModel):
    p256dh: str = Field(min_length=20, max_length=200)
    auth: str = Field(min_length=8, max_length=100)


class PushSubscriptionIn(BaseModel):
    """What the browser's PushManager.subscribe() returns, as JSON."""

    endpoint: str = Field(min_length=10, max_length=1000, pattern=r"^https?://")
    keys: PushKeys
    user_agent: str | None = Field(default=None, max_length=300)


class PushSubscriptionOut(BaseModel):
    id: uuid.UUID
    endpoint: str
    created_at: datetime


class VapidKey(BaseModel):
    public_key: str | None = Field(description="applicationServerKey; null when push is not set up")
