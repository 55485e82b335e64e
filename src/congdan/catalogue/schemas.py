from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

OnlineMode = Literal["full", "partial", "in_person"]
Level = Literal["ward", "city"]


class DocumentOut(BaseModel):
    name: str
    copies: int = Field(ge=1, le=20)
    note: str = ""
    template_url: str | None = Field(None, description="Mẫu tờ khai trống để tải về")


class ProcedureSummary(BaseModel):
    code: str
    name: str
    field: str
    field_name: str
    level: Level
    online_mode: OnlineMode
    processing_days: int
    fee_text: str
    life_events: list[str]


class VersionEntry(BaseModel):
    number: int
    effective_from: date
    created_at: datetime
    current: bool


class VersionList(BaseModel):
    code: str
    items: list[VersionEntry]


class ProcedureOut(ProcedureSummary):
    version_id: uuid.UUID
    version: int
    current_version: int
    effective_from: date
    agency_code: str | None
    handled_by: str
    fee_vnd: int | None = Field(description="Số tiền (đồng); null khi miễn phí hoặc tùy trường hợp")
    steps: list[str]
    documents: list[DocumentOut]
    legal_basis: list[str]
    keywords: list[str]


class DocumentIn(BaseModel):
    name: str = Field(min_length=2, max_length=300)
    copies: int = Field(1, ge=1, le=20)
    note: str = Field("", max_length=500)
    template: str | None = Field(None, max_length=100)


class ProcedureDraft(BaseModel):
    """What an administrator writes; saving it makes the next version."""

    name: str = Field(min_length=3, max_length=300)
    field: str = Field(max_length=32)
    level: Level
    agency_code: str | None = Field(None, max_length=64)
    handled_by: str = Field(min_length=3, max_length=300)
    online_mode: OnlineMode
    processing_days: int = Field(ge=0, le=365)
    fee_text: str = Field(min_length=1, max_length=500)
    fee_vnd: int | None = Field(None, ge=0, le=1_000_000_000)
    effective_from: date
    steps: list[str] = Field(min_length=1, max_length=30)
    documents: list[DocumentIn] = Field(max_length=30)
    legal_basis: list[str] = Field(min_length=1, max_length=20)
    life_events: list[str] = Field(default_factory=list, max_length=10)
    keywords: list[str] = Field(default_factory=list, max_length=40)
