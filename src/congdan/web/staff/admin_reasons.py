"""Administrators' pages for the reasons for not accepting a report: the list (in use or not)
with a form for a new one, an edit form for each, and taking one out of use or back; over the
replies service, which keeps codes unique and records every change in the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz.policy import Principal
from congdan.deps import SessionDep
from congdan.kit.errors import NotFound
from congdan.kit.i18n import _
from congdan.models import RejectionReason
from congdan.web.staff.admin import AdminPageDep, parsed, refusal_shows
from congdan.web.staff.deps import render
from congdan.workbench import replies
from congdan.workbench.schemas import ReasonIn, ReasonPatch

router = APIRouter(include_in_schema=False)

REASONS = "/staff/admin/ly-do"
Text = Annotated[str, Form(max_length=5_000)]
Short = Annotated[str, Form(max_length=200)]
Flag = Annotated[str | None, Form(max_length=8)]
ReasonCode = Annotated[str, Path(max_length=64)]
DoneQuery = Annotated[str | None, Query(max_length=32)]


async def _list(
    request: Request,
    session: AsyncSession,
    me: Principal,
    *,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "rows": await replies.list_reasons(session, me, include_inactive=True),
        "done": done,
        "errors": errors or {},
        "form": form or {"sort_order": "0"},
    }
    return await render(request, session, "staff/admin/reasons.html", context, status_code=status_code)


@router.get(REASONS)
async def reasons_page(
    request: Request, session: SessionDep, me: AdminPageDep, done: DoneQuery = None
) -> Response:
    return await _list(request, session, me, done=done)


@router.post(REASONS)
async def create_reason(
    request: Request,
    session: SessionDep,
    me: AdminPageDep,
    code: Short = "",
    text_vi: Text = "",
    text_en: Text = "",
    sort_order: Short = "0",
) -> Response:
    form = {"code": code, "text_vi": text_vi, "text_en": text_en, "sort_order": sort_order}
    async with refusal_shows(
        request,
        session,
        lambda errors, status: _list(request, session, me, errors=errors, form=form, status_code=status),
        default_field="code",
    ):
        data = parsed(
            ReasonIn, code=code.strip(), text_vi=text_vi, text_en=text_en, sort_order=sort_order or "0"
        )
        await replies.create_reason(session, me, data)
    return RedirectResponse(f"{REASONS}?done=created", status_code=303)


async def _reason(session: AsyncSession, me: Principal, code: str) -> RejectionReason:
    for reason in await replies.list_reasons(session, me, include_inactive=True):
        if reason.code == code:
            return reason
    raise NotFound(_("Không tìm thấy lý do không tiếp nhận."))


async def _edit(
    request: Request,
    session: AsyncSession,
    me: Principal,
    code: str,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    reason = await _reason(session, me, code)
    shown = form or {
        "text_vi": reason.text_vi,
        "text_en": reason.text_en,
        "sort_order": str(reason.sort_order),
        "is_active": reason.is_active,
    }
    context = {"reason": reason, "errors": errors or {}, "form": shown}
    return await render(request, session, "staff/admin/reason_edit.html", context, status_code=status_code)


@router.get(REASONS + "/{code}")
async def edit_page(request: Request, code: ReasonCode, session: SessionDep, me: AdminPageDep) -> Response:
    return await _edit(request, session, me, code)


@router.post(REASONS + "/{code}")
async def update_reason(
    request: Request,
    code: ReasonCode,
    session: SessionDep,
    me: AdminPageDep,
    text_vi: Text = "",
    text_en: Text = "",
    sort_order: Short = "0",
    is_active: Flag = None,
) -> Response:
    form = {"text_vi": text_vi, "text_en": text_en, "sort_order": sort_order, "is_active": bool(is_active)}
    async with refusal_shows(
        request,
        session,
        lambda errors, status: _edit(
            request, session, me, code, errors=errors, form=form, status_code=status
        ),
        default_field="text_vi",
    ):
        data = parsed(
            ReasonPatch,
            text_vi=text_vi,
            text_en=text_en,
            sort_order=sort_order or "0",
            is_active=bool(is_active),
        )
        await replies.update_reason(session, me, code, data)
    return RedirectResponse(f"{REASONS}?done=updated", status_code=303)


@router.post(REASONS + "/{code}/ngung-dung")
async def deactivate_reason(code: ReasonCode, session: SessionDep, me: AdminPageDep) -> Response:
    await replies.update_reason(session, me, code, ReasonPatch(is_active=False))
    return RedirectResponse(f"{REASONS}?done=deactivated", status_code=303)


@router.post(REASONS + "/{code}/dung-lai")
async def reactivate_reason(code: ReasonCode, session: SessionDep, me: AdminPageDep) -> Response:
    await replies.update_reason(session, me, code, ReasonPatch(is_active=True))
    return RedirectResponse(f"{REASONS}?done=reactivated", status_code=303)
