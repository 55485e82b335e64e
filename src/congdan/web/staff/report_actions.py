"""The forms of the workbench's report page: each posts one step to the same service the JSON API
calls (lifecycle, conversation, corrections, the workbench's template replies), then goes back to
the page with a "done" message. A refused step is undone and the page is shown again with the
reason next to its form, keeping what was typed; the view of the page it shows is kept (its audit
row of a contact seen), the step is not."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz.policy import Principal
from congdan.deps import ContextDep, SessionDep
from congdan.kit.codes import normalise_tracking_code
from congdan.kit.errors import AppError, Forbidden, NotFound, ValidationFailed
from congdan.kit.i18n import _, translate
from congdan.reports import conversation, corrections, lifecycle, submission
from congdan.reports import service as reports
from congdan.reports.context import Context
from congdan.reports.schemas import MAX_PHOTOS, CategoryChangeIn, NoteIn, ReplyIn, TransitionIn
from congdan.reports.states import Status
from congdan.security.ratelimit import client_address, limiter
from congdan.web.refusal import KeptPageRefusal, refusal
from congdan.web.staff.deps import StaffPageDep, locale_of
from congdan.web.staff.report import PAGE, page_url, refused_page, report_page
from congdan.workbench import replies
from congdan.workbench.schemas import TemplateReplyIn

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=4000)]
Code = Annotated[str, Form(max_length=64)]
ShortText = Annotated[str, Form(max_length=1000)]
Photos = Annotated[list[UploadFile], File()]


def _uuid(value: str, message: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise ValidationFailed(message, field=field) from None


def _filled(value: str, message: str, field: str) -> str:
    if not value.strip():
        raise ValidationFailed(message, field=field)
    return value


def _day(value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(
            _("Ngày không hợp lệ; hãy chọn ngày theo dạng ngày/tháng/năm."), field="committed_finish_on"
        ) from None


async def _stored(
    request: Request, session: AsyncSession, ctx: Context, me: Principal, files: list[UploadFile]
) -> list[uuid.UUID]:
    """The photos of a form's file input, stored as /api/v1/uploads stores them; the step claims them.
    Each photo counts against the same limits as one upload there, per address and per staff
    member (the page's caller is its cookie's staff member, not a bearer token)."""
    limit = ctx.settings.max_photo_bytes
    chosen = [f for f in files if f.filename]
    if len(chosen) > MAX_PHOTOS:
        raise ValidationFailed(_("Tối đa %(n)s ảnh."), field="photos", n=MAX_PHOTOS)
    rl = limiter(request)
    ids = []
    for upload in chosen:
        raw = await upload.read(limit + 1)
        if not raw:
            continue
        if len(raw) > limit:
            raise ValidationFailed(_("Ảnh vượt quá %(mb)s MB."), field="photos", mb=limit // (1024 * 1024))
        await rl.hit("uploads_client", client_address(request.scope))
        await rl.hit("uploads_account", str(me.account_id))
        ids.append((await submission.upload_photo(session, ctx, me, raw)).media.id)
    return ids


def _sentence(exc: AppError, locale: str) -> str:
    if exc.errors:
        first = exc.errors[0]
        return translate(first.message, locale, **(first.params or {}))
    return translate(exc.detail, locale, **exc.params)


async def _step(
    request: Request,
    session: AsyncSession,
    ctx: Context,
    me: Principal,
    report_id: uuid.UUID,
    form: str,
    done: str,
    act: Callable[[], Awaitable[object]],
) -> Response:
    try:
        async with session.begin_nested():  # undone before the page is shown again
            await act()
    except AppError as exc:
        typed = {k: v for k, v in (await request.form()).items() if isinstance(v, str) and k != "csrf_token"}
        try:
            page = await report_page(
                request,
                session,
                ctx,
                me,
                report_id,
                error=_sentence(exc, locale_of(request)),
                failed=form,
                typed=typed,
                status_code=exc.status,
            )
        except (Forbidden, NotFound) as hidden:
            raise refusal(hidden, await refused_page(request, session, hidden)) from exc
        raise KeptPageRefusal(page) from exc
    return RedirectResponse(f"{page_url(report_id)}?done={done}#{form}", status_code=303)


def _move(
    session: AsyncSession, ctx: Context, me: Principal, report_id: uuid.UUID, data: TransitionIn
) -> Callable[[], Awaitable[object]]:
    return lambda: lifecycle.transition(session, ctx, me, report_id, data)


@router.post(PAGE + "/tiep-nhan")
async def accept(
    request: Request, report_id: uuid.UUID, session: SessionDep, ctx: ContextDep, me: StaffPageDep
) -> Response:
    act = _move(session, ctx, me, report_id, TransitionIn(to=Status.IN_PROGRESS))
    return await _step(request, session, ctx, me, report_id, "accept", "accepted", act)


@router.post(PAGE + "/giao-viec")
async def assign(
    request: Request,
    report_id: uuid.UUID,
    session: SessionDep,
    ctx: ContextDep,
    me: StaffPageDep,
    officer: Code = "",
) -> Response:
    async def act() -> object:
        chosen = _uuid(officer, _("Chọn cán bộ để giao việc."), "officer")
        return await lifecycle.assign_officer(session, me, report_id, chosen)

    return await _step(request, session, ctx, me, report_id, "assign", "assigned", act)


@router.post(PAGE + "/tra-loi")
async def reply(
    request: Request,
    report_id: uuid.UUID,
    session: SessionDep,
    ctx: ContextDep,
    me: StaffPageDep,
    message: Text = "",
    template: Code = "",
) -> Response:
    """Free text, or a template whose placeholders the workbench's replies service fills."""

    async def act() -> object:
        if template and not message.strip():
            chosen = _uuid(template, _("Không tìm thấy mẫu trả lời dùng được cho phản ánh này."), "template")
            return await replies.reply_from_template(session, me, report_id, TemplateReplyIn(template=chosen))
        text = _filled(message, _("Viết nội dung trả lời hoặc chọn một mẫu."), "message")
        return await conversation.reply(session, me, report_id, ReplyIn(message=text))

    return await _step(request, session, ctx, me, report_id, "reply", "replied", act)


