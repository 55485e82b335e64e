"""What the reports API takes and gives."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from congdan.shared.schemas import AreaRef, CodeName, Location
from congdan.shared.statuses import Status

# The photos one submission, reply or step may carry.
MAX_PHOTOS = 5


class Contact(BaseModel):
    """How to reach an anonymous reporter. Never shown to the public."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["report", "suggestion", "idea"] = Field(
        default="report", description="report: phản ánh; suggestion: góp ý, kiến nghị; idea: hiến kế"
    )
    category: str | None = Field(
        default=None, max_length=64, description="Mã lĩnh vực; để trống để hệ thống tự xác định"
    )
    description: str = Field(min_length=1, max_length=4000)
    location: Location | None = None
    address: str | None = Field(default=None, max_length=500)
    photos: list[uuid.UUID] = Field(
        default_factory=list, max_length=MAX_PHOTOS, description="Mã ảnh đã tải lên qua /uploads"
    )
    visibility: Literal["public", "private"] = "public"
    hide_identity: bool = False
    contact: Contact | None = None


class PhotoOut(BaseModel):
    id: uuid.UUID
    url: str
    thumbnail_url: str
    width: int
    height: int


class ContactOut(BaseModel):
    name: str | None
    phone: str | None
    email: str | None


class RoutingOut(BaseModel):
    """How the report was routed. Staff only."""

    category_source: Literal["resident", "classifier", "staff"] | None = Field(
        description="Ai chọn lĩnh vực: người dân, bộ phân loại hay cán bộ"
    )
    category_confidence: float | None = Field(description="Độ tin cậy của bộ phân loại (0–1)")
    classifier_version: int | None = Field(description="Phiên bản bộ phân loại đã định tuyến phản ánh")


class ReportOut(BaseModel):
    id: uuid.UUID
    tracking_code: str
    kind: str
    status: Status
    category: CodeName | None
    description: str
    location: Location | None
    address: str | None
    area: AreaRef | None
    agency: CodeName | None
    visibility: Literal["public", "private"]
    hide_identity: bool
    due_at: datetime | None
    overdue_at: datetime | None = Field(default=None, description="Khi phản ánh bị đánh dấu quá hạn")
    progress_required: bool = Field(
        default=False, description="Đơn vị đang nợ cập nhật tiến độ kèm ảnh và ngày hoàn thành cam kết"
    )
    committed_finish_on: date | None = Field(default=None, description="Ngày hoàn thành đơn vị cam kết")
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    duplicate_of: uuid.UUID | None
    rating: int | None
    rating_comment: str | None
    photos: list[PhotoOut]
    is_mine: bool = Field(description="Người gọi là người gửi phản ánh này")
    contact: ContactOut | None = Field(default=None, description="Chỉ người gửi và cán bộ có thẩm quyền thấy")
    routing: RoutingOut | None = Field(default=None, description="Chỉ điều phối viên và cơ quan xử lý thấy")


class ReportPage(BaseModel):
    items: list[ReportOut]
    next_cursor: str | None


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Status
    note: str | None = Field(default=None, max_length=4000)
    reason: str | None = Field(
        default=None,
        max_length=64,
        description="Mã lý do không tiếp nhận (bắt buộc khi chuyển sang rejected)",
    )
    public: bool = Field(default=True, description="Người dân xem được ghi chú này")
    agency: str | None = Field(
        default=None, max_length=64, description="Cơ quan nhận (khi chuyển sang assigned)"
    )
    duplicate_of: uuid.UUID | None = Field(
        default=None, description="Phản ánh gốc (khi chuyển sang duplicate)"
    )
    photos: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_PHOTOS)


class CategoryChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(min_length=1, max_length=64, description="Mã lĩnh vực đúng")
    note: str | None = Field(default=None, max_length=1000, description="Ghi chú nội bộ")
    reroute: bool = Field(
        default=True, description="Phản ánh đang chờ phân loại được giao ngay theo lĩnh vực mới"
    )


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["answer", "info_request", "progress"] = Field(
        default="answer",
        description=(
            "answer: trả lời; info_request: đề nghị người dân bổ sung thông tin; progress: cập nhật tiến độ"
        ),
    )
    message: str = Field(min_length=1, max_length=4000)
    photos: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_PHOTOS)
    committed_finish_on: date | None = Field(
        default=None,
        description=(
            "Ngày đơn vị cam kết hoàn thành (chỉ với progress); bắt buộc, cùng ít nhất một ảnh, "
            "khi phản ánh đã quá hạn"
        ),
    )


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=4000)


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class EventOut(BaseModel):
    id: uuid.UUID
    type: str
    from_status: str | None
    to_status: str | None
    note: str | None
    reason: CodeName | None = Field(default=None, description="Lý do không tiếp nhận")
    public: bool
    actor_role: str
    agency: CodeName | None
    photos: list[PhotoOut]
    created_at: datetime


class EventList(BaseModel):
    items: list[EventOut]


class ReportByCodeOut(BaseModel):
    """A private report found by its tracking code alone: the code is read out on the phone, so
    it opens no more than the tracking page shows. The rest needs the reporter's sign-in or proof."""

    tracking_code: str
    visibility: Literal["private"] = "private"
    status: Status
    agency: CodeName | None
    due_at: datetime | None
    replies: list[EventOut] = Field(description="Trả lời công khai của cơ quan xử lý, không kèm ảnh")


class MediaOut(PhotoOut):
    content_type: str


class UploadOut(MediaOut):
    exif_location: Location | None = Field(
        default=None,
        description=(
            "Vị trí GPS ghi trong EXIF của ảnh, nếu có, để ứng dụng đề nghị «dùng vị trí của ảnh». "
            "Chỉ trả cho người tải ảnh lên trong câu trả lời này; không lưu lại, ảnh lưu đã bỏ EXIF, "
            "nên câu trả lời gửi lại cho cùng Idempotency-Key không có trường này. "
            "/ The GPS position in the photo's EXIF, if any, so that a client can offer to use it. "
            "Only in this answer to the uploader; never stored (the stored photo has no EXIF), so the "
            "answer replayed for the same Idempotency-Key goes without this field."
        ),
    )


class ReportFilters(BaseModel):
    status: list[Status] = Field(default_factory=list)
    category: str | None = None
    area: str | None = None
    agency: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    created_from: AwareDatetime | None = None
    created_to: AwareDatetime | None = None
    q: str | None = None
    mine: bool = False


class ClaimOut(BaseModel):
    claimed: int = Field(description="Số phản ánh vừa nhận về tài khoản / reports now in the account")


class MapPoint(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float] = Field(description="[kinh độ, vĩ độ] / [long, lat]")


class MapProperties(BaseModel):
    code: str = Field(description="Mã phản ánh / tracking code")
    status: Status
    status_label: str = Field(description="Trạng thái theo lời người dân / the status in residents' words")
    category: str | None
    url: str = Field(description="Trang của phản ánh / the report's page")


class MapFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    geometry: MapPoint
    properties: MapProperties


class MapFeatureCollection(BaseModel):
    """GeoJSON of public reports only; never who sent them."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[MapFeature]
    truncated: bool = Field(
        description="Còn phản ánh khác trong vùng: phóng to để xem / more in the box: zoom in"
    )
