"""Server-sent events: a report's page and an agency's queue hear of changes without reloading."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from sse_starlette.sse import EventSourceResponse

from congdan.authz.policy import require_queue_access
from congdan.deps import LivePrincipalDep, SessionDep
from congdan.integrations.live import Broker
from congdan.kit.problems import problems
from congdan.live.service import queue_channel, report_channel
from congdan.reports import service as reports

router = APIRouter(prefix="/api/v1", tags=["live"])
PING_SECONDS = 15
_SSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "text/event-stream", "content": {"text/event-stream": {}}}
}


def _stream(request: Request, channel: str) -> EventSourceResponse:
    broker: Broker = request.app.state.live

    async def events() -> AsyncIterator[dict[str, str]]:
        async with broker.listen([channel]) as messages:
            yield {"event": "ready", "data": channel}
            async for data in messages:
                yield {"event": "update", "data": data}

    return EventSourceResponse(events(), ping=PING_SECONDS, headers={"X-Accel-Buffering": "no"})


@router.get(
    "/reports/{report_id}/live",
    summary="Cập nhật trực tiếp của một phản ánh (SSE) / Live updates for a report",
    responses={**_SSE, **problems(401, 404)},
    response_class=EventSourceResponse,
)
async def report_live(
    report_id: uuid.UUID, request: Request, session: SessionDep, principal: LivePrincipalDep
) -> EventSourceResponse:
    report = await reports.get_for(session, principal, report_id)
    await session.close()  # the stream may stay open for hours: hold no connection
    return _stream(request, report_channel(report.id))


@router.get(
    "/agencies/{agency_code}/queue/live",
    summary="Cập nhật trực tiếp hàng đợi của cơ quan (SSE) / Live updates for an agency's queue",
    responses={**_SSE, **problems(401, 403)},
    response_class=EventSourceResponse,
)
async def queue_live(agency_code: str, request: Request, principal: LivePrincipalDep) -> EventSourceResponse:
    require_queue_access(principal, agency_code)
    return _stream(request, queue_channel(agency_code))
