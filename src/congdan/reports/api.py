"""JSON API for reports: a thin layer over the services."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BeforeValidator

from congdan.authz import policy
from congdan.authz.policy import can_see_internal
from congdan.categories import repository as categories_repo
from congdan.deps import (
    ContextDep,
    IdempotencyDep,
    LocaleDep,
    PrincipalDep,
    SessionDep,
    SettingsDep,
    limit_signed_in,
    replayed,
    writes,
)
from congdan.kit.codes import normalise_tracking_code
from congdan.kit.errors import BadRequest, NotFound, PayloadTooLarge, ValidationFailed
from congdan.kit.i18n import _
from congdan.kit.pagination import decode_cursor, encode_cursor
from congdan.kit.problems import problems
from congdan.replica import from_replica
from congdan.reports import (
    claims,
    conversation,
    corrections,
    lifecycle,
    present,
    public_map,
    repository,
    service,
    submission,
    tracking,
)
from congdan.reports.schemas import (
    CategoryChangeIn,
    ClaimOut,
    EventList,
    EventOut,
    MapFeatureCollection,
    NoteIn,
    RatingIn,
    ReplyIn,
    ReportByCodeOut,
    ReportCreate,
    ReportFilters,
    ReportOut,
    ReportPage,
    TransitionIn,
    UploadOut,
)
from congdan.reports.states import Status
from congdan.routing import service as routing
from congdan.routing.present import duplicates_out
from congdan.routing.schemas import DuplicateList

router = APIRouter(prefix="/api/v1", tags=["reports"])


def _a_number(value: object) -> bool:
    """Whether a query value reads as a number ("1700000000", "-3.5", "1e-9"), which Pydantic would
    take for a Unix timestamp or a count of days."""
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


def _iso_only(value: object) -> object:
    # Pydantic would read a bare number as a Unix timestamp; the contract says ISO 8601.
    if _a_number(value):
        raise ValueError(_("Cần ngày giờ ISO 8601 có múi giờ, ví dụ 2026-12-12T08:30:00+07:00."))
    return value


IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_only)]


def _iso_day_only(value: object) -> object:
    # A bare number would be read as days since 1970; the contract says an ISO 8601 date.
    if _a_number(value):
        raise ValueError(_("Cần ngày theo ISO 8601, ví dụ 2026-12-12."))
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_day_only)]


@router.post(
    "/reports",
    status_code=201,
    response_model=ReportOut,
    summary="Gửi phản ánh hoặc góp ý / Submit a report or suggestion",
    responses=problems(401, 409),
    dependencies=[Depends(limit_signed_in("reports"))],
)
async def create_report(
    data: ReportCreate,
    idempotent: IdempotencyDep,
    session: SessionDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    locale: LocaleDep,
) -> JSONResponse:
    scope = f"reports:{principal.account_id or 'anonymous'}"
    replay = await idempotent.claim(scope, data.model_dump(mode="json"))
    if replay is not None:
        return replayed(replay)
    report = await submission.submit(session, ctx, principal, data, locale=locale)
    out = await service.report_out(session, principal, report, locale, without_photos=not data.photos)
    body = out.model_dump(mode="json")
    headers = {"Location": f"/api/v1/reports/{report.id}"}
    await idempotent.remember(session, 201, body, headers)
    return JSONResponse(body, status_code=201, headers=headers)


@router.get(
    "/reports",
    response_model=ReportPage,
    summary="Danh sách phản ánh / List reports",
    responses=problems(401),
)
@writes
async def list_reports(
    session: SessionDep,
    principal: PrincipalDep,
    locale: LocaleDep,
    status: Annotated[list[Status] | None, Query(description="Lọc theo trạng thái (lặp lại được)")] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    area: Annotated[str | None, Query(max_length=16)] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    bbox: Annotated[
        str | None, Query(description="min_long,min_lat,max_long,max_lat", max_length=200)
    ] = None,
    created_from: Annotated[IsoDatetime | None, Query(alias="from")] = None,
    created_to: Annotated[IsoDatetime | None, Query(alias="to")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Tìm theo nội dung, không cần dấu")] = None,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> ReportPage:
    filters = ReportFilters(
        status=status or [],
        category=category,
        area=area,
        agency=agency,
        bbox=_parse_bbox(bbox) if bbox else None,
        created_from=created_from,
        created_to=created_to,
        q=q,
        mine=mine,
    )
    rows = await repository.search(session, principal, filters, after=decode_cursor(cursor), limit=limit + 1)
    page = list(rows[:limit])
    items = await service.reports_out(session, principal, page, locale)
    next_cursor = encode_cursor(page[-1].id) if len(rows) > limit else None
    return ReportPage(items=items, next_cursor=next_cursor)


def _parse_bbox(raw: str) -> tuple[float, float, float, float]:
    try:
        parts = [float(p) for p in raw.split(",")]
    except ValueError:
        parts = []
    if (
        len(parts) != 4
        or not (parts[0] < parts[2] and parts[1] < parts[3])
        or not all(-180 <= p <= 180 for p in parts)
    ):
        raise BadRequest(_("bbox phải có dạng min_long,min_lat,max_long,max_lat."), field="bbox")
    return parts[0], parts[1], parts[2], parts[3]


@router.get(
    "/reports/map",
    response_model=MapFeatureCollection,
    summary="Bản đồ phản ánh công khai / Public reports on the map (GeoJSON)",
    description="Chỉ phản ánh công khai, không bao giờ có người gửi; tối đa 500 điểm, mới nhất trước "
    "(`truncated`: còn nữa, hãy phóng to). Public reports only, never who sent them; at most 500 points.",
    responses=problems(),
)
@from_replica()
async def public_map_points(
    session: SessionDep,
    locale: LocaleDep,
    bbox: Annotated[
        str | None, Query(description="min_long,min_lat,max_long,max_lat", max_length=200)
    ] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    status: Status | None = None,
    unit: Annotated[str | None, Query(max_length=16, description="Mã phường, xã / unit code")] = None,
    day_from: Annotated[IsoDate | None, Query(alias="from", description="Ngày gửi từ (giờ Việt Nam)")] = None,
    day_to: Annotated[IsoDate | None, Query(alias="to", description="Ngày gửi đến, tính cả ngày này")] = None,
    limit: Annotated[int, Query(ge=1, le=public_map.MAP_LIMIT)] = public_map.MAP_LIMIT,
) -> MapFeatureCollection:
    filters = public_map.public_filters(
        category=category,
        status=status,
        unit=unit,
        day_from=day_from,
        day_to=day_to,
        bbox=public_map.parse_bbox(bbox) if bbox else None,
    )
    return await public_map.map_features(session, filters, locale=locale, limit=limit)


@router.get(
    "/reports/by-code/{code}",
    response_model=ReportOut | ReportByCodeOut,
    summary="Tra cứu bằng mã theo dõi / Look up by tracking code",
    description="Phản ánh riêng tư chỉ hiện trạng thái, cơ quan, hạn và trả lời công khai; "
    "nội dung đầy đủ cần người gửi đăng nhập hoặc xác thực bằng mã một lần.",
    responses=problems(401, 404),
)
@writes
async def get_by_code(
    code: str, session: SessionDep, principal: PrincipalDep, locale: LocaleDep
) -> ReportOut | ReportByCodeOut:
    normalised = normalise_tracking_code(code)
    if normalised is None:
        raise NotFound(_("Không tìm thấy phản ánh với mã này."))
    out = await tracking.by_code_out(session, principal, normalised, locale)
    return out


# The convertor keeps /reports/suggest (POST) from also matching this path as a report id, so a
# GET there is a clean 405 naming POST alone; an id that is not a UUID is simply not found.
@router.get(
    "/reports/{report_id:uuid}",
    response_model=ReportOut,
    summary="Xem một phản ánh / Get a report",
    responses=problems(401, 404),
)
@writes
async def get_report(
    report_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, locale: LocaleDep
) -> ReportOut:
    report = await service.get_for(session, principal, report_id)
    out = await service.report_out(session, principal, report, locale)
    return out


@router.get(
    "/reports/{report_id}/events",
    response_model=EventList,
    summary="Diễn biến xử lý / Report history",
    responses=problems(401, 404),
)
async def list_events(
    report_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, locale: LocaleDep
) -> EventList:
    report = await service.get_for(session, principal, report_id)
    events = await repository.events(session, report.id, include_internal=can_see_internal(principal, report))
    return EventList(items=await present.events_out(session, events, locale))


@router.post(
    "/reports/{report_id}/transitions",
    response_model=ReportOut,
    summary="Chuyển trạng thái / Change status",
    responses=problems(401, 403, 404, 409),
)
async def transition(
    report_id: uuid.UUID,
    data: TransitionIn,
    session: SessionDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    locale: LocaleDep,
) -> ReportOut:
    report = await lifecycle.transition(session, ctx, principal, report_id, data)
    out = await service.report_out(session, principal, report, locale)
    return out


@router.post(
    "/reports/{report_id}/category",
    response_model=ReportOut,
    summary="Đổi lĩnh vực (dạy lại bộ phân loại) / Correct the category",
    responses=problems(401, 403, 404, 409),
)
async def change_category(
    report_id: uuid.UUID,
    data: CategoryChangeIn,
    session: SessionDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    locale: LocaleDep,
) -> ReportOut:
    report = await corrections.change_category(session, ctx, principal, report_id, data)
    out = await service.report_out(session, principal, report, locale)
    return out


@router.get(
    "/reports/{report_id}/duplicate-candidates",
    response_model=DuplicateList,
    summary="Phản ánh có thể trùng (cán bộ) / Possible duplicates (staff)",
    responses=problems(401, 403, 404),
)
async def duplicate_candidates(
    report_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    locale: LocaleDep,
) -> DuplicateList:
    report = await service.get_for(session, principal, report_id)
    policy.require_internal_access(principal, report)
    found = await routing.duplicates_of(session, principal, report, settings)
    categories = {c.code: c for c in await categories_repo.categories(session)}
    return DuplicateList(items=duplicates_out(found, categories, locale))


@router.post(
    "/reports/{report_id}/replies",
    status_code=201,
    response_model=EventOut,
    summary="Trả lời người dân / Public reply",
    responses=problems(401, 403, 404, 409),
)
async def reply(
    report_id: uuid.UUID, data: ReplyIn, session: SessionDep, principal: PrincipalDep, locale: LocaleDep
) -> EventOut:
    event = await conversation.reply(session, principal, report_id, data)
    out = (await present.events_out(session, [event], locale))[0]
    return out


@router.post(
    "/reports/{report_id}/notes",
    status_code=201,
    response_model=EventOut,
    summary="Ghi chú nội bộ / Internal note",
    responses=problems(401, 403, 404),
)
async def add_note(
    report_id: uuid.UUID, data: NoteIn, session: SessionDep, principal: PrincipalDep, locale: LocaleDep
) -> EventOut:
    event = await conversation.add_note(session, principal, report_id, data)
    out = (await present.events_out(session, [event], locale))[0]
    return out


@router.post(
    "/reports/{report_id}/rating",
    response_model=ReportOut,
    summary="Đánh giá kết quả / Rate the answer",
    responses=problems(401, 403, 404, 409),
)
async def rate(
    report_id: uuid.UUID, data: RatingIn, session: SessionDep, principal: PrincipalDep, locale: LocaleDep
) -> ReportOut:
    report = await conversation.rate(session, principal, report_id, data)
    out = await service.report_out(session, principal, report, locale)
    return out


@router.post(
    "/me/claim-reports",
    response_model=ClaimOut,
    summary="Nhận về tài khoản các phản ánh đã gửi bằng số điện thoại/email này / "
    "Claim the reports sent with your phone or email before you signed in",
    responses=problems(401, 403),
)
async def claim_reports(session: SessionDep, principal: PrincipalDep) -> ClaimOut:
    return ClaimOut(claimed=await claims.claim(session, principal))


@router.post(
    "/uploads",
    status_code=201,
    response_model=UploadOut,
    summary="Tải ảnh lên / Upload a photo",
    responses=problems(401, 415),
    dependencies=[Depends(limit_signed_in("uploads"))],
)
async def upload(
    file: Annotated[UploadFile, File(description="Ảnh JPEG, PNG, WebP hoặc HEIC, tối đa 10 MB")],
    idempotent: IdempotencyDep,
    session: SessionDep,
    principal: PrincipalDep,
    ctx: ContextDep,
) -> UploadOut | JSONResponse:
    limit = ctx.settings.max_photo_bytes
    chunks: list[bytes] = []
    size = 0
    while chunk := await file.read(256 * 1024):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(_("Ảnh vượt quá %(mb)s MB."), mb=limit // (1024 * 1024))
        chunks.append(chunk)
    if size == 0:
        raise ValidationFailed(_("Tệp ảnh trống."), field="file")
    raw = b"".join(chunks)
    scope = f"uploads:{principal.account_id or 'anonymous'}"
    replay = await idempotent.claim(scope, {"sha256": hashlib.sha256(raw).hexdigest()})
    if replay is not None:
        return replayed(replay)
    uploaded = await submission.upload_photo(session, ctx, principal, raw)
    out = present.upload_out(uploaded.media, uploaded.exif_location)
    # The photo's GPS position is for this answer only: the remembered one, replayed to a retry,
    # goes without it rather than keep a position the stored photo no longer has.
    await idempotent.remember(session, 201, out.model_dump(mode="json", exclude={"exif_location"}), {})
    return out
