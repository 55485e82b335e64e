"""The signed-in resident's inbox (/cua-toi/thong-bao) and settings (/cua-toi/cai-dat): how to be
told, a download of everything the city holds about them, and deleting the account."""

from __future__ import annotations

import json
import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from congdan.db import utcnow
from congdan.deps import SessionDep, after_commit, writes
from congdan.kit.errors import ValidationFailed
from congdan.kit.i18n import _, translate
from congdan.notifications import repository as inbox_repo
from congdan.notifications import service as notifications
from congdan.notifications.schemas import hhmm, minutes
from congdan.privacy import service as privacy
from congdan.web.alerts import ALERT_BANNER
from congdan.web.refusal import refusal
from congdan.web.rendering import PageLang, PageLocale, render
from congdan.web.resident_session import ResidentPageDep, forget
from congdan.web.tracking import when

router = APIRouter(include_in_schema=False, dependencies=[ALERT_BANNER])

INBOX_SHOWN = 50
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@router.get("/cua-toi/thong-bao", response_class=HTMLResponse)
async def inbox_page(
    request: Request,
    language: PageLocale,
    resident: ResidentPageDep,
    session: SessionDep,
) -> Response:
    locale = language.locale
    assert resident.account_id is not None
    rows = await inbox_repo.inbox(
        session, resident.account_id, limit=INBOX_SHOWN, before=None, unread_only=False
    )
    context = {"items": rows, "when": when}
    return render(request, "app/mine/inbox.html", context, locale=locale, lang=language.choice)


@router.post("/cua-toi/thong-bao/da-doc")
async def mark_read(
    resident: ResidentPageDep,
    session: SessionDep,
    notification: Annotated[uuid.UUID | None, Form()] = None,
) -> Response:
    assert resident.account_id is not None
    # One message, or all of them when the form names none.
    await inbox_repo.mark_read(
        session, resident.account_id, [notification] if notification else None, utcnow()
    )
    return RedirectResponse("/cua-toi/thong-bao", status_code=303)


async def _settings_page(
    request: Request,
    session: SessionDep,
    resident: ResidentPageDep,
    language: PageLang,
    *,
    saved: bool = False,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    assert resident.account_id is not None
    prefs = await notifications.get_preferences(session, resident.account_id)
    quiet = values or {
        "quiet_start": hhmm(prefs.quiet_start) if prefs.quiet_start is not None else "",
        "quiet_end": hhmm(prefs.quiet_end) if prefs.quiet_end is not None else "",
    }
    context = {"prefs": prefs, "quiet": quiet, "saved": saved, "errors": errors or {}}
    return render(
        request,
        "app/mine/settings.html",
        context,
        locale=language.locale,
        lang=language.choice,
        status_code=status_code,
    )


@router.get("/cua-toi/cai-dat", response_class=HTMLResponse)
async def settings_page(
    request: Request,
    language: PageLocale,
    resident: ResidentPageDep,
    session: SessionDep,
    saved: bool = False,
) -> Response:
    return await _settings_page(request, session, resident, language, saved=saved)


@router.post("/cua-toi/cai-dat")
async def save_settings(
    request: Request,
    language: PageLocale,
    resident: ResidentPageDep,
    session: SessionDep,
    email_enabled: Annotated[bool, Form()] = False,
    sms_enabled: Annotated[bool, Form()] = False,
    push_enabled: Annotated[bool, Form()] = False,
    quiet_start: Annotated[str, Form(max_length=5)] = "",
    quiet_end: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    locale = language.locale
    assert resident.account_id is not None
    start, end = quiet_start.strip(), quiet_end.strip()
    errors = {
        name: translate(_("Cần giờ theo dạng GIỜ:PHÚT, ví dụ 22:00."), locale)
        for name, value in (("quiet_start", start), ("quiet_end", end))
        if (value or start or end) and not _HHMM.match(value)
    }
    if errors:
        page = await _settings_page(
            request,
            session,
            resident,
            language,
            errors=errors,
            values={"quiet_start": start, "quiet_end": end},
            status_code=422,
        )
        raise refusal(ValidationFailed(), page)
    await notifications.set_preferences(
        session,
        resident.account_id,
        email=email_enabled,
        sms=sms_enabled,
        push=push_enabled,
        quiet=(minutes(start), minutes(end)) if start and end else None,
        now=utcnow(),
    )
    return RedirectResponse("/cua-toi/cai-dat?saved=true", status_code=303)


@router.get("/cua-toi/du-lieu-cua-toi.json")
@writes
async def export(
    request: Request, language: PageLocale, resident: ResidentPageDep, session: SessionDep
) -> Response:
    locale = language.locale
    data = await privacy.export(session, resident, locale)
    body = json.dumps(data.model_dump(mode="json"), ensure_ascii=False, indent=2)
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="du-lieu-cong-dan-so.json"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/cua-toi/xoa-tai-khoan", response_class=HTMLResponse)
async def delete_page(
    request: Request,
    language: PageLocale,
    resident: ResidentPageDep,
) -> Response:
    locale = language.locale
    return render(
        request, "app/mine/delete.html", {"errors": {}, "deleted": False}, locale=locale, lang=language.choice
    )


@router.post("/cua-toi/xoa-tai-khoan", response_class=HTMLResponse)
async def delete_account(
    request: Request,
    language: PageLocale,
    resident: ResidentPageDep,
    session: SessionDep,
    confirm: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    locale = language.locale
    if confirm != "yes":
        errors = {"confirm": translate(_("Hãy đánh dấu ô xác nhận nếu bạn chắc chắn muốn xóa."), locale)}
        page = render(
            request,
            "app/mine/delete.html",
            {"errors": errors, "deleted": False},
            locale=locale,
            status_code=422,
        )
        raise refusal(ValidationFailed(), page)
    await privacy.delete_account(session, resident, confirm=True)
    # Old copies of the erased rows leave SQLite's log once the erasure is committed.
    after_commit(request, privacy.after_erasure)
    response = render(request, "app/mine/delete.html", {"errors": {}, "deleted": True}, locale=locale)
    forget(response, request)
    return response
