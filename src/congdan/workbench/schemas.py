"""What the workbench API takes and gives."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from congdan.reports.states import Status
from congdan.shared.schemas import AreaRef, CodeName

Due = Literal["soon", "overdue"]


class QueueFilters(BaseModel):
    """The queue's filters; an empty status list means every open status."""

    agency: str | None = None
    status: list[Status] = Field(default_factory=list)
    category: str | None = None
    area: str | None = None
    assignee: uuid.UUID | None = None
    unassigned: bool = False
    due: Due | None = None
    reopened: bool = False


class PersonRef(BaseModel):
    id: uuid.UUID
    name: str | None


class QueueItem(BaseModel):
    id: uuid.UUID
    tracking_code: str
    kind: str
    status: Status
    category: CodeName | None
    area: AreaRef | None
    agency: CodeName | None
    assignee: PersonRef | None
    description: str = Field(description="Nội dung (cắt ngắn)")
    due_at: datetime | None
    overdue: bool
    reopened: bool = Field(description="Người dân đã mở lại phản ánh")
    created_at: datetime


class QueueCounts(BaseModel):
    total: int = Field(description="Số phản ánh khớp mọi bộ lọc đang chọn")
    by_status: dict[str, int] = Field(
        description="Theo trạng thái (các trạng thái còn mở và các trạng thái đang chọn), với các bộ lọc khác"
    )
    overdue: int
    due_soon: int = Field(description="Đến hạn trong 24 giờ tới")
    reopened: int


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None
    counts: QueueCounts


class PlacePoint(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float] = Field(description="[kinh độ, vĩ độ] / [long, lat]")


class PlaceProperties(BaseModel):
    id: uuid.UUID
    code: str = Field(description="Mã phản ánh / tracking code")
    status: Status
    status_label: str = Field(description="Trạng thái / the status, in the caller's language")
    category: str | None
    due_at: datetime | None
    overdue: bool
    url: str = Field(description="Trang của phản ánh trên bàn làm việc / the report's workbench page")


class PlaceFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    geometry: PlacePoint
    properties: PlaceProperties


class QueueMap(BaseModel):
    """GeoJSON of the filtered queue's reports that have a place."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[PlaceFeature]
    truncated: bool = Field(description="Còn phản ánh khác khớp bộ lọc / more match the filters")


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)


class BulkAssignIn(BulkIn):
    officer: uuid.UUID = Field(description="Cán bộ của cùng cơ quan")


class BulkDone(BaseModel):
    id: uuid.UUID
    status: Status
    assignee: uuid.UUID | None


class BulkOut(BaseModel):
    items: list[BulkDone]


class OfficerOut(BaseModel):
    id: uuid.UUID
    name: str | None
    role: str


class OfficerList(BaseModel):
    items: list[OfficerOut]


class CategoryGuessOut(BaseModel):
    code: str
    name: str
    confidence: float


class TriageItem(BaseModel):
    id: uuid.UUID
    tracking_code: str
    status: Status
    description: str
    category: CodeName | None
    agency: CodeName | None = Field(description="Cơ quan trước đó (phản ánh đang chuyển cơ quan)")
    guesses: list[CategoryGuessOut] = Field(description="Ba lĩnh vực bộ phân loại cho là khớp nhất")
    area: AreaRef | None = Field(description="Đơn vị hành chính ước tính")
    area_runner_up: CodeName | None = Field(
        default=None,
        description="Đơn vị kế bên có thể đúng hơn, khi điểm nằm gần ranh giới ước tính của hai đơn vị",
    )
    due_at: datetime | None
    created_at: datetime


class TriagePage(BaseModel):
    items: list[TriageItem]
    next_cursor: str | None


class RouteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(
        default=None, max_length=64, description="Lĩnh vực đúng (dạy lại bộ phân loại)"
    )
    agency: str | None = Field(
        default=None, max_length=64, description="Cơ quan nhận; để trống để định tuyến theo lĩnh vực"
    )
    note: str | None = Field(default=None, max_length=1000)


class BoardRow(BaseModel):
    agency: CodeName
    overdue: int
    due_today: int


class Board(BaseModel):
    items: list[BoardRow]


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency: str | None = Field(default=None, max_length=64, description="Để trống: mẫu chung cho mọi cơ quan")
    category: str | None = Field(default=None, max_length=64, description="Để trống: mọi lĩnh vực")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(
        min_length=1,
        max_length=4000,
        description="Chỗ trống được phép: {ma_phan_anh}, {han_xu_ly}, {co_quan}",
    )
    is_active: bool = True


class TemplatePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(default=None, max_length=64)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = Field(default=None, min_length=1, max_length=4000)
    is_active: bool | None = None


class TemplateOut(BaseModel):
    id: uuid.UUID
    agency: str | None
    category: str | None
    title: str
    body: str
    is_active: bool
    updated_at: datetime


class TemplateList(BaseModel):
    items: list[TemplateOut]


class TemplateReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: uuid.UUID
    kind: Literal["answer", "info_request", "progress"] = "answer"


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    text_vi: str = Field(min_length=1, max_length=500)
    text_en: str = Field(min_length=1, max_length=500)
    sort_order: int = Field(default=0, ge=0, le=10_000)
    is_active: bool = True


class ReasonPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text_vi: str | None = Field(default=None, min_length=1, max_length=500)
    text_en: str | None = Field(default=None, min_length=1, max_length=500)
    sort_order: int | None = Field(default=None, ge=0, le=10_000)
    is_active: bool | None = None


class ReasonOut(BaseModel):
    code: str
    text: str = Field(description="Theo ngôn ngữ của người gọi")
    text_vi: str
    text_en: str
    sort_order: int
    is_active: bool


class ReasonList(BaseModel):
    items: list[ReasonOut]
