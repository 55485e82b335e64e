"""Refuses text containing NUL characters anywhere in a request, on every route.

PostgreSQL cannot store U+0000 in text (the query fails) while SQLite stores it silently; no
person types it. Refusing it at the edge gives one answer, 422, on both databases.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request

from congdan.kit.errors import ValidationFailed
from congdan.kit.i18n import _

# \u0000 in JSON, unless its backslash is itself escaped (an even run of backslashes before it).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
MESSAGE = _("Dữ liệu chứa ký tự NUL (\\0), không được chấp nhận.")


def _nul_path(value: Any, path: str = "") -> str | None:
    """Where in a JSON document the first NUL is, as "location.lat" or "photos.0"."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return f"{path}.{key}".strip(".").replace("\x00", "")
            items.append((key, item))
    elif isinstance(value, list):
        items = [(str(i), item) for i, item in enumerate(value)]
    for key, item in items:
        found = _nul_path(item, f"{path}.{key}" if path else key)
        if found is not None:
            return found
    return None


async def refuse_nul(request: Request) -> None:
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if "\x00" in str(value) or "\x00" in name:
            raise ValidationFailed(MESSAGE, field=name.replace("\x00", ""))
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json") or content_type.endswith("+json"):
        body = await request.body()  # already read and kept by FastAPI for the endpoint
        if _JSON_NUL.search(body):
            try:
                where = _nul_path(json.loads(body))
            except ValueError:
                return  # not JSON after all: the endpoint's validation says so
            if where is not None:
                raise ValidationFailed(MESSAGE, field=where or "body")
    elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        for name, value in form.multi_items():
            if isinstance(value, str) and ("\x00" in value or "\x00" in name):
                raise ValidationFailed(MESSAGE, field=name.replace("\x00", ""))