@router.post(PAGE + "/hoi-them")
async def ask(
    request: Request,
    report_id: uuid.UUID,
    session: SessionDep,
    ctx: ContextDep,
    me: StaffPageDep,
    message: Text = "",
) -> Response:
    async def act() -> object:
        text = _filled(message, _("Nội dung trả lời không được để trống."), "message")
        return await conversation.reply(session, me, report_id, ReplyIn(kind="info_request", message=text))

    return await _step(request, session, ctx, me, report_id, "info", "info", act)


@router.post(PAGE + "/tien-do")
async def progress(
    request: Request,
    report_id: uuid.UUID,
    session: SessionDep,
    ctx: ContextDep,
    me: StaffPageDep,
    message: Text = "",
    committed_finish_on: Code = "",
    photos: Photos = [],  # noqa: B006 - FastAPI copies the default
) -> Response:
    async def act() -> object:
        text = _filled(message, _("Nội dung trả lời không được để trống."), "message")
        finish = _day(committed_finish_on)
        stored = await _stored(request, session, ctx, me, photos)
        data = ReplyIn(kind="progress", message=text, committed_finish_on=finish, photos=stored)
        return await conversation.reply(session, me, report_id, data)

    return await _step(request, session, ctx, me, report_id, "progress", "progress", act)


