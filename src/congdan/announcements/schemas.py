from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AnnouncementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["news", "notice"] = "news"
    title: str = Field(min_length=3, max_length=300)
    body: str = Field(min_length=1, max_length=20000)
    scope: Literal["city", "units", "topic"] = "city"
    units: list[str] = Field(default_factory=list, max_length=168, description="Mã đơn vị hành chính")
    topic: str | None = Field(default=None, max_length=32)
    agency: str | None = Field(default=None, max_length=64, description="Cơ quan đăng (mặc định: của bạn)")
    publish_at: datetime | None = Field(default=None, description="Hẹn giờ đăng; bỏ trống là đăng ngay")
    expires_at: datetime | None = None


class AlertIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alert_type: str = Field(max_length=32, examples=["flood_tide"])
    title: str = Field(min_length=3, max_length=300)
    body: str = Field(min_length=1, max_length=1000, description="Ngắn gọn: gửi qua SMS")
    units: list[str] = Field(default_factory=list, max_length=168, description="Bỏ trống: toàn thành phố")
    agency: str | None = Field(default=None, max_length=64)
    expires_at: datetime | None = None


class AttachmentOut(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    url: str


class AnnouncementOut(BaseModel):
    id: uuid.UUID
    kind: str
    alert_type: str | None
    title: str
    body: str
    scope: str
    units: list[str]
    topic: str | None
    topic_name: str | None
    agency: str | None
    publish_at: datetime
    expires_at: datetime | None
    withdrawn: bool
    attachments: list[AttachmentOut]


class AnnouncementList(BaseModel):
    items: list[AnnouncementOut]
    next_cursor: str | None


class Progress(BaseModel):
    announcement_id: uuid.UUID
    fanned_out: bool = Field(description="Đã xếp hàng xong cho mọi người nhận / fan-out finished")
    queued: int = Field(description="Số tin đã xếp hàng / deliveries queued")
    by_status: dict[str, int] = Field(description="sent, delivered, failed, dead, rejected, unknown, sending")
    pending: int = Field(description="Chưa gửi / not handed to a provider yet")


class Subscriptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    units: list[str] = Field(default_factory=list, max_length=20)
    topics: list[str] = Field(default_factory=list, max_length=20)


class Topic(BaseModel):
    code: str
    name: str
