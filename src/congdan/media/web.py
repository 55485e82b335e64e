"""GET /media/{key}: stored files, each under the rule of the row it belongs to (see service)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from congdan.db import utcnow
from congdan.deps import PrincipalDep, SessionDep
from congdan.media import service

router = APIRouter(include_in_schema=False)


@router.get("/media/{key:path}")
async def media(key: str, request: Request, session: SessionDep, principal: PrincipalDep) -> Response:
    found = await service.stored_file(session, request.app.state.storage, principal, key, utcnow())
    headers = {
        # A private photo must not be kept by a shared cache for the next person asking.
        "Cache-Control": "public, max-age=86400" if found.public else "private, max-age=3600",
        "X-Content-Type-Options": "nosniff",
    }
    if found.filename is not None:
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(found.filename, safe='')}"
    return Response(found.data, media_type=found.content_type, headers=headers)
