"""Administrators' page of the routing rules (which agency receives a category's reports,
where): the list, a form for a new rule, taking a rule out of use or back, deleting; over
routing/rules.py, which checks each rule and records every change in the audit log."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.areas import repository as areas_repo
from congdan.authz.policy import Principal
from congdan.deps import SessionDep
from congdan.kit.i18n import _, translate
from congdan.routing import rules
from congdan.routing.schemas import RuleIn, RulePatch
from congdan.web.staff.admin import AdminPageDep, options, parsed, refusal_shows
from congdan.web.staff.deps import locale_of, render

router = APIRouter(include_in_schema=False)

RULES = "/staff/admin/phan-luong"
Short = Annotated[str, Form(max_length=1_000)]
Flag = Annotated[str | None, Form(max_length=8)]
DoneQuery = Annotated[str | None, Query(max_length=32)]
AREA_TYPES = {"phuong": _("Phường"), "xa": _("Xã"), "dac_khu": _("Đặc khu")}
COMMITTEE = "ubnd"  # the receiver choice meaning "the People's Committee of the report's unit"


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
    locale = locale_of(request)
    choices = await options(session, locale)
    areas = list(await areas_repo.unit_names(session))
    context = {
        "rows": await rules.list_rules(session, me, None),
        "agency_names": dict(choices["agency_options"]),
        "category_names": dict(choices["category_options"]),
        "area_names": dict(areas),
        "area_types": {k: translate(v, locale) for k, v in AREA_TYPES.items()},
        "receiver_options": [(COMMITTEE, translate(_("UBND của đơn vị nơi có phản ánh"), locale))]
        + choices["agency_options"],
        "area_options": areas,
        "area_type_options": [(k, translate(v, locale)) for k, v in AREA_TYPES.items()],
        "category_options": choices["category_options"],
        "done": done,
        "errors": errors or {},
        "form": form or {"priority": "0", "is_active": True},
    }
    return await render(request, session, "staff/admin/routing.html", context, status_code=status_code)


@router.get(RULES)
async def rules_page(
    request: Request, session: SessionDep, me: AdminPageDep, done: DoneQuery = None
) -> Response:
    return await _list(request, session, me, done=done)


@router.post(RULES)
async def create_rule(
    request: Request,
    session: SessionDep,
    me: AdminPageDep,
    category: Short = "",
    area: Short = "",
    area_type: Short = "",
    receiver: Short = "",
    priority: Short = "0",
    note: Short = "",
    is_active: Flag = None,
) -> Response:
    form = {
        "category": category,
        "area": area,
        "area_type": area_type,
        "receiver": receiver,
        "priority": priority,
        "note": note,
        "is_active": bool(is_active),
    }
    async with refusal_shows(
        request,
        session,
        lambda errors, status: _list(request, session, me, errors=errors, form=form, status_code=status),
        default_field="receiver",
        fields={"agency": "receiver"},
    ):
        data = parsed(
            RuleIn,
            category=category or None,
            area=area or None,
            area_type=area_type or None,
            agency=None if receiver in ("", COMMITTEE) else receiver,
            to_unit_committee=receiver == COMMITTEE,
            priority=priority.strip() or "0",
            note=note.strip() or None,
            is_active=bool(is_active),
        )
        await rules.create_rule(session, me, data)
    return RedirectResponse(f"{RULES}?done=created", status_code=303)


@router.post(RULES + "/{rule_id}/ngung-dung")
async def deactivate_rule(rule_id: uuid.UUID, session: SessionDep, me: AdminPageDep) -> Response:
    await rules.update_rule(session, me, rule_id, RulePatch(is_active=False))
    return RedirectResponse(f"{RULES}?done=deactivated", status_code=303)


@router.post(RULES + "/{rule_id}/dung-lai")
async def reactivate_rule(rule_id: uuid.UUID, session: SessionDep, me: AdminPageDep) -> Response:
    await rules.update_rule(session, me, rule_id, RulePatch(is_active=True))
    return RedirectResponse(f"{RULES}?done=reactivated", status_code=303)


@router.post(RULES + "/{rule_id}/xoa")
async def delete_rule(rule_id: uuid.UUID, session: SessionDep, me: AdminPageDep) -> Response:
    await rules.delete_rule(session, me, rule_id)
    return RedirectResponse(f"{RULES}?done=deleted", status_code=303)
