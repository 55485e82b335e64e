"""Administrators' pages for the categories: the list, and an edit form for each category's
names (vi/en), deadline in working days, duplicate radius and default agency, over the
categories service, which checks them and records every change in the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz.policy import Principal
from congdan.categories import service
from congdan.categories.schemas import MAX_DEADLINE_DAYS, MAX_RADIUS_M, MIN_RADIUS_M, CategoryPatch
from congdan.deps import SessionDep
from congdan.web.staff.admin import AdminPageDep, options, parsed, refusal_shows
from congdan.web.staff.deps import locale_of, render

router = APIRouter(include_in_schema=False)

CATEGORIES = "/staff/admin/linh-vuc"
Short = Annotated[str, Form(max_length=1_000)]
CategoryCode = Annotated[str, Path(max_length=64)]
DoneQuery = Annotated[str | None, Query(max_length=64)]
LIMITS = {"max_days": MAX_DEADLINE_DAYS, "min_radius": MIN_RADIUS_M, "max_radius": MAX_RADIUS_M}


@router.get(CATEGORIES)
async def categories_page(
    request: Request, session: SessionDep, me: AdminPageDep, done: DoneQuery = None
) -> Response:
    locale = locale_of(request)
    agencies = dict((await options(session, locale))["agency_options"])
    context = {
        "rows": await service.all_categories(session, me),
        "agency_names": agencies,
        "done": done,
    }
    return await render(request, session, "staff/admin/categories.html", context)


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
    category = await service.category_to_edit(session, me, code)
    shown = form or {
        "name_vi": category.name_vi,
        "name_en": category.name_en,
        "deadline_days": str(category.deadline_days),
        "duplicate_radius_m": str(category.duplicate_radius_m),
        "default_agency": category.default_agency_code or "",
    }
    context = {
        "category": category,
        "errors": errors or {},
        "form": shown,
        **LIMITS,
        **await options(session, locale_of(request)),
    }
    return await render(request, session, "staff/admin/category_edit.html", context, status_code=status_code)


@router.get(CATEGORIES + "/{code}")
async def edit_page(request: Request, code: CategoryCode, session: SessionDep, me: AdminPageDep) -> Response:
    return await _edit(request, session, me, code)


@router.post(CATEGORIES + "/{code}")
async def update_category(
    request: Request,
    code: CategoryCode,
    session: SessionDep,
    me: AdminPageDep,
    name_vi: Short = "",
    name_en: Short = "",
    deadline_days: Short = "",
    duplicate_radius_m: Short = "",
    default_agency: Short = "",
) -> Response:
    form = {
        "name_vi": name_vi,
        "name_en": name_en,
        "deadline_days": deadline_days,
        "duplicate_radius_m": duplicate_radius_m,
        "default_agency": default_agency,
    }
    async with refusal_shows(
        request,
        session,
        lambda errors, status: _edit(
            request, session, me, code, errors=errors, form=form, status_code=status
        ),
        default_field="name_vi",
    ):
        data = parsed(
            CategoryPatch,
            name_vi=name_vi,
            name_en=name_en,
            deadline_days=deadline_days.strip(),
            duplicate_radius_m=duplicate_radius_m.strip(),
            default_agency=default_agency or None,
        )
        await service.update_category(session, me, code, data)
    return RedirectResponse(f"{CATEGORIES}?done={code}", status_code=303)