@router.post(PAGE + "/giai-quyet")
async def resolve(
    request: Request,
    report_id: uuid.UUID,
    session: SessionDep,
    ctx: ContextDep,
    me: StaffPageDep,
    note: Text = "",
    photos: Photos = [],  # noqa: B006 - FastAPI copies the default
) -> Response:
    async def act() -> object:
        stored = await _stored(request, session, ctx, me, photos)
        data = TransitionIn(to=Status.RESOLVED, note=note or None, photos=stored)
        return await lifecycle.transition(session, ctx, me, report_id, data)

    return await _step(request, session, ctx, me, report_id, "resolve", "resolved", act)


@router.post(PAGE + "/khong-tiep-nhan")
async def reject(
    request: Request,
    report_id: uuid.UUID,
    session: SessionDep,
    ctx: ContextDep,
    me: StaffPageDep,
    reason: Code = "",
    note: Text = "",
) -> Response:
    data = TransitionIn(to=Status.REJECTED, reason=reason or None, note=note or None)
    act = _move(session, ctx, me, report_id, data)
    return await _step(request, session, ctx, me, report_id, "reject", "rejected", act)


@router.post(PAGE + "/chuyen-co-quan")
async def transfer(
    request: Request,
    report_id: uuid.UUID,
    session: SessionDep,
    ctx: ContextDep,
    me: StaffPageDep,
    agency: Code = "",
    note: Text = "",
) -> Response:
    """The handling agency gives the report back for the coordinators to route elsewhere (a
    reason the resident reads); a coordinator gives it straight to the chosen agency."""
    if agency:
        data = TransitionIn(to=Status.ASSIGNED, agency=agency, note=note or None, public=False)
    else:
        data = TransitionIn(to=Status.TRANSFERRED, note=note or None)
    act = _move(session, ctx, me, report_id, data)
    return await _step(request, session, ctx, me, report_id, "transfer", "transferred", act)


async def _original(session: AsyncSession, value: str) -> uuid.UUID:
    """A report's id, or the id of the report with this tracking code (as typed or read out);
    whether this staff member may see it is the status machine's check."""
    try:
        return uuid.UUID(value)
    except ValueError:
        pass
    code = normalise_tracking_code(value)
    if code is not None:
        try:
            return (await reports.get_by_code(session, code)).id
        except NotFound:
            pass
    raise ValidationFailed(_("Không tìm thấy phản ánh gốc."), field="duplicate_of")


@router.post(PAGE + "/trung")
async def duplicate(
    request: Request,
    report_id: uuid.UUID,
    session: SessionDep,
    ctx: ContextDep,
    me: StaffPageDep,
    original: Code = "",
) -> Response:
    """The original named by its id (a candidate's button) or by its tracking code (typed)."""

    async def act() -> object:
        value = _filled(original, _("Cần chỉ ra phản ánh gốc."), "duplicate_of").strip()
        data = TransitionIn(to=Status.DUPLICATE, duplicate_of=await _original(session, value), public=True)
        return await lifecycle.transition(session, ctx, me, report_id, data)

    return await _step(request, session, ctx, me, report_id, "duplicate", "duplicate", act)


@router.post(PAGE + "/linh-vuc")
async def category(
    request: Request,
    report_id: uuid.UUID,
    session: SessionDep,
    ctx: ContextDep,
    me: StaffPageDep,
    category: Code = "",
    note: ShortText = "",
) -> Response:
    async def act() -> object:
        code = _filled(category, _("Chọn lĩnh vực."), "category")
        data = CategoryChangeIn(category=code, note=note or None)
        return await corrections.change_category(session, ctx, me, report_id, data)

    return await _step(request, session, ctx, me, report_id, "category", "category", act)


@router.post(PAGE + "/ghi-chu")
async def note(
    request: Request,
    report_id: uuid.UUID,
    session: SessionDep,
    ctx: ContextDep,
    me: StaffPageDep,
    note: Text = "",
) -> Response:
    async def act() -> object:
        text = _filled(note, _("Ghi chú không được để trống."), "note")
        return await conversation.add_note(session, me, report_id, NoteIn(note=text))

    return await _step(request, session, ctx, me, report_id, "note", "noted", act)
