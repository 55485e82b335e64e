"""What the routing API takes and gives."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from congdan.kit.errors import ValidationFailed
from congdan.kit.i18n import _
from congdan.shared.schemas import AreaRef, CodeName, Location
from congdan.shared.statuses import Status

AreaType = Literal["phuong", "xa", "dac_khu"]


class SuggestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=4000, description="Nội dung đang gõ")
    location: Location | None = Field(default=None, description="Như khi gửi phản ánh")
    address: str | None = Field(default=None, max_length=500, description="Như khi gửi phản ánh")
    # The flat form came first; kept so that older clients go on working.
    # Strict: a boolean is not a coordinate (lax mode would read false as 0.0).
    lat: float | None = Field(
        default=None,
        ge=-90,
        le=90,
        strict=True,
        description="Cũ: dùng location.lat",
        json_schema_extra={"deprecated": True},
    )
    long: float | None = Field(
        default=None,
        ge=-180,
        le=180,
        strict=True,
        description="Cũ: dùng location.long",
        json_schema_extra={"deprecated": True},
    )

    def point(self) -> tuple[float, float] | None:
        """The point, from location or from the flat pair; both at once is refused."""
        if self.lat is None and self.long is None:
            return (self.location.lat, self.location.long) if self.location else None
        if self.location is not None:
            raise ValidationFailed(
                _("Gửi vị trí trong location hoặc lat/long, không gửi cả hai."), field="location"
            )
        if self.lat is None or self.long is None:
            missing = "lat" if self.lat is None else "long"
            raise ValidationFailed(_("lat và long phải đi cùng nhau."), field=missing)
        return self.lat, self.long


class CategoryGuess(BaseModel):
    code: str
    name: str
    confidence: float = Field(ge=0, le=1)


class AlsoOut(BaseModel):
    """A second problem the message names, which could be reported on its own."""

    code: str
    name: str
    confidence: float = Field(ge=0, le=1)
    text: str = Field(description="Phần tin nhắn nói về việc này / the part of the message about it")


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
    triage_reason: Literal["low_confidence", "unlike_any", "no_agency"] | None = Field(
        default=None,
        description="Vì sao chờ điều phối viên: chưa đủ chắc chắn; không giống lĩnh vực nào; "
        "không có cơ quan nhận / why a person decides",
    )
    duplicates: list[DuplicateOut]
    also: AlsoOut | None = Field(
        default=None, description="Việc thứ hai trong tin nhắn: gửi riêng? / also report this?"
    )
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
    min_similarity: float | None = Field(
        description="Độ giống mẫu gần nhất dưới đó nội dung được coi là không thuộc lĩnh vực nào "
        "/ similarity under which text is taken for none of the categories"
    )
