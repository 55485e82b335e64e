"""Administrators' list of the administrative units (wards, communes, the special zone): each
unit's People's Committee and whether its boundary is loaded, and loading boundaries from a
GeoJSON file, as `congdan areas import` does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository as agencies_repo
from congdan.areas import imports
from congdan.areas import repository as areas_repo
from congdan.areas.service import ImportResult
from congdan.deps import SessionDep
from congdan.kit.errors import AppError, ValidationFailed
from congdan.kit.i18n import _
from congdan.kit.text import fold
from congdan.web.staff.admin import AdminPageDep, form_errors, refused_form
from congdan.web.staff.admin_routing import AREA_TYPES
from congdan.web.staff.deps import render

router = APIRouter(include_in_schema=False)

UNITS = "/staff/admin/don-vi"
BOUNDARIES = UNITS + "/ranh-gioi"
Search = Annotated[str | None, Query(max_length=100)]
# Under the general limit on form bodies (CONGDAN_MAX_BODY_BYTES), so that a file over it is
# refused here, on the page, rather than as a bare 413. The city's 168 units fit in a few MB.
MAX_BOUNDARY_FILE_BYTES = 10 * 1024 * 1024
CHUNK = 256 * 1024


async def _page(
    request: Request,
    session: AsyncSession,
    q: str | None = None,
    *,
    result: ImportResult | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    units = await areas_repo.list_areas(session, fold(q) if q and q.strip() else None)
    committees = {
        a.area_code: a for a in await agencies_repo.list_agencies(session, "committee") if a.area_code
    }
    context = {
        "rows": units,
        "committees": committees,
        "types": AREA_TYPES,
        "q": q or "",
        "result": result,
        "updated_names": list((await areas_repo.names(session, result.updated)).values()) if result else [],
        "errors": errors or {},
        "form": form or {},
        "max_mb": MAX_BOUNDARY_FILE_BYTES // (1024 * 1024),
    }
    return await render(request, session, "staff/admin/units.html", context, status_code=status_code)


@router.get(UNITS)
async def units_page(request: Request, session: SessionDep, me: AdminPageDep, q: Search = None) -> Response:
    return await _page(request, session, q)


async def _read(upload: UploadFile | None) -> bytes:
    if upload is None or not upload.filename:
        raise ValidationFailed(_("Hãy chọn một tệp GeoJSON."), field="file")
    data = bytearray()
    while chunk := await upload.read(CHUNK):
        data += chunk
        if len(data) > MAX_BOUNDARY_FILE_BYTES:
            raise ValidationFailed(
                _("Tệp lớn hơn giới hạn %(mb)s MB."),
                field="file",
                mb=MAX_BOUNDARY_FILE_BYTES // (1024 * 1024),
            )
    return bytes(data)


@router.post(BOUNDARIES)
async def import_boundaries(
    request: Request,
    session: SessionDep,
    me: AdminPageDep,
    file: Annotated[UploadFile | None, File()] = None,
    code_property: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    form = {"code_property": code_property}
    try:
        result = await imports.import_file(session, me, await _read(file), code_property)
    except AppError as exc:
        errors = form_errors(request, exc, default_field="file")
        raise await refused_form(
            exc, lambda status: _page(request, session, errors=errors, form=form, status_code=status)
        ) from exc
    # This server locates reports by the new boundaries at once; the others within a minute.
    request.app.state.area_index_loaded_at = float("-inf")
    return await _page(request, session, result=result, form=form)
