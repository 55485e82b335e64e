"""The administrators' page of staff accounts: the list with its second-factor, session and
lock actions; a new account (its initial password shown once, to hand over); each account's
role and agency; deactivating an account. The rules and the audit rows are in the accounts and
auth services, the same as `congdan user create` / `set-role` use."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.accounts import service as accounts
from congdan.auth import sessions, staff, staff_passwords
from congdan.authz.policy import Principal
from congdan.deps import NowDep, SessionDep
from congdan.kit.errors import AppError
from congdan.kit.i18n import translate
from congdan.web.staff.admin import AdminPageDep, form_errors, options, refused_form
from congdan.web.staff.deps import ROLE_LABELS, locale_of, render

router = APIRouter(include_in_schema=False)

ADMIN_PAGE = "/staff/admin/staff"
DoneQuery = Annotated[str | None, Query(max_length=32)]
Short = Annotated[str, Form(max_length=320)]
# The service's field names → the form's.
FIELDS = {"agency": "agency_code", "password": "email"}


def role_options(request: Request) -> list[tuple[str, str]]:
    locale = locale_of(request)
    return [(code, translate(label, locale)) for code, label in ROLE_LABELS.items()]


async def _list(
    request: Request,
    session: AsyncSession,
    me: Principal,
    *,
    done: str | None = None,
    created: accounts.NewStaff | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "rows": await staff.staff_list(session, me),
        "roles": ROLE_LABELS,
        "role_options": role_options(request),
        "done": done,
        "created": created,
        "errors": errors or {},
        "form": form or {},
        **await options(session, locale_of(request)),
    }
    return await render(request, session, "staff/admin_staff.html", context, status_code=status_code)


@router.get(ADMIN_PAGE)
async def staff_admin(
    request: Request, session: SessionDep, me: AdminPageDep, done: DoneQuery = None
) -> Response:
    return await _list(request, session, me, done=done)


@router.post(ADMIN_PAGE)
async def create_account(
    request: Request,
    session: SessionDep,
    me: AdminPageDep,
    email: Short = "",
    display_name: Short = "",
    role: Short = "",
    agency_code: Short = "",
) -> Response:
    """The answer shows the initial password once and is not kept by the browser's cache."""
    form = {"email": email, "display_name": display_name, "role": role, "agency_code": agency_code}
    try:
        async with session.begin_nested():
            created = await accounts.create_staff_by_admin(
                session,
                me,
                email=email,
                role=role,
                agency_code=agency_code or None,
                display_name=display_name.strip() or None,
            )
    except AppError as exc:
        errors = form_errors(request, exc, default_field="email", fields=FIELDS)
        raise await refused_form(
            exc, lambda status: _list(request, session, me, errors=errors, form=form, status_code=status)
        ) from exc
    page = await _list(request, session, me, created=created)
    page.headers["Cache-Control"] = "no-store"
    return page


async def _account_page(
    request: Request,
    session: AsyncSession,
    me: Principal,
    account_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
    new_password: str | None = None,
) -> Response:
    account = await accounts.staff_account(session, me, account_id)
    context = {
        "account": account,
        "new_password": new_password,
        "role_options": role_options(request),
        "errors": errors or {},
        "form": form or {"role": account.role, "agency_code": account.agency_code or ""},
        "is_me": account.id == me.account_id,
        **await options(session, locale_of(request)),
    }
    return await render(request, session, "staff/admin/staff_account.html", context, status_code=status_code)


@router.get(ADMIN_PAGE + "/{account_id}")
async def account_page(
    request: Request, account_id: uuid.UUID, session: SessionDep, me: AdminPageDep
) -> Response:
    return await _account_page(request, session, me, account_id)


@router.post(ADMIN_PAGE + "/{account_id}/vai-tro")
async def change_role(
    request: Request,
    account_id: uuid.UUID,
    session: SessionDep,
    me: AdminPageDep,
    role: Short = "",
    agency_code: Short = "",
) -> Response:
    form = {"role": role, "agency_code": agency_code}
    try:
        async with session.begin_nested():
            await accounts.change_role_of(session, me, account_id, role=role, agency_code=agency_code or None)
    except AppError as exc:
        errors = form_errors(request, exc, default_field="role", fields=FIELDS)
        raise await refused_form(
            exc,
            lambda status: _account_page(
                request, session, me, account_id, errors=errors, form=form, status_code=status
            ),
        ) from exc
    return RedirectResponse(f"{ADMIN_PAGE}?done=role", status_code=303)


@router.post(ADMIN_PAGE + "/{account_id}/ngung")
async def deactivate(
    request: Request, account_id: uuid.UUID, session: SessionDep, now: NowDep, me: AdminPageDep
) -> Response:
    """No more sign-ins, and the sessions and tokens already handed out end now."""
    try:
        async with session.begin_nested():
            await accounts.set_active(session, me, account_id, active=False)
            await sessions.revoke_all(session, me, account_id, now)
    except AppError as exc:
        errors = form_errors(request, exc, default_field="role")
        raise await refused_form(
            exc,
            lambda status: _account_page(request, session, me, account_id, errors=errors, status_code=status),
        ) from exc
    return RedirectResponse(f"{ADMIN_PAGE}?done=deactivated", status_code=303)


@router.post(ADMIN_PAGE + "/{account_id}/dat-lai-mat-khau")
async def reset_password(
    request: Request, account_id: uuid.UUID, session: SessionDep, now: NowDep, me: AdminPageDep
) -> Response:
    """The answer shows the one-time password once and is not kept by the browser's cache."""
    try:
        async with session.begin_nested():
            password = await staff_passwords.reset(session, me, account_id, now)
    except AppError as exc:
        errors = form_errors(request, exc, default_field="password")
        raise await refused_form(
            exc,
            lambda status: _account_page(request, session, me, account_id, errors=errors, status_code=status),
        ) from exc
    page = await _account_page(request, session, me, account_id, new_password=password)
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post(ADMIN_PAGE + "/{account_id}/kich-hoat")
async def reactivate(account_id: uuid.UUID, session: SessionDep, me: AdminPageDep) -> Response:
    await accounts.set_active(session, me, account_id, active=True)
    return RedirectResponse(f"{ADMIN_PAGE}?done=reactivated", status_code=303)


@router.post(ADMIN_PAGE + "/{account_id}/dat-lai-xac-thuc")
async def reset_factor(account_id: uuid.UUID, session: SessionDep, me: AdminPageDep) -> Response:
    await staff.reset_factor(session, me, account_id)
    return RedirectResponse(f"{ADMIN_PAGE}?done=reset", status_code=303)


@router.post(ADMIN_PAGE + "/{account_id}/thu-hoi-phien")
async def revoke_all(account_id: uuid.UUID, session: SessionDep, now: NowDep, me: AdminPageDep) -> Response:
    await sessions.revoke_all(session, me, account_id, now)
    return RedirectResponse(f"{ADMIN_PAGE}?done=revoked", status_code=303)


@router.post(ADMIN_PAGE + "/{account_id}/mo-khoa")
async def unlock(account_id: uuid.UUID, session: SessionDep, me: AdminPageDep) -> Response:
    await staff.unlock_account(session, me, account_id)
    return RedirectResponse(f"{ADMIN_PAGE}?done=unlocked", status_code=303)
