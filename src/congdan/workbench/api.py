"""The workbench over HTTP, under /api/v1/staff: a thin layer over the workbench services."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from congdan.deps import ContextDep, LivePrincipalDep, LocaleDep, PrincipalDep, SessionDep
from congdan.kit.pagination import decode_cursor, decode_time_cursor, encode_cursor, encode_time_cursor
from congdan.kit.problems import problems
from congdan.models import Report
from congdan.reports import present as reports_present
from congdan.reports.schemas import EventOut
from congdan.reports.states import Status
from congdan.workbench import present, replies, service
from congdan.workbench.schemas import (
    Board,
    BulkAssignIn,
    BulkDone,
    BulkIn,
    BulkOut,
    Due,
    OfficerList,
    OfficerOut,
    QueueFilters,
    QueueMap,
    QueuePage,
    ReasonIn,
    ReasonList,
    ReasonOut,
    ReasonPatch,
    RouteIn,
    TemplateIn,
    TemplateList,
    TemplateOut,
    TemplatePatch,
    TemplateReplyIn,
    TriagePage,
)

router = APIRouter(prefix="/api/v1/staff", tags=["workbench"])


@router.get(
    "/queue",
    response_model=QueuePage,
    summary="Hàng đợi của cơ quan, theo hạn xử lý / The agency's queue by deadline",
    description="Cán bộ cơ quan thấy phản ánh của cơ quan mình; điều phối viên và quản trị viên thấy "
    "mọi cơ quan (chọn một cơ quan bằng `agency`). Không chọn trạng thái: mọi trạng thái còn mở.",
    responses=problems(401, 403),
)
async def get_queue(
    session: SessionDep,
    principal: PrincipalDep,
    locale: LocaleDep,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[list[Status] | None, Query(description="Lặp lại được")] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    area: Annotated[str | None, Query(max_length=16)] = None,
    assignee: Annotated[uuid.UUID | None, Query(description="Cán bộ được giao")] = None,
    unassigned: bool = False,
    due: Annotated[Due | None, Query(description="soon: đến hạn trong 24 giờ; overdue: quá hạn")] = None,
    reopened: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> QueuePage:
    filters = QueueFilters(
        agency=agency,
        status=status or [],
        category=category,
        area=area,
        assignee=assignee,
        unassigned=unassigned,
        due=due,
        reopened=reopened,
    )
    queue = await service.queue(session, principal, filters, after=decode_time_cursor(cursor), limit=limit)
    last = queue.items[-1] if queue.items else None
    next_cursor = encode_time_cursor(last.due_at, last.id) if queue.more and last else None
    return await present.queue_page(session, queue, locale, next_cursor)


@router.get(
    "/queue/map",
    response_model=QueueMap,
    summary="Hàng đợi trên bản đồ (GeoJSON) / The agency's queue on a map (GeoJSON)",
    description="Cùng bộ lọc và phạm vi như hàng đợi; chỉ phản ánh có vị trí, theo hạn xử lý, tối đa "
    "500 điểm (`truncated`: còn nữa). Nhận token hoặc phiên đăng nhập của bàn làm việc (cookie). "
    "The queue's filters and scope; reports with a place only, at most 500; a token or the "
    "workbench's cookie session.",
    responses=problems(401, 403),
)
async def get_queue_map(
    session: SessionDep,
    # The workbench's map page fetches this with its cookie; the answer only reads.
    principal: LivePrincipalDep,
    locale: LocaleDep,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[list[Status] | None, Query(description="Lặp lại được")] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    area: Annotated[str | None, Query(max_length=16)] = None,
    assignee: Annotated[uuid.UUID | None, Query(description="Cán bộ được giao")] = None,
    unassigned: bool = False,
    due: Annotated[Due | None, Query(description="soon: đến hạn trong 24 giờ; overdue: quá hạn")] = None,
    reopened: bool = False,
    limit: Annotated[int, Query(ge=1, le=service.MAP_LIMIT)] = service.MAP_LIMIT,
) -> QueueMap:
    filters = QueueFilters(
        agency=agency,
        status=status or [],
        category=category,
        area=area,
        assignee=assignee,
        unassigned=unassigned,
        due=due,
        reopened=reopened,
    )
    places = await service.queue_places(session, principal, filters, limit=limit)
    return await present.queue_map(session, places, locale)


@router.get(
    "/officers",
    response_model=OfficerList,
    summary="Cán bộ của cơ quan (để giao việc) / The agency's officers",
    responses=problems(401, 403),
)
async def list_officers(
    session: SessionDep, principal: PrincipalDep, agency: Annotated[str | None, Query(max_length=64)] = None
) -> OfficerList:
    found = await service.officers(session, principal, agency)
    return OfficerList(items=[OfficerOut(id=a.id, name=a.display_name, role=a.role) for a in found])


def _bulk_out(done: Sequence[Report]) -> BulkOut:
    return BulkOut(items=[BulkDone(id=r.id, status=Status(r.status), assignee=r.assignee_id) for r in done])


@router.post(
    "/queue/assign",
    response_model=BulkOut,
    summary="Giao việc cho cán bộ (nhiều phản ánh) / Assign to an officer",
    description="Tất cả hoặc không: nếu một phản ánh không giao được, không phản ánh nào thay đổi; "
    "`errors` liệt kê từng phản ánh (field là mã phản ánh) và lý do.",
    responses=problems(401, 403, 409),
)
async def bulk_assign(data: BulkAssignIn, session: SessionDep, principal: PrincipalDep) -> BulkOut:
    done = await service.bulk_assign(session, principal, data.report_ids, data.officer)
    return _bulk_out(done)


@router.post(
    "/queue/accept",
    response_model=BulkOut,
    summary="Tiếp nhận xử lý (nhiều phản ánh) / Accept reports",
    description="Chuyển các phản ánh đã giao sang «Đang xử lý». Tất cả hoặc không, như giao việc.",
    responses=problems(401, 403, 409),
)
async def bulk_accept(data: BulkIn, session: SessionDep, principal: PrincipalDep, ctx: ContextDep) -> BulkOut:
    done = await service.bulk_accept(session, ctx, principal, data.report_ids)
    return _bulk_out(done)


@router.get(
    "/triage",
    response_model=TriagePage,
    summary="Hàng đợi phân loại của điều phối viên / The coordinators' triage queue",
    responses=problems(401, 403),
)
async def get_triage(
    session: SessionDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    locale: LocaleDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> TriagePage:
    entries, more = await service.triage(session, ctx, principal, after=decode_cursor(cursor), limit=limit)
    items = await present.triage_items(session, entries, locale)
    return TriagePage(
        items=items, next_cursor=encode_cursor(entries[-1].report.id) if more and entries else None
    )


@router.post(
    "/triage/{report_id}/route",
    response_model=BulkDone,
    summary="Chuyển phản ánh tới lĩnh vực, cơ quan / Route a report",
    description="Lĩnh vực đúng dạy lại bộ phân loại; không chọn cơ quan thì định tuyến theo lĩnh vực. "
    "Chọn cơ quan: giao cho cơ quan đó, kể cả giao lại phản ánh đã giao.",
    responses=problems(401, 403, 404, 409),
)
async def route(
    report_id: uuid.UUID, data: RouteIn, session: SessionDep, principal: PrincipalDep, ctx: ContextDep
) -> BulkDone:
    report = await service.route(session, ctx, principal, report_id, data)
    return BulkDone(id=report.id, status=Status(report.status), assignee=report.assignee_id)


@router.get(
    "/deadlines",
    response_model=Board,
    summary="Bảng hạn xử lý toàn thành phố / The city-wide deadline board",
    description="Mỗi cơ quan: số phản ánh quá hạn và đến hạn hôm nay; cơ quan chậm nhất trước.",
    responses=problems(401, 403),
)
async def deadline_board(session: SessionDep, principal: PrincipalDep, locale: LocaleDep) -> Board:
    rows = await service.deadline_board(session, principal)
    return Board(items=await present.board_rows(session, rows, locale))


# ---- reply templates ----------------------------------------------------------------------------


@router.get(
    "/reply-templates",
    response_model=TemplateList,
    summary="Mẫu trả lời / Reply templates",
    responses=problems(401, 403),
)
async def list_templates(
    session: SessionDep,
    principal: PrincipalDep,
    category: Annotated[str | None, Query(max_length=64)] = None,
    include_inactive: bool = False,
) -> TemplateList:
    found = await replies.list_templates(
        session, principal, category=category, include_inactive=include_inactive
    )
    return TemplateList(items=[present.template_out(t) for t in found])


@router.post(
    "/reply-templates",
    status_code=201,
    response_model=TemplateOut,
    summary="Thêm mẫu trả lời / Add a reply template",
    responses=problems(401, 403),
)
async def create_template(data: TemplateIn, session: SessionDep, principal: PrincipalDep) -> TemplateOut:
    template = await replies.create_template(session, principal, data)
    return present.template_out(template)


@router.patch(
    "/reply-templates/{template_id}",
    response_model=TemplateOut,
    summary="Sửa mẫu trả lời / Edit a reply template",
    responses=problems(401, 403, 404),
)
async def update_template(
    template_id: uuid.UUID, data: TemplatePatch, session: SessionDep, principal: PrincipalDep
) -> TemplateOut:
    template = await replies.update_template(session, principal, template_id, data)
    return present.template_out(template)


@router.delete(
    "/reply-templates/{template_id}",
    status_code=204,
    summary="Xóa mẫu trả lời / Delete a reply template",
    responses=problems(401, 403, 404),
)
async def delete_template(template_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Response:
    await replies.delete_template(session, principal, template_id)
    return Response(status_code=204)


@router.post(
    "/reports/{report_id}/template-replies",
    status_code=201,
    response_model=EventOut,
    summary="Trả lời người dân theo mẫu / Reply from a template",
    responses=problems(401, 403, 404, 409),
)
async def reply_from_template(
    report_id: uuid.UUID,
    data: TemplateReplyIn,
    session: SessionDep,
    principal: PrincipalDep,
    locale: LocaleDep,
) -> EventOut:
    event = await replies.reply_from_template(session, principal, report_id, data)
    return (await reports_present.events_out(session, [event], locale))[0]


# ---- rejection reasons ------------------------------------------------------------------------


@router.get(
    "/rejection-reasons",
    response_model=ReasonList,
    summary="Lý do không tiếp nhận / Reasons for not accepting a report",
    responses=problems(401, 403),
)
async def list_reasons(
    session: SessionDep, principal: PrincipalDep, locale: LocaleDep, include_inactive: bool = False
) -> ReasonList:
    found = await replies.list_reasons(session, principal, include_inactive=include_inactive)
    return ReasonList(items=[present.reason_out(r, locale) for r in found])


@router.post(
    "/rejection-reasons",
    status_code=201,
    response_model=ReasonOut,
    summary="Thêm lý do không tiếp nhận (quản trị) / Add a reason (admin)",
    responses=problems(401, 403, 409),
)
async def create_reason(
    data: ReasonIn, session: SessionDep, principal: PrincipalDep, locale: LocaleDep
) -> ReasonOut:
    reason = await replies.create_reason(session, principal, data)
    return present.reason_out(reason, locale)


@router.patch(
    "/rejection-reasons/{code}",
    response_model=ReasonOut,
    summary="Sửa lý do không tiếp nhận (quản trị) / Edit a reason (admin)",
    responses=problems(401, 403, 404),
)
async def update_reason(
    code: Annotated[str, Path(max_length=64)],
    data: ReasonPatch,
    session: SessionDep,
    principal: PrincipalDep,
    locale: LocaleDep,
) -> ReasonOut:
    reason = await replies.update_reason(session, principal, code, data)
    return present.reason_out(reason, locale)
