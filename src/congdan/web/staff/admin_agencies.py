"""Administrators' pages for the agencies: the list with a form for a new one, an edit form for
each agency's names and contacts, over the agencies service (checked there, audited), and taking
an agency out of use or back (reports/agency_use.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import service
from congdan.agencies.schemas import AgencyIn, AgencyPatch
from congdan.areas import repository as areas_repo
from congdan.authz.policy import Principal
from congdan.deps import SessionDep
from congdan.kit.i18n import _, translate
from congdan.reports import agency_use
from congdan.web.staff.admin import AdminPageDep, parsed, refusal_shows
from congdan.web.staff.deps import locale_of, render

router = APIRouter(include_in_schema=False)

AGENCIES = "/staff/admin/co-quan"
Short = Annotated[str, Form(max_length=1_000)]
AgencyCode = Annotated[str, Path(max_length=64)]
DoneQuery = Annotated[str | None, Query(max_length=64)]
KIND_LABELS = {
    "department": _("Sở, ban, ngành"),
    "company": _("Doanh nghiệp"),
    "police": _("Công an"),
    "committee": _("UBND phường, xã"),
}


def _kinds(request: Request) -> list[tuple[str, str]]:
    locale = locale_of(request)
    return [(code, translate(label, locale)) for code, label in KIND_LABELS.items()]


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
        "rows": await service.all_agencies(session, me),
        "kinds": KIND_LABELS,
        "kind_options": _kinds(request),
        "area_options": list(await areas_repo.unit_names(session)),
        "done": done,
        "errors": errors or {},
        "form": form or {"kind": "department"},
    }
    return await render(request, session, "staff/admin/agencies.html", context, status_code=status_code)


@router.get(AGENCIES)
async def agencies_page(
    request: Request, session: SessionDep, me: AdminPageDep, done: DoneQuery = None
) -> Response:
    return await _list(request, session, me, done=done)


@router.post(AGENCIES)
async def create_agency(
    request: Request,
    session: SessionDep,
    me: AdminPageDep,
    code: Short = "",
    name: Short = "",
    name_en: Short = "",
    kind: Short = "",
    area: Short = "",
    email: Short = "",
    phone: Short = "",
    address: Short = "",
) -> Response:
    form = {
        "code": code,
        "name": name,
        "name_en": name_en,
        "kind": kind,
        "area": area,
        "email": email,
        "phone": phone,
        "address": address,
    }
    async with refusal_shows(
        request,
        session,
        lambda errors, status: _list(request, session, me, errors=errors, form=form, status_code=status),
        default_field="code",
    ):
        values = {k: (v.strip() or None) for k, v in form.items() if k not in ("name", "name_en")}
        data = parsed(AgencyIn, **{**values, "code": code.strip(), "name": name, "name_en": name_en})
        await service.create_agency(session, me, data)
    return RedirectResponse(f"{AGENCIES}?done=created", status_code=303)


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
    agency = await service.agency_to_edit(session, me, code)
    shown = form or {
        "name": agency.name,
        "name_en": agency.name_en,
        "email": agency.email or "",
        "phone": agency.phone or "",
        "address": agency.address or "",
    }
    context = {"agency": agency, "kinds": KIND_LABELS, "errors": errors or {}, "form": shown}
    return await render(request, session, "staff/admin/agency_edit.html", context, status_code=status_code)


@router.get(AGENCIES + "/{code}")
async def edit_page(request: Request, code: AgencyCode, session: SessionDep, me: AdminPageDep) -> Response:
    return await _edit(request, session, me, code)


@router.post(AGENCIES + "/{code}")
async def update_agency(
    request: Request,
    code: AgencyCode,
    session: SessionDep,
    me: AdminPageDep,
    name: Short = "",
    name_en: Short = "",
    email: Short = "",
    phone: Short = "",
    address: Short = "",
) -> Response:
    form = {"name": name, "name_en": name_en, "email": email, "phone": phone, "address": address}
    async with refusal_shows(
        request,
        session,
        lambda errors, status: _edit(
            request, session, me, code, errors=errors, form=form, status_code=status
        ),
        default_field="name",
    ):
        data = parsed(
            AgencyPatch,
            name=name,
            name_en=name_en,
            email=email.strip() or None,
            phone=phone.strip() or None,
            address=address.strip() or None,
        )
        await service.update_agency(session, me, code, data)
    return RedirectResponse(f"{AGENCIES}?done={code}", status_code=303)


@router.post(AGENCIES + "/{code}/ngung")
async def deactivate(request: Request, code: AgencyCode, session: SessionDep, me: AdminPageDep) -> Response:
    """Refused, with each reason, while the agency still has open reports or receives new ones."""
    async with refusal_shows(
        request,
        session,
        lambda errors, status: _edit(request, session, me, code, errors=errors, status_code=status),
        default_field="in_use",
    ):
        await agency_use.set_agency_active(session, me, code, active=False)
    return RedirectResponse(f"{AGENCIES}?done=deactivated", status_code=303)


@router.post(AGENCIES + "/{code}/kich-hoat")
async def reactivate(code: AgencyCode, session: SessionDep, me: AdminPageDep) -> Response:
    await agency_use.set_agency_active(session, me, code, active=True)
    return RedirectResponse(f"{AGENCIES}?done=reactivated", status_code=303)
