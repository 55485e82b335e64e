"""Business errors carry their HTTP status; the API turns each into RFC 9457 problem+json.

Titles and details are message ids (Vietnamese) translated to the caller's language at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from congdan.kit.i18n import Message, _

PROBLEM_JSON = "application/problem+json"


@dataclass
class FieldError:
    field: str
    message: Message
    params: dict[str, object] | None = None


class AppError(Exception):
    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = _("Yêu cầu không hợp lệ")
    # A refusal normally undoes the unit of work; one that must be remembered (a wrong one-time
    # code counts as an attempt) keeps what was written before it was raised.
    keeps_changes: ClassVar[bool] = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        field: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        **params: object,
    ) -> None:
        self.detail = detail or self.title
        self.params = params
        self.errors = list(errors or [])
        if field is not None:
            self.errors.append(FieldError(field, self.detail, params))
        self.headers = headers or {}
        super().__init__(self.detail % params if params else self.detail)

    @property
    def type_uri(self) -> str:
        return f"/problems/{self.slug}"


class BadRequest(AppError):
    pass


class ValidationFailed(AppError):
    status = 422
    slug = "validation"
    title = _("Dữ liệu gửi lên không hợp lệ")


class Unauthorized(AppError):
    status = 401
    slug = "unauthorized"
    title = _("Cần đăng nhập")


class Forbidden(AppError):
    status = 403
    slug = "forbidden"
    title = _("Không có quyền thực hiện thao tác này")


class NotFound(AppError):
    status = 404
    slug = "not-found"
    title = _("Không tìm thấy")


class Conflict(AppError):
    status = 409
    slug = "conflict"
    title = _("Xung đột trạng thái")


class InvalidTransition(Conflict):
    slug = "invalid-transition"
    title = _("Không thể chuyển trạng thái")


class IdempotencyInProgress(Conflict):
    slug = "idempotency-in-progress"
    title = _("Yêu cầu cùng khóa đang được xử lý")


class IdempotencyMismatch(ValidationFailed):
    slug = "idempotency-mismatch"
    title = _("Khóa Idempotency-Key đã dùng cho một yêu cầu khác")


class PayloadTooLarge(AppError):
    status = 413
    slug = "payload-too-large"
    title = _("Dữ liệu gửi lên quá lớn")

    @classmethod
    def over(cls, max_bytes: int) -> PayloadTooLarge:
        """The refusal that names the limit, in whole megabytes (a body over 10.06 MB is over 10 MB),
        or kilobytes under one megabyte."""
        if max_bytes < 1024 * 1024:
            return cls(_("Dữ liệu gửi lên vượt quá giới hạn %(kb)s KB."), kb=max(1, max_bytes // 1024))
        return cls(_("Dữ liệu gửi lên vượt quá giới hạn %(mb)s MB."), mb=max(1, max_bytes // (1024 * 1024)))


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"
    title = _("Định dạng không được hỗ trợ")


class ServiceUnavailable(AppError):
    status = 503
    slug = "unavailable"
    title = _("Dịch vụ tạm thời không sẵn sàng")
