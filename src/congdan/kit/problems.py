"""RFC 9457 problem+json: the one error shape of the JSON API, and its OpenAPI description."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from starlette.responses import JSONResponse

from congdan.kit.errors import PROBLEM_JSON, AppError
from congdan.kit.i18n import _, bilingual, translate


class ProblemFieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    type: str = Field(description="URI định danh loại lỗi")
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemFieldError] = Field(default_factory=list)


_DESCRIPTIONS = {
    400: _("Yêu cầu không hợp lệ"),
    401: _("Cần đăng nhập"),
    403: _("Không có quyền"),
    404: _("Không tìm thấy"),
    409: _("Xung đột trạng thái"),
    413: _("Dữ liệu quá lớn"),
    415: _("Định dạng không hỗ trợ"),
    422: _("Dữ liệu không hợp lệ"),
    429: _("Quá nhiều yêu cầu"),
    503: _("Dịch vụ tạm thời không sẵn sàng"),
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the errors an operation can return."""
    every = {400, 413, 422, 429, 503, *statuses}
    return {
        s: {"description": bilingual(_DESCRIPTIONS[s]), "model": Problem, "content": {PROBLEM_JSON: {}}}
        for s in sorted(every)
    }


def problem_response(error: AppError, locale: str, instance: str | None = None) -> JSONResponse:
    field_errors = [
        ProblemFieldError(field=e.field, message=translate(e.message, locale, **(e.params or {})))
        for e in error.errors
    ]
    detail = translate(error.detail, locale, **error.params)
    if field_errors and error.detail == error.title:
        # The title alone says nothing useful; name the fields instead.
        detail = "; ".join(f"{e.field}: {e.message}" for e in field_errors)
    body = Problem(
        type=error.type_uri,
        title=translate(error.title, locale),
        status=error.status,
        detail=detail,
        instance=instance,
        errors=field_errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=error.headers,
    )
