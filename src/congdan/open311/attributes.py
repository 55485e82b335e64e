"""Service attributes sent with a request, checked against the service definition."""

from __future__ import annotations

import math

from congdan.kit.errors import BadRequest, FieldError
from congdan.kit.i18n import _
from congdan.open311.definitions import Attribute, info_for
from congdan.open311.formats import parse_w3c, w3c

_MAX_STRING = 200
_MAX_TEXT = 4000


def validate_attributes(code: str, raw: dict[str, list[str]]) -> dict[str, object]:
    """Checks attribute[code] and attribute[code][] against the service definition."""
    definitions = {a.code: a for a in info_for(code).attributes}
    errors: list[FieldError] = []
    clean: dict[str, object] = {}
    for name in raw:
        if name not in definitions:
            errors.append(
                FieldError(
                    f"attribute[{name}]",
                    _("Dịch vụ %(service)s không có thuộc tính %(code)s."),
                    {"service": code, "code": name},
                )
            )
    for attribute in definitions.values():
        field = f"attribute[{attribute.code}]"
        sent = raw.get(attribute.code)
        values = [v.strip() for v in sent if v.strip()] if sent else []
        if not values:
            if attribute.required:
                errors.append(
                    FieldError(field, _("Thiếu thuộc tính bắt buộc %(code)s."), {"code": attribute.code})
                )
            continue
        problem = _check_value(attribute, values)
        if isinstance(problem, FieldError):
            errors.append(problem)
        else:
            clean[attribute.code] = problem
    if errors:
        raise BadRequest(errors=errors)
    return clean


def _check_value(attribute: Attribute, values: list[str]) -> object:
    field = f"attribute[{attribute.code}]"
    params: dict[str, object] = {"code": attribute.code}
    if attribute.datatype == "multivaluelist":
        unknown = [v for v in values if v not in attribute.keys]
        if unknown:
            return FieldError(field, _("Giá trị không có trong danh sách của %(code)s."), params)
        return list(dict.fromkeys(values))
    if len(values) > 1:
        return FieldError(field, _("Thuộc tính %(code)s chỉ nhận một giá trị."), params)
    value = values[0]
    if attribute.datatype == "singlevaluelist":
        if value not in attribute.keys:
            return FieldError(field, _("Giá trị không có trong danh sách của %(code)s."), params)
        return value
    if attribute.datatype == "number":
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            return FieldError(field, _("Thuộc tính %(code)s phải là một số."), params)
        return number
    if attribute.datatype == "datetime":
        moment = parse_w3c(value)
        if moment is None:
            return FieldError(field, _("Thuộc tính %(code)s phải là ngày giờ W3C có múi giờ."), params)
        return w3c(moment)
    limit = _MAX_TEXT if attribute.datatype == "text" else _MAX_STRING
    if len(value) > limit or (attribute.datatype == "string" and "\n" in value):
        return FieldError(field, _("Thuộc tính %(code)s quá dài hoặc sai định dạng."), params)
    return value
