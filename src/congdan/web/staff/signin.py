"""Signing in to the workbench: password, then the second factor (enrolled on the first sign-in),
or the password and a recovery code; signing out."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from congdan.auth import sessions, staff
from congdan.auth.lockout import AccountLocked, Guard
from congdan.deps import NowDep, SessionDep, SettingsDep, staff_session_of
from congdan.kit.errors import AppError
from congdan.kit.i18n import translate
from congdan.security.cookies import delete_cookie, read_cookie, set_cookie
from congdan.security.ratelimit import client_address, limiter
from congdan.web.staff.deps import HOME, PASSWORD_PAGE, StaffPageDep, locale_of, render, safe_next
from congdan.web.staff.queue import queue_page

router = APIRouter(include_in_schema=False)

NextQuery = Annotated[str | None, Query(max_length=500)]
Email = Annotated[str, Form(max_length=254)]
Password = Annotated[str, Form(max_length=1024)]
Code = Annotated[str, Form(max_length=32)]
NextForm = Annotated[str, Form(max_length=500)]
FACTOR_PAGE = "/staff/xac-thuc"


def _guard(request: Request) -> Guard:
    return Guard(limiter(request), client_address(request.scope))


def _error(request: Request, exc: AppError) -> str:
    return translate(exc.detail, locale_of(request), **exc.params)


def _to(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


def _with_cookie(response: Response, request: Request, raw: str) -> Response:
    set_cookie(response, request, request.app.state.settings.staff_session_cookie_name, raw)
    return response


@router.get("/staff/")
async def home(request: Request, session: SessionDep, next: NextQuery = None) -> Response:
    found = await staff_session_of(request)
    if found is not None and found.account.must_change_password:
        return _to(PASSWORD_PAGE)
    if found is not None:
        request.state.staff = found
        return await queue_page(request, session, found.principal)
    return await render(request, session, "staff/sign_in.html", {"next": safe_next(next), "error": None})


@router.post("/staff/dang-nhap")
async def sign_in(
    request: Request,
    session: SessionDep,
    now: NowDep,
    email: Email,
    password: Password,
    next: NextForm = HOME,
) -> Response:
    target = safe_next(next)
    try:
        account = await staff.check_password(session, _guard(request), email, password)
    except (staff.WrongPassword, AccountLocked) as exc:
        # A wrong password's counted failure and audit rows are kept: the unit of work commits.
        context: dict[str, Any] = {"next": target, "error": _error(request, exc), "email": email}
        context["locked"] = isinstance(exc, AccountLocked)
        return await render(request, session, "staff/sign_in.html", context, status_code=exc.status)
    if not await staff.is_enrolled(session, account):
        await staff.begin_enrolment(session, account)
    _row, raw = await sessions.start(
        session,
        account,
        stage=sessions.AWAITING_FACTOR,
        user_agent=request.headers.get("user-agent", ""),
        address=client_address(request.scope),
        now=now,
    )
    return _with_cookie(_to(f"{FACTOR_PAGE}?next={quote(target, safe='/')}"), request, raw)


async def _awaiting(request: Request, session: SessionDep, now: NowDep) -> sessions.Current | None:
    raw = read_cookie(request, request.app.state.settings.staff_session_cookie_name)
    return await sessions.current(
        session, request.app.state.settings, raw, now, stage=sessions.AWAITING_FACTOR
    )


async def _factor_page(
    request: Request,
    session: SessionDep,
    found: sessions.Current,
    target: str,
    *,
    error: str | None,
    status: int,
) -> Response:
    enrolment = await staff.pending_enrolment(session, found.account)
    context = {"next": target, "error": error, "enrolment": enrolment}
    return await render(request, session, "staff/second_factor.html", context, status_code=status)


@router.get(FACTOR_PAGE)
async def factor_page(request: Request, session: SessionDep, now: NowDep, next: NextQuery = None) -> Response:
    found = await _awaiting(request, session, now)
    if found is None:
        return _to(HOME)
    return await _factor_page(request, session, found, safe_next(next), error=None, status=200)


@router.post(FACTOR_PAGE)
async def check_factor(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    code: Code,
    next: NextForm = HOME,
) -> Response:
    target = safe_next(next)
    found = await _awaiting(request, session, now)
    if found is None:
        return _to(HOME)
    try:
        passed = await staff.check_code(session, settings, _guard(request), found.account, code, now)
    except (staff.WrongSecondFactor, AccountLocked) as exc:
        return await _factor_page(
            request, session, found, target, error=_error(request, exc), status=exc.status
        )
    await sessions.complete(session, found.row, now)
    await staff.record_sign_in(session, found.account, via="totp", surface="web")
    if passed.recovery_codes:
        # Shown in this answer only: they are stored as hashes.
        request.state.staff = found
        context = {"codes": passed.recovery_codes, "next": target}
        return await render(request, session, "staff/recovery_codes.html", context)
    return _to(PASSWORD_PAGE if found.account.must_change_password else target)


@router.get("/staff/khoi-phuc")
async def recovery_page(request: Request, session: SessionDep, next: NextQuery = None) -> Response:
    return await render(request, session, "staff/recovery.html", {"next": safe_next(next), "error": None})


@router.post("/staff/khoi-phuc")
async def recover(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    email: Email,
    password: Password,
    code: Code,
    next: NextForm = HOME,
) -> Response:
    target = safe_next(next)
    try:
        account = await staff.recover(session, settings, _guard(request), email, password, code, now)
    except (staff.WrongPassword, AccountLocked) as exc:
        context = {"next": target, "error": _error(request, exc), "email": email}
        return await render(request, session, "staff/recovery.html", context, status_code=exc.status)
    _row, raw = await sessions.start(
        session,
        account,
        stage=sessions.SIGNED_IN,
        user_agent=request.headers.get("user-agent", ""),
        address=client_address(request.scope),
        now=now,
    )
    await staff.record_sign_in(session, account, via="recovery_code", surface="web")
    return _with_cookie(_to(PASSWORD_PAGE if account.must_change_password else target), request, raw)


@router.post("/staff/dang-xuat")
async def sign_out(request: Request, session: SessionDep, now: NowDep, _staff: StaffPageDep) -> Response:
    await sessions.sign_out(session, request.state.staff, now)
    response = _to(HOME)
    delete_cookie(response, request, request.app.state.settings.staff_session_cookie_name)
    return response
