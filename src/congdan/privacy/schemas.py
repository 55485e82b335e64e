"""What the personal-data API takes and gives."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from congdan.consents.schemas import ConsentOut
from congdan.reports.schemas import EventOut, ReportOut


class PurposeOut(BaseModel):
    code: str
    description: str


class NoticeOut(BaseModel):
    version: str
    language: str
    purposes: list[PurposeOut]
    text: str = Field(description="Markdown")


class AccountExport(BaseModel):
    id: uuid.UUID
    role: str
    email: str | None
    phone: str | None
    display_name: str | None
    agency: str | None
    locale: str
    created_at: datetime


class ExportEvent(EventOut):
    report_id: uuid.UUID


class NotificationExport(BaseModel):
    id: uuid.UUID
    report_id: uuid.UUID | None
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None


class PhotoExport(BaseModel):
    id: uuid.UUID
    report_id: uuid.UUID | None
    url: str
    thumbnail_url: str
    content_type: str
    created_at: datetime


class DataExport(BaseModel):
    """Everything the service keeps about the caller (Law 91/2025/QH15, right of access)."""

    exported_at: datetime
    notice_version: str
    account: AccountExport
    consents: list[ConsentOut]
    reports: list[ReportOut]
    events: list[ExportEvent]
    notifications: list[NotificationExport]
    photos: list[PhotoExport]
