"""Pydantic's validation errors, told in the caller's language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from congdan.kit.errors import FieldError, ValidationFailed
from congdan.kit.i18n import _

_MESSAGES = {
    "missing": _("Thiếu trường bắt buộc."),
    "string_too_short": _("Quá ngắn: cần ít nhất %(min_length)s ký tự."),
    "string_too_long": _("Quá dài: tối đa %(max_length)s ký tự."),
    "too_short": _("Cần ít nhất %(min_length)s phần tử."),
    "too_long": _("Tối đa %(max_length)s phần tử."),
    "greater_than_equal": _("Phải lớn hơn hoặc bằng %(ge)s."),
    "less_than_equal": _("Phải nhỏ hơn hoặc bằng %(le)s."),
    "greater_than": _("Phải lớn hơn %(gt)s."),
    "less_than": _("Phải nhỏ hơn %(lt)s."),
    "literal_error": _("Giá trị phải là một trong: %(expected)s."),
    "enum": _("Giá trị phải là một trong: %(expected)s."),
    "extra_forbidden": _("Trường này không được chấp nhận."),
    "uuid_parsing": _("Không phải mã UUID hợp lệ."),
    "uuid_type": _("Không phải mã UUID hợp lệ."),
    "json_invalid": _("Nội dung JSON không hợp lệ."),
    "model_attributes_type": _("Cần một đối tượng JSON."),
    "dict_type": _("Cần một đối tượng JSON."),
    "timezone_aware": _("Thời gian phải có múi giờ."),
}
_GENERIC = _("Giá trị không hợp lệ (%(reason)s).")


def from_pydantic(errors: Sequence[Any]) -> ValidationFailed:
    fields = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "form")]
        field = ".".join(loc) or "body"
        ctx: dict[str, object] = {str(k): str(v) for k, v in (err.get("ctx") or {}).items()}
        template = _MESSAGES.get(str(err.get("type")))
        if template is None:
            fields.append(FieldError(field, _GENERIC, {"reason": str(err.get("msg", ""))}))
        else:
            try:
                template % ctx
            except (KeyError, TypeError, ValueError):
                fields.append(FieldError(field, _GENERIC, {"reason": str(err.get("msg", ""))}))
                continue
            fields.append(FieldError(field, template, ctx))
    return ValidationFailed(errors=fields)
