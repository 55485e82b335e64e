"""Residents sign in at /dang-nhap with their phone number (or email) and a one-time code, in two
steps on one page that work without JavaScript; /dang-xuat signs the browser out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from congdan.accounts.service import normalise_destination
from congdan.auth import browser
from congdan.auth import service as auth
from congdan.deps import SessionDep, SettingsDep
from congdan.kit.errors import AppError
from congdan.kit.i18n import _, translate
from congdan.security.ratelimit import client_address, hit_target, limiter
from congdan.web import resident_session
from congdan.web.alerts import ALERT_BANNER
from congdan.web.refusal import messages, refusal
from congdan.web.rendering import PageLang, PageLocale, render
from congdan.web.resident_session import OptionalResidentDep, safe_next

router = APIRouter(include_in_schema=False, dependencies=[ALERT_BANNER])

ContactField = Annotated[str, Form(max_length=254)]
NextField = Annotated[str, Form(max_length=500)]
CONTACT_FIELDS = {"phone": "contact", "email": "contact"}
WRONG_CODE = _("Mã xác thực không đúng. Hãy xem lại tin nhắn và nhập đúng 6 chữ số.")


def split_contact(raw: str) -> tuple[str | None, str | None]:
    """(phone, email) from the one field the resident typed in."""
    text = raw.strip()
    return (None, text) if "@" in text else (text or None, None)


def _page(
    request: Request,
    language: PageLang,
    *,
    step: str,
    next_url: str,
    contact: str = "",
    channel: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "step": step,
        "next_url": next_url,
        "contact": contact,
        "channel": channel,
        "errors": errors or {},
    }
    return render(
        request,
        "app/mine/sign_in.html",
        context,
        locale=language.locale,
        lang=language.choice,
        status_code=status_code,
    )


@router.get("/dang-nhap", response_class=HTMLResponse)
async def sign_in_page(
    request: Request,
    language: PageLocale,
    resident: OptionalResidentDep,
    next: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    if resident is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _page(request, language, step="contact", next_url=safe_next(next))


@router.post("/dang-nhap/gui-ma", response_class=HTMLResponse)
async def send_code(
    request: Request,
    language: PageLocale,
    session: SessionDep,
    settings: SettingsDep,
    contact: ContactField,
    next_url: NextField = "/cua-toi",
) -> Response:
    locale = language.locale
    phone, email = split_contact(contact)
    try:
        await limiter(request).hit("auth_code_client", client_address(request.scope))
        _channel, destination = normalise_destination(phone=phone, email=email)
        await hit_target(request, "auth_code", destination)
        challenge = await auth.request_code(session, settings, phone=phone, email=email, locale=locale)
    except AppError as exc:
        errors = messages(
            exc, locale, default_field="contact", fields={"phone": "contact", "email": "contact"}
        )
        page = _page(
            request,
            language,
            step="contact",
            next_url=safe_next(next_url),
            contact=contact,
            errors=errors,
            status_code=exc.status,
        )
        raise refusal(exc, page) from exc
    return _page(
        request,
        language,
        step="code",
        next_url=safe_next(next_url),
        contact=contact,
        channel=challenge.channel,
    )


@router.post("/dang-nhap", response_class=HTMLResponse)
async def verify_code(
    request: Request,
    language: PageLocale,
    session: SessionDep,
    settings: SettingsDep,
    contact: ContactField,
    code: Annotated[str, Form(max_length=16)],
    next_url: NextField = "/cua-toi",
) -> Response:
    locale = language.locale
    phone, email = split_contact(contact)
    try:
        await limiter(request).hit("auth_verify_client", client_address(request.scope))
        _channel, destination = normalise_destination(phone=phone, email=email)
        await hit_target(request, "auth_verify", destination)
        # A wrong code raises WrongCode: the counted attempt is kept although the page refuses.
        signed_in = await browser.sign_in(session, settings, phone=phone, email=email, code=code)
    except AppError as exc:
        errors = messages(exc, locale, default_field="code", fields=CONTACT_FIELDS)
        if isinstance(exc, auth.WrongCode):
            errors = {"code": translate(WRONG_CODE, locale)}
        page = _page(
            request,
            language,
            step="code",
            next_url=safe_next(next_url),
            contact=contact,
            errors=errors,
            status_code=exc.status,
        )
        raise refusal(exc, page) from exc
    earlier = resident_session.session_token(request)
    if earlier:
        # Whoever was signed in on this browser before is signed out, not left with a live session.
        await browser.sign_out(session, earlier)
    response = RedirectResponse(safe_next(next_url), status_code=303)
    resident_session.remember(response, request, signed_in)
    return response


@router.post("/dang-xuat")
async def sign_out(request: Request, session: SessionDep) -> Response:
    raw = resident_session.session_token(request)
    if raw:
        await browser.sign_out(session, raw)
    response = RedirectResponse("/dang-nhap", status_code=303)
    resident_session.forget(response, request)
    return response
