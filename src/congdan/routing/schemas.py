"""What the routing API takes and gives."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from congdan.kit.i18n import _
from congdan.reports.schemas import AreaRef, CodeName
from congdan.reports.states import Status

AreaType = Literal["phuong", "xa", "dac_khu"]


class SuggestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=4000, description="Nội dung đang gõ")
    # Strict: a boolean is not a coordinate (lax mode would read false as 0.0).
    lat: float | None = Field(default=None, ge=-90, le=90, strict=True)
    long: float | None = Field(default=None, ge=-180, le=180, strict=True)

    @model_validator(mode="after")
    def _point_is_whole(self) -> Self:
        if (self.lat is None) != (self.long is None):
            raise ValueError(_("Cần gửi cả lat và long, hoặc bỏ trống cả hai."))
        return self


class CategoryGuess(BaseModel):
    code: str
    name: str
    confidence: float = Field(ge=0, le=1)


class DuplicateOut(BaseModel):
    """A report that may be the same problem. Public fields only."""

    id: uuid.UUID
    tracking_code: str
    category: CodeName | None
    status: Status
    description: str
    created_at: datetime
    distance_m: float
    similarity: float = Field(ge=0, le=1, description="Độ giống nhau của nội dung")
    score: float = Field(ge=0, le=1)


class SuggestOut(BaseModel):
    categories: list[CategoryGuess]
    area: AreaRef | None
    agency: CodeName | None = Field(description="Cơ quan sẽ nhận nếu gửi ngay")
    triage: bool = Field(description="Sẽ chờ điều phối viên phân loại thay vì giao ngay")
    duplicates: list[DuplicateOut]
    classifier_version: int | None


class DuplicateList(BaseModel):
    items: list[DuplicateOut]


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(default=None, max_length=64, description="Trống: mọi lĩnh vực")
    area: str | None = Field(default=None, max_length=16, description="Trống: mọi đơn vị")
    area_type: AreaType | None = Field(default=None, description="phuong | xa | dac_khu; trống: mọi loại")
    agency: str | None = Field(default=None, max_length=64)
    to_unit_committee: bool = Field(default=False, description="Giao UBND của đơn vị nơi có phản ánh")
    priority: int = Field(default=0, ge=-1000, le=1000)
    is_active: bool = True
    note: str | None = Field(default=None, max_length=500)


class RulePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(default=None, max_length=64)
    area: str | None = Field(default=None, max_length=16)
    area_type: AreaType | None = None
    agency: str | None = Field(default=None, max_length=64)
    to_unit_committee: bool | None = None
    priority: int | None = Field(default=None, ge=-1000, le=1000)
    is_active: bool | None = None
    note: str | None = Field(default=None, max_length=500)


class RuleOut(BaseModel):
    id: uuid.UUID
    category: str | None
    area: str | None
    area_type: str | None
    agency: str | None
    to_unit_committee: bool
    priority: int
    is_active: bool
    note: str | None
    created_at: datetime
    updated_at: datetime


class ClassifierOut(BaseModel):
    version: int
    created_at: datetime
    n_examples: int
    n_corrections: int
    heldout_top1: float
    heldout_top3: float
    min_confidence: float = Field(description="Ngưỡng dưới đó phản ánh chờ điều phối viên")
