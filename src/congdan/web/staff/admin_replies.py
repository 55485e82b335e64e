"""The pages for reply templates: the list with a form for a new one, an edit form for each, and
deleting; over the same services as the JSON API (workbench/replies.py), which check the
placeholders and record every change in the audit log. Administrators manage every template; an
agency's managers their own agency's (authz `can_manage_templates`), and see only those."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz.policy import ADMIN, Principal, require_some_template_manager
from congdan.deps import SessionDep
from congdan.web.staff.admin import options, parsed, refusal_shows, refused_unless
from congdan.web.staff.deps import locale_of, render
from congdan.workbench import replies
from congdan.workbench.schemas import TemplateIn, TemplatePatch

router = APIRouter(include_in_schema=False)

TEMPLATES = "/staff/admin/mau-tra-loi"
Text = Annotated[str, Form(max_length=20_000)]
Code = Annotated[str, Form(max_length=200)]
Flag = Annotated[str | None, Form(max_length=8)]
DoneQuery = Annotated[str | None, Query(max_length=32)]
PLACEHOLDERS = ["{" + name + "}" for name in replies.PLACEHOLDERS]
TemplatesPageDep = Annotated[Principal, Depends(refused_unless(require_some_template_manager))]


async def _choices(request: Request, session: AsyncSession, me: Principal) -> dict[str, Any]:
    found = await options(session, locale_of(request))
    every_agency = me.role == ADMIN
    return {
        **found,
        "agency_names": dict(found["agency_options"]),
        # A manager writes templates for their own agency only.
        "agency_options": [o for o in found["agency_options"] if every_agency or o[0] == me.agency_code],
        "every_agency": every_agency,
        "category_names": dict(found["category_options"]),
        "placeholders": PLACEHOLDERS,
    }


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
    rows = await replies.templates_to_manage(session, me)
    context = {
        "rows": rows,
        "done": done,
        "errors": errors or {},
        "form": form or {"is_active": True, "agency": "" if me.role == ADMIN else me.agency_code},
        **await _choices(request, session, me),
    }
    return await render(request, session, "staff/admin/replies.html", context, status_code=status_code)


@router.get(TEMPLATES)
async def templates_page(
    request: Request, session: SessionDep, me: TemplatesPageDep, done: DoneQuery = None
) -> Response:
    return await _list(request, session, me, done=done)


@router.post(TEMPLATES)
async def create_template(
    request: Request,
    session: SessionDep,
    me: TemplatesPageDep,
    title: Code = "",
    body: Text = "",
    agency: Code = "",
    category: Code = "",
    is_active: Flag = None,
) -> Response:
    form = {
        "title": title,
        "body": body,
        "agency": agency,
        "category": category,
        "is_active": bool(is_active),
    }
    async with refusal_shows(
        request,
        session,
        lambda errors, status: _list(request, session, me, errors=errors, form=form, status_code=status),
        default_field="body",
    ):
        data = parsed(
            TemplateIn,
            title=title,
            body=body,
            agency=agency or None,
            category=category or None,
            is_active=bool(is_active),
        )
        await replies.create_template(session, me, data)
    return RedirectResponse(f"{TEMPLATES}?done=created", status_code=303)


async def _edit(
    request: Request,
    session: AsyncSession,
    me: Principal,
    template_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    template = await replies.template_to_edit(session, me, template_id)
    shown = form or {
        "title": template.title,
        "body": template.body,
        "category": template.category_code or "",
        "is_active": template.is_active,
    }
    context = {
        "template": template,
        "errors": errors or {},
        "form": shown,
        **await _choices(request, session, me),
    }
    return await render(request, session, "staff/admin/reply_edit.html", context, status_code=status_code)


@router.get(TEMPLATES + "/{template_id}")
async def edit_page(
    request: Request, template_id: uuid.UUID, session: SessionDep, me: TemplatesPageDep
) -> Response:
    return await _edit(request, session, me, template_id)


@router.post(TEMPLATES + "/{template_id}")
async def update_template(
    request: Request,
    template_id: uuid.UUID,
    session: SessionDep,
    me: TemplatesPageDep,
    title: Code = "",
    body: Text = "",
    category: Code = "",
    is_active: Flag = None,
) -> Response:
    form = {"title": title, "body": body, "category": category, "is_active": bool(is_active)}
    async with refusal_shows(
        request,
        session,
        lambda errors, status: _edit(
            request, session, me, template_id, errors=errors, form=form, status_code=status
        ),
        default_field="body",
    ):
        data = parsed(
            TemplatePatch, title=title, body=body, category=category or None, is_active=bool(is_active)
        )
        await replies.update_template(session, me, template_id, data)
    return RedirectResponse(f"{TEMPLATES}?done=updated", status_code=303)


@router.post(TEMPLATES + "/{template_id}/xoa")
async def delete_template(template_id: uuid.UUID, session: SessionDep, me: TemplatesPageDep) -> Response:
    await replies.delete_template(session, me, template_id)
    return RedirectResponse(f"{TEMPLATES}?done=deleted", status_code=303)
