"""Pydantic's validation errors, told in the caller's language.

Every error type our schemas can produce has its own message; pydantic's own English text never
reaches a Vietnamese answer (the English catalogue may add it as the reason).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from congdan.kit.errors import FieldError, ValidationFailed
from congdan.kit.i18n import N_, _, catalogue_has

_NOT_NUMBER = _("Cần một số, ví dụ 10.77.")
_NOT_INTEGER = _("Cần một số nguyên.")
_NOT_OBJECT = _("Cần một đối tượng JSON.")
_NOT_UUID = _("Không phải mã UUID hợp lệ.")
_NOT_DATETIME = _("Cần ngày giờ ISO 8601 có múi giờ, ví dụ 2026-12-12T08:30:00+07:00.")
_NOT_DATE = _("Cần ngày theo dạng NĂM-THÁNG-NGÀY, ví dụ 2026-12-12.")
_NOT_URL = _("Cần một địa chỉ web (URL) hợp lệ, ví dụ https://example.vn.")
_CHOICE = _("Giá trị phải là một trong: %(expected)s.")

_MESSAGES = {
    "missing": _("Thiếu trường bắt buộc."),
    "extra_forbidden": _("Trường này không được chấp nhận."),
    "greater_than_equal": _("Phải lớn hơn hoặc bằng %(ge)s."),
    "less_than_equal": _("Phải nhỏ hơn hoặc bằng %(le)s."),
    "greater_than": _("Phải lớn hơn %(gt)s."),
    "less_than": _("Phải nhỏ hơn %(lt)s."),
    "multiple_of": _("Phải là bội số của %(multiple_of)s."),
    "finite_number": _("Cần một số hữu hạn."),
    "literal_error": _CHOICE,
    "enum": _CHOICE,
    "string_type": _("Cần một chuỗi ký tự."),
    "string_sub_type": _("Cần một chuỗi ký tự."),
    "string_unicode": _("Cần một chuỗi ký tự Unicode hợp lệ."),
    "string_pattern_mismatch": _("Sai định dạng."),
    "string_not_ascii": _("Chỉ được dùng chữ cái không dấu, chữ số và ký hiệu ASCII."),
    "float_type": _NOT_NUMBER,
    "float_parsing": _NOT_NUMBER,
    "decimal_type": _NOT_NUMBER,
    "decimal_parsing": _NOT_NUMBER,
    "int_type": _NOT_INTEGER,
    "int_parsing": _NOT_INTEGER,
    "int_from_float": _NOT_INTEGER,
    "int_parsing_size": _("Số quá lớn."),
    "bool_type": _("Cần giá trị true hoặc false."),
    "bool_parsing": _("Cần giá trị true hoặc false."),
    "list_type": _("Cần một danh sách (mảng JSON)."),
    "tuple_type": _("Cần một danh sách (mảng JSON)."),
    "set_type": _("Cần một danh sách (mảng JSON)."),
    "iterable_type": _("Cần một danh sách (mảng JSON)."),
    "dict_type": _NOT_OBJECT,
    "mapping_type": _NOT_OBJECT,
    "model_type": _NOT_OBJECT,
    "model_attributes_type": _NOT_OBJECT,
    "dataclass_type": _NOT_OBJECT,
    "none_required": _("Trường này phải để trống (null)."),
    "uuid_parsing": _NOT_UUID,
    "uuid_type": _NOT_UUID,
    "uuid_version": _NOT_UUID,
    "datetime_type": _NOT_DATETIME,
    "datetime_parsing": _NOT_DATETIME,
    "datetime_from_date_parsing": _NOT_DATETIME,
    "datetime_object_invalid": _NOT_DATETIME,
    "timezone_aware": _("Thời gian phải có múi giờ."),
    "timezone_naive": _("Thời gian không được kèm múi giờ."),
    "date_type": _NOT_DATE,
    "date_parsing": _NOT_DATE,
    "date_from_datetime_parsing": _NOT_DATE,
    "date_from_datetime_inexact": _NOT_DATE,
    "time_type": _("Cần giờ theo dạng GIỜ:PHÚT, ví dụ 22:00."),
    "time_parsing": _("Cần giờ theo dạng GIỜ:PHÚT, ví dụ 22:00."),
    "url_type": _NOT_URL,
    "url_parsing": _NOT_URL,
    "url_syntax_violation": _NOT_URL,
    "url_scheme": _("Địa chỉ web phải bắt đầu bằng %(expected_schemes)s."),
    "url_too_long": _("Địa chỉ web quá dài."),
    "bytes_type": _("Cần dữ liệu nhị phân."),
    "json_type": _("Cần một chuỗi JSON."),
}

# Counted messages: the English catalogue chooses "1 character" or "5 characters" by the number.
_PLURALS = {
    "string_too_short": (
        N_("Quá ngắn: cần ít nhất %(n)s ký tự.", "Quá ngắn: cần ít nhất %(n)s ký tự."),
        "min_length",
    ),
    "string_too_long": (N_("Quá dài: tối đa %(n)s ký tự.", "Quá dài: tối đa %(n)s ký tự."), "max_length"),
    "too_short": (N_("Cần ít nhất %(n)s phần tử.", "Cần ít nhất %(n)s phần tử."), "min_length"),
    "too_long": (N_("Tối đa %(n)s phần tử.", "Tối đa %(n)s phần tử."), "max_length"),
    "bytes_too_short": (
        N_("Quá ngắn: cần ít nhất %(n)s byte.", "Quá ngắn: cần ít nhất %(n)s byte."),
        "min_length",
    ),
    "bytes_too_long": (N_("Quá dài: tối đa %(n)s byte.", "Quá dài: tối đa %(n)s byte."), "max_length"),
}

# Vietnamese says only this; the English translation adds pydantic's own reason.
_GENERIC = _("Giá trị không hợp lệ.")
_INVALID_JSON = _("Nội dung gửi lên không phải JSON hợp lệ (lỗi ở ký tự thứ %(position)s).")
_INVALID_JSON_SOMEWHERE = _("Nội dung gửi lên không phải JSON hợp lệ.")

_SOURCES = ("body", "query", "path", "header", "cookie", "form")


# Enough to fix a form; a body of thousands of unknown keys gets a short answer, not a long one.
MAX_ERRORS = 20
_MORE_ERRORS = N_("Và %(n)s lỗi khác.", "Và %(n)s lỗi khác.")


def from_pydantic(errors: Sequence[Any]) -> ValidationFailed:
    told = [_field_error(err) for err in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        told.append(FieldError("body", _MORE_ERRORS, {"n": len(errors) - MAX_ERRORS}))
    return ValidationFailed(errors=told)


def _field_error(err: Any) -> FieldError:
    kind = str(err.get("type"))
    loc = list(err.get("loc", ()))
    raw_ctx = err.get("ctx") or {}
    if kind == "json_invalid":
        # The location pydantic gives is a character offset into the body, not a field.
        offsets = [p for p in loc if isinstance(p, int)]
        if offsets:
            return FieldError("body", _INVALID_JSON, {"position": offsets[0] + 1})
        return FieldError("body", _INVALID_JSON_SOMEWHERE)
    field = ".".join(str(p) for p in loc if p not in _SOURCES) or "body"
    if kind in ("value_error", "assertion_error"):
        # Our own validators raise catalogue messages; anything else stays generic.
        reason = str(raw_ctx.get("error", ""))
        if catalogue_has(reason):
            return FieldError(field, reason)
        return FieldError(field, _GENERIC, {"reason": str(err.get("msg", ""))})
    ctx: dict[str, object] = {str(k): str(v) for k, v in raw_ctx.items()}
    if kind in _PLURALS:
        message, count_key = _PLURALS[kind]
        count = raw_ctx.get(count_key)
        if isinstance(count, int):
            return FieldError(field, message, {"n": count})
    elif kind in _MESSAGES:
        if "expected" in ctx and kind in ("literal_error", "enum"):
            ctx["expected"] = _choices(ctx["expected"])
        if "expected_schemes" in ctx:
            ctx["expected_schemes"] = _choices(str(ctx["expected_schemes"]))
        template = _MESSAGES[kind]
        try:
            template % ctx
        except (KeyError, TypeError, ValueError):
            pass
        else:
            return FieldError(field, template, ctx)
    return FieldError(field, _GENERIC, {"reason": str(err.get("msg", ""))})


def _choices(expected: object) -> str:
    """pydantic's "'report' or 'suggestion'" as the plain list "report, suggestion"."""
    parts = re.split(r",\s*|\s+or\s+", str(expected))
    return ", ".join(p.strip().strip("'\"") for p in parts if p.strip())
