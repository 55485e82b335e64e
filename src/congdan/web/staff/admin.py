"""What the administrators' pages under /staff/admin/ share: the refusal of anyone else, the
readable errors of a refused form, and the index linking the sections.

Every admin page takes `AdminPageDep`: the signed-in staff member if authz says they are an
administrator; anyone else gets the workbench's refusal page (403), and nothing runs. A page open
to others too (the reply templates, for an agency's managers) makes its own with `refused_unless`
and the authz rule that admits them. A form that
the service refuses is shown again with the error next to its field (`refusal_shows` around the
form's work, or `refused_form`), and the unit of work undoes whatever the attempt wrote."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository as agencies_repo
from congdan.authz.policy import Principal, require_admin
from congdan.categories import repository as categories_repo
from congdan.deps import SessionDep
from congdan.kit.errors import AppError, Forbidden
from congdan.kit.i18n import _
from congdan.kit.validation import from_pydantic
from congdan.web.refusal import PageRefusal, messages, refusal
from congdan.web.staff.deps import StaffPageDep, locale_of, render
from congdan.web.staff.triage import forbidden_page

router = APIRouter(include_in_schema=False)

ADMIN_HOME = "/staff/admin/"
Model = TypeVar("Model", bound=BaseModel)

SECTIONS = (
    (
        "/staff/admin/mau-tra-loi",
        _("Mẫu trả lời"),
        _("Câu trả lời soạn sẵn, có chỗ trống cho mã phản ánh, hạn xử lý, cơ quan."),
    ),
    (
        "/staff/admin/ly-do",
        _("Lý do không tiếp nhận"),
        _("Danh sách lý do cán bộ chọn khi không tiếp nhận phản ánh."),
    ),
    (
        "/staff/admin/thu-tuc",
        _("Thủ tục hành chính"),
        _("Giấy tờ, các bước, lệ phí, thời hạn, căn cứ pháp lý; mỗi lần sửa là một phiên bản mới."),
    ),
    (
        "/staff/admin/linh-vuc",
        _("Lĩnh vực"),
        _("Tên, hạn xử lý, bán kính tìm trùng và cơ quan mặc định của từng lĩnh vực."),
    ),
    (
        "/staff/admin/phan-luong",
        _("Luật phân luồng"),
        _("Cơ quan nào nhận phản ánh của lĩnh vực nào, ở đâu."),
    ),
    (
        "/staff/admin/bo-phan-loai",
        _("Bộ phân loại"),
        _("Các phiên bản của bộ gợi ý lĩnh vực, và huấn luyện phiên bản mới."),
    ),
    (
        "/staff/admin/co-quan",
        _("Cơ quan xử lý"),
        _("Thêm cơ quan, sửa tên và thông tin liên hệ của cơ quan."),
    ),
    (
        "/staff/admin/don-vi",
        _("Danh sách đơn vị hành chính"),
        _("Phường, xã, đặc khu: UBND của từng đơn vị và ranh giới đã nạp."),
    ),
    (
        "/staff/admin/staff",
        _("Cán bộ và vai trò"),
        _("Tạo tài khoản cán bộ, đổi vai trò hay cơ quan, ngừng tài khoản."),
    ),
)


def refused_unless(check: Callable[[Principal], None]) -> Callable[..., Awaitable[Principal]]:
    """A page dependency: the signed-in staff member if `check` (an authz rule) lets them in; the
    refusal page (403) otherwise."""

    async def page(request: Request, session: SessionDep, me: StaffPageDep) -> Principal:
        try:
            check(me)
        except Forbidden as exc:
            raise refusal(exc, await forbidden_page(request, session, exc)) from exc
        return me

    return page


admin_page = refused_unless(require_admin)
AdminPageDep = Annotated[Principal, Depends(admin_page)]


def parsed(model: type[Model], **values: Any) -> Model:
    """A schema from form fields; what it refuses is a ValidationFailed, shown like a service's."""
    try:
        return model(**values)
    except ValidationError as exc:
        raise from_pydantic(exc.errors()) from exc


def form_errors(
    request: Request, error: AppError, *, default_field: str, fields: dict[str, str] | None = None
) -> dict[str, str]:
    return messages(error, locale_of(request), default_field=default_field, fields=fields)


async def refused_form(error: AppError, page: Callable[[int], Awaitable[Response]]) -> PageRefusal:
    """The page again, with the error's status; the unit of work rolls back what was tried."""
    return refusal(error, await page(error.status))


@asynccontextmanager
async def refusal_shows(
    request: Request,
    session: AsyncSession,
    page: Callable[[dict[str, str], int], Awaitable[Response]],
    *,
    default_field: str,
    fields: dict[str, str] | None = None,
) -> AsyncIterator[None]:
    """Runs a form's work in a savepoint; if the service refuses it, the savepoint is undone and
    `page(errors, status)` is shown instead, with each error next to its field."""
    try:
        async with session.begin_nested():
            yield
    except AppError as exc:
        errors = form_errors(request, exc, default_field=default_field, fields=fields)
        raise await refused_form(exc, lambda status: page(errors, status)) from exc


async def options(session: AsyncSession, locale: str) -> dict[str, list[tuple[str, str]]]:
    """The agencies and categories as (code, name) pairs for a form's choices, in the page's language."""
    agencies = await agencies_repo.list_agencies(session)
    categories = await categories_repo.categories(session)
    return {
        "agency_options": [(a.code, a.name_en if locale == "en" else a.name) for a in agencies],
        "category_options": [(c.code, c.name_en if locale == "en" else c.name_vi) for c in categories],
    }


@router.get(ADMIN_HOME)
async def admin_index(request: Request, session: SessionDep, me: AdminPageDep) -> Response:
    return await render(request, session, "staff/admin/index.html", {"sections": SECTIONS})
