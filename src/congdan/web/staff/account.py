"""The staff member's own account: their browser sessions, recovery codes left, and their password."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.accounts.service import MIN_PASSWORD
from congdan.auth import sessions, staff, staff_passwords
from congdan.auth.lockout import Guard
from congdan.deps import NowDep, SessionDep, SettingsDep
from congdan.kit.errors import AppError
from congdan.notifications.messages import LOCAL_TZ
from congdan.security.ratelimit import client_address, limiter
from congdan.web.refusal import messages, refusal
from congdan.web.staff.deps import PASSWORD_PAGE, StaffPageDep, locale_of, render

router = APIRouter(include_in_schema=False)

ACCOUNT_PAGE = "/staff/tai-khoan"
Password = Annotated[str, Form(max_length=1024)]
DoneQuery = Annotated[str | None, Query(max_length=32)]


def when(value: datetime) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")


@router.get(ACCOUNT_PAGE)
async def account_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    me: StaffPageDep,
    done: DoneQuery = None,
) -> Response:
    assert me.account_id is not None
    rows = await sessions.listed(session, settings, me.account_id, now)
    context = {
        "sessions": rows,
        "this_session": request.state.staff.row.id,
        "codes_left": await staff.recovery_codes_left(session, me.account_id),
        "when": when,
        "done": done,
    }
    return await render(request, session, "staff/account.html", context)


@router.post(ACCOUNT_PAGE + "/phien/{session_id}/thu-hoi")
async def revoke_session(
    session_id: uuid.UUID, session: SessionDep, now: NowDep, me: StaffPageDep
) -> Response:
    await sessions.revoke_own(session, me, session_id, now)
    return RedirectResponse(ACCOUNT_PAGE, status_code=303)


async def _password_page(
    request: Request, session: AsyncSession, *, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    current: sessions.Current = request.state.staff
    context: dict[str, Any] = {
        "errors": errors or {},
        "forced": current.account.must_change_password,
        "min_length": MIN_PASSWORD,
    }
    return await render(request, session, "staff/password.html", context, status_code=status_code)


@router.get(PASSWORD_PAGE)
async def password_page(request: Request, session: SessionDep, _me: StaffPageDep) -> Response:
    return await _password_page(request, session)


@router.post(PASSWORD_PAGE)
async def change_password(
    request: Request,
    session: SessionDep,
    now: NowDep,
    _me: StaffPageDep,
    current_password: Password = "",
    new_password: Password = "",
    new_password_again: Password = "",
) -> Response:
    """Every other session of the account ends; this browser stays signed in."""
    guard = Guard(limiter(request), client_address(request.scope))
    try:
        await staff_passwords.change_own(
            session,
            guard,
            request.state.staff,
            current=current_password,
            new=new_password,
            again=new_password_again,
            now=now,
        )
    except AppError as exc:
        errors = messages(exc, locale_of(request), default_field="current_password")
        page = await _password_page(request, session, errors=errors, status_code=exc.status)
        raise refusal(exc, page) from exc
    return RedirectResponse(f"{ACCOUNT_PAGE}?done=password", status_code=303)
