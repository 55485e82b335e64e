"""The staff member's own account (their browser sessions) and the administrators' list of staff."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from congdan.auth import sessions, staff
from congdan.authz.policy import require_admin
from congdan.deps import NowDep, SessionDep, SettingsDep
from congdan.notifications.messages import LOCAL_TZ
from congdan.web.staff.deps import ROLE_LABELS, StaffPageDep, render

router = APIRouter(include_in_schema=False)

ACCOUNT_PAGE = "/staff/tai-khoan"
ADMIN_PAGE = "/staff/admin/staff"
DoneQuery = Annotated[str | None, Query(max_length=32)]


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


@router.get(ADMIN_PAGE)
async def staff_admin(
    request: Request, session: SessionDep, me: StaffPageDep, done: DoneQuery = None
) -> Response:
    require_admin(me)
    rows = await staff.staff_list(session, me)
    context = {"rows": rows, "roles": ROLE_LABELS, "done": done}
    return await render(request, session, "staff/admin_staff.html", context)


@router.post(ADMIN_PAGE + "/{account_id}/dat-lai-xac-thuc")
async def reset_factor(account_id: uuid.UUID, session: SessionDep, me: StaffPageDep) -> Response:
    await staff.reset_factor(session, me, account_id)
    return RedirectResponse(f"{ADMIN_PAGE}?done=reset", status_code=303)


@router.post(ADMIN_PAGE + "/{account_id}/thu-hoi-phien")
async def revoke_all(account_id: uuid.UUID, session: SessionDep, now: NowDep, me: StaffPageDep) -> Response:
    await sessions.revoke_all(session, me, account_id, now)
    return RedirectResponse(f"{ADMIN_PAGE}?done=revoked", status_code=303)


@router.post(ADMIN_PAGE + "/{account_id}/mo-khoa")
async def unlock(account_id: uuid.UUID, session: SessionDep, me: StaffPageDep) -> Response:
    await staff.unlock_account(session, me, account_id)
    return RedirectResponse(f"{ADMIN_PAGE}?done=unlocked", status_code=303)
