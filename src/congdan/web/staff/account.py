"""The staff member's own account: their browser sessions and recovery codes left."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from congdan.auth import sessions, staff
from congdan.deps import NowDep, SessionDep, SettingsDep
from congdan.notifications.messages import LOCAL_TZ
from congdan.web.staff.deps import StaffPageDep, render

router = APIRouter(include_in_schema=False)

ACCOUNT_PAGE = "/staff/tai-khoan"


def when(value: datetime) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")


@router.get(ACCOUNT_PAGE)
async def account_page(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep, me: StaffPageDep
) -> Response:
    assert me.account_id is not None
    rows = await sessions.listed(session, settings, me.account_id, now)
    context = {
        "sessions": rows,
        "this_session": request.state.staff.row.id,
        "codes_left": await staff.recovery_codes_left(session, me.account_id),
        "when": when,
    }
    return await render(request, session, "staff/account.html", context)


@router.post(ACCOUNT_PAGE + "/phien/{session_id}/thu-hoi")
async def revoke_session(
    session_id: uuid.UUID, session: SessionDep, now: NowDep, me: StaffPageDep
) -> Response:
    await sessions.revoke_own(session, me, session_id, now)
    return RedirectResponse(ACCOUNT_PAGE, status_code=303)
