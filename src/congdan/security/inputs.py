"""Refuses, on every route, text that no person types and that breaks what the text goes into.

NUL: PostgreSQL cannot store U+0000 in text (the query fails) while SQLite stores it silently.
The other characters XML 1.0 cannot carry (C0 controls but tab and line breaks, U+FFFE, U+FFFF,
lone surrogates) would make the Open311 XML documents that show them unreadable. Refusing them
at the edge gives one answer, 422, on both databases and for every text input.

A JSON object with more keys than any of our schemas has is refused here too, as one error, before
validation would spend time (and words) on each unknown key.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from congdan.kit.errors import ValidationFailed
from congdan.kit.i18n import _

# The characters themselves, in a decoded string.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# How they can appear in a JSON body: escaped (unless the backslash is itself escaped, an even run
# of backslashes before it) or U+FFFE/U+FFFF written out in UTF-8. Raw C0 controls are not JSON.
_JSON_UNSAFE = re.compile(
    rb"(?<!\\)(?:\\\\)*\\u(?:00[01][0-9a-f]|fff[ef]|d[89a-f][0-9a-f]{2})|\xef\xbf[\xbe\xbf]",
    re.IGNORECASE,
)
_ALLOWED_ESCAPES = {b"\\u0009", b"\\u000a", b"\\u000d"}
NUL_MESSAGE = _("Dữ liệu chứa ký tự NUL (\\0), không được chấp nhận.")
CONTROL_MESSAGE = _("Dữ liệu chứa ký tự điều khiển U+%(code)s, không được chấp nhận.")
TOO_MANY_KEYS = _("Quá nhiều trường trong một đối tượng: tối đa %(n)s.")
# More than any object our schemas take (a report has nine fields); a generous ceiling, not a rule.
MAX_KEYS = 100


def _refusal(text: str, field: str) -> ValidationFailed | None:
    found = _UNSAFE.search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return ValidationFailed(NUL_MESSAGE, field=field)
    return ValidationFailed(CONTROL_MESSAGE, field=field, code=f"{ord(char):04X}")


def _refuse_unsafe(text: str, field: str) -> None:
    error = _refusal(text, field)
    if error is not None:
        raise error


def _printable(name: str) -> str:
    return _UNSAFE.sub("", name)


def _check_document(document: Any, *, strings: bool) -> None:
    """The first overfull object (and unsafe string, when the body may hold one), walked without
    recursion; a path is built only for containers, so a big flat body costs one pass."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            if len(value) > MAX_KEYS:
                raise ValidationFailed(TOO_MANY_KEYS, field=_field(path), n=MAX_KEYS)
            items: Any = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            continue
        for key, item in items:
            if strings and isinstance(key, str):
                _refuse_unsafe(key, _field((*path, key)))
            if isinstance(item, dict | list):
                stack.append(((*path, str(key)), item))
            elif strings and isinstance(item, str):
                _refuse_unsafe(item, _field((*path, str(key))))


def _field(path: tuple[str, ...]) -> str:
    return _printable(".".join(path)) or "body"


def _may_hold_unsafe(body: bytes) -> bool:
    if b"\\u" not in body and b"\xef\xbf" not in body:
        return False
    return any(m.group().lower()[-6:] not in _ALLOWED_ESCAPES for m in _JSON_UNSAFE.finditer(body))


async def refuse_unsafe_text(request: Request) -> None:
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        _refuse_unsafe(f"{name}{value}", _printable(name))
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json") or content_type.endswith("+json"):
        body = await request.body()  # already read and kept by FastAPI for the endpoint
        strings = _may_hold_unsafe(body)
        if strings or body.count(b":") > MAX_KEYS:
            try:
                document = await request.json()  # parsed once: FastAPI has parsed it already
            except (ValueError, RecursionError):
                return  # not JSON after all: the endpoint's validation says so
            _check_document(document, strings=strings)
    elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        for name, value in form.multi_items():
            if isinstance(value, str):
                _refuse_unsafe(f"{name}{value}", _printable(name))
