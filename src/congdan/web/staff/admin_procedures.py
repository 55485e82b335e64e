"""Administrators' pages for the procedure catalogue: the list, and an edit form whose saving
writes the next version (the catalogue service checks it, keeps the earlier versions and records
the change in the audit log)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz.policy import require_admin
from congdan.catalogue import service
from congdan.catalogue.data import FIELDS, LIFE_EVENTS
from congdan.catalogue.schemas import ProcedureDraft
from congdan.deps import SessionDep
from congdan.kit.i18n import translate
from congdan.web.catalogue import LEVELS, ONLINE_MODES
from congdan.web.staff.account import when
from congdan.web.staff.admin import AdminPageDep, options, parsed, refusal_shows
from congdan.web.staff.deps import locale_of, render

router = APIRouter(include_in_schema=False)

PROCEDURES = "/staff/admin/thu-tuc"
Short = Annotated[str, Form(max_length=1_000)]
Long = Annotated[str, Form(max_length=20_000)]
Code = Annotated[str, Path(max_length=16)]
FIELD_NAMES = {"name": "name", "steps": "steps", "documents": "documents", "legal_basis": "legal_basis"}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


def _documents(text: str) -> list[dict[str, Any]]:
    """One document a line: name | copies | note | blank form file (the last three optional)."""
    documents = []
    for line in _lines(text):
        parts = [p.strip() for p in line.split("|")] + ["", "", ""]
        copies = parts[1] or "1"
        documents.append({"name": parts[0], "copies": copies, "note": parts[2], "template": parts[3] or None})
    return documents


@router.get(PROCEDURES)
async def procedures_page(
    request: Request,
    session: SessionDep,
    me: AdminPageDep,
    done: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    require_admin(me)
    rows = await service.current_all(session)
    return await render(request, session, "staff/admin/procedures.html", {"rows": rows, "done": done})


async def _edit(
    request: Request,
    session: AsyncSession,
    code: str,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    locale = locale_of(request)
    v = await service.current(session, code)
    p = service.full(v, v.number, locale)
    shown = form or {
        "name": p.name,
        "field": p.field,
        "level": p.level,
        "agency_code": p.agency_code or "",
        "handled_by": p.handled_by,
        "online_mode": p.online_mode,
        "processing_days": str(p.processing_days),
        "fee_text": p.fee_text,
        "fee_vnd": "" if p.fee_vnd is None else str(p.fee_vnd),
        "effective_from": p.effective_from.isoformat(),
        "steps": "\n".join(p.steps),
        "documents": "\n".join(
            " | ".join([d.name, str(d.copies), d.note, (d.template_url or "").rsplit("/", 1)[-1]]).rstrip(
                " |"
            )
            for d in p.documents
        ),
        "legal_basis": "\n".join(p.legal_basis),
        "life_events": ", ".join(p.life_events),
        "keywords": ", ".join(p.keywords),
    }
    context = {
        "p": p,
        "errors": errors or {},
        "form": shown,
        "field_options": [(k, translate(n, locale)) for k, n in FIELDS.items()],
        "level_options": [(k, translate(n, locale)) for k, n in LEVELS.items()],
        "mode_options": [(k, translate(n, locale)) for k, n in ONLINE_MODES.items()],
        "life_event_codes": ", ".join(LIFE_EVENTS),
        "versions": (await service.history(session, code)).items,
        "when": when,
        **await options(session, locale),
    }
    return await render(request, session, "staff/admin/procedure_edit.html", context, status_code=status_code)


@router.get(PROCEDURES + "/{code}")
async def edit_page(request: Request, code: Code, session: SessionDep, me: AdminPageDep) -> Response:
    require_admin(me)
    return await _edit(request, session, code)


@router.post(PROCEDURES + "/{code}")
async def save_procedure(
    request: Request,
    code: Code,
    session: SessionDep,
    me: AdminPageDep,
    name: Short = "",
    field: Short = "",
    level: Short = "",
    agency_code: Short = "",
    handled_by: Short = "",
    online_mode: Short = "",
    processing_days: Short = "",
    fee_text: Short = "",
    fee_vnd: Short = "",
    effective_from: Short = "",
    steps: Long = "",
    documents: Long = "",
    legal_basis: Long = "",
    life_events: Short = "",
    keywords: Long = "",
) -> Response:
    form = {
        "name": name, "field": field, "level": level, "agency_code": agency_code, "handled_by": handled_by,
        "online_mode": online_mode, "processing_days": processing_days, "fee_text": fee_text,
        "fee_vnd": fee_vnd, "effective_from": effective_from, "steps": steps, "documents": documents,
        "legal_basis": legal_basis, "life_events": life_events, "keywords": keywords,
    }  # fmt: skip
    async with refusal_shows(
        request,
        session,
        lambda errors, status: _edit(request, session, code, errors=errors, form=form, status_code=status),
        default_field="name",
    ):
        draft = parsed(
            ProcedureDraft,
            name=name.strip(), field=field, level=level, agency_code=agency_code or None,
            handled_by=handled_by.strip(), online_mode=online_mode, processing_days=processing_days.strip(),
            fee_text=fee_text.strip(), fee_vnd=fee_vnd.strip() or None, effective_from=effective_from.strip(),
            steps=_lines(steps), documents=_documents(documents), legal_basis=_lines(legal_basis),
            life_events=_words(life_events), keywords=_words(keywords),
        )  # fmt: skip
        await service.edit(session, me, code, draft)
    return RedirectResponse(f"{PROCEDURES}?done={code}", status_code=303)
