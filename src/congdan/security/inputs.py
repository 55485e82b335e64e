"""Refuses text containing NUL characters anywhere in a request, on every route.

PostgreSQL cannot store U+0000 in text (the query fails) while SQLite stores it silently; no
person types it. Refusing it at the edge gives one answer, 422, on both databases.
"""

from __future__ import annotations

import re

from fastapi import Request

from congdan.kit.errors import ValidationFailed
from congdan.kit.i18n import _

# \u0000 in JSON, unless its backslash is itself escaped (an even run of backslashes before it).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
MESSAGE = _("Dữ liệu chứa ký tự NUL (\\0), không được chấp nhận.")


async def refuse_nul(request: Request) -> None:
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if "\x00" in str(value) or "\x00" in name:
            raise ValidationFailed(MESSAGE, field=name.replace("\x00", ""))
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json") or content_type.endswith("+json"):
        body = await request.body()  # already read and kept by FastAPI for the endpoint
        if b"\x00" in body or _JSON_NUL.search(body):
            raise ValidationFailed(MESSAGE, field="body")
    elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        for name, value in form.multi_items():
            if isinstance(value, str) and ("\x00" in value or "\x00" in name):
                raise ValidationFailed(MESSAGE, field=name.replace("\x00", ""))
