"""The anonymous reporter on the tracking page: "Bạn là người gửi?" asks for a one-time code sent
to the contact they left (auth/proof.py), and the proof it earns is kept in a cookie for that report
only; with it, or signed in as the reporter, they rate the answer or reopen the report there."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.auth import proof
from congdan.auth import service as auth
from congdan.deps import ContextDep, SessionDep, SettingsDep
from congdan.kit.codes import normalise_tracking_code
from congdan.kit.errors import AppError, NotFound
from congdan.kit.i18n import _, translate
from congdan.reports import service as reports
from congdan.security.cookies import set_cookie
from congdan.security.ratelimit import client_address, hit_target, limiter
from congdan.web import reporter_actions
from congdan.web.alerts import ALERT_BANNER
from congdan.web.refusal import messages, refusal
from congdan.web.rendering import PageLang, PageLocale
from congdan.web.reporter_view import proof_cookie, viewer
from congdan.web.tracking import show

router = APIRouter(include_in_schema=False, dependencies=[ALERT_BANNER])

ContactField = Annotated[str, Form(max_length=254)]
SENT = _("Nếu liên hệ này là liên hệ bạn đã để lại, mã xác thực sẽ được gửi tới đó trong ít phút.")
WRONG_CODE = _("Mã xác thực không đúng. Hãy xem lại tin nhắn và nhập đúng 6 chữ số.")


def _code(raw: str) -> str:
    normalised = normalise_tracking_code(raw)
    if normalised is None:
        raise NotFound(_("Không tìm thấy phản ánh với mã này."))
    return normalised


async def _refused(
    request: Request,
    session: AsyncSession,
    code: str,
    language: PageLang,
    exc: AppError,
    *,
    default_field: str,
    proof_state: dict[str, str] | None = None,
) -> AppError:
    errors = messages(exc, language.locale, default_field=default_field)
    page = await show(
        request, session, code, language, proof=proof_state, errors=errors, status_code=exc.status
    )
    return refusal(exc, page)


@router.post("/theo-doi/{code}/xac-thuc", response_class=HTMLResponse)
async def request_proof(
    request: Request,
    language: PageLocale,
    code: str,
    session: SessionDep,
    settings: SettingsDep,
    contact: ContactField,
) -> Response:
    locale = language.locale
    tracking = _code(code)
    try:
        await limiter(request).hit("auth_code_client", client_address(request.scope))
        _channel, destination = proof.normalise_contact(contact)
        await hit_target(request, "auth_code", destination)
        await proof.request_proof(session, settings, tracking, contact, locale)
    except AppError as exc:
        state = {"step": "contact", "contact": contact}
        raise await _refused(
            request, session, tracking, language, exc, default_field="contact", proof_state=state
        ) from exc
    # The same answer whether or not the contact matches: the page never tells what was left.
    state = {"step": "code", "contact": contact, "sent": translate(SENT, locale)}
    return await show(request, session, tracking, language, proof=state)


@router.post("/theo-doi/{code}/xac-thuc/ma")
async def verify_proof(
    request: Request,
    language: PageLocale,
    code: str,
    session: SessionDep,
    settings: SettingsDep,
    contact: ContactField,
    one_time: Annotated[str, Form(alias="otp", max_length=16)],
) -> Response:
    locale = language.locale
    tracking = _code(code)
    try:
        await limiter(request).hit("auth_verify_client", client_address(request.scope))
        _channel, destination = proof.normalise_contact(contact)
        await hit_target(request, "auth_verify", destination)
        # A wrong code raises WrongCode: the counted attempt is kept although the page refuses.
        issued = await proof.verify_proof(session, settings, tracking, contact, one_time)
    except AppError as exc:
        state = {"step": "code", "contact": contact}
        refused = await _refused(
            request, session, tracking, language, exc, default_field="otp", proof_state=state
        )
        if isinstance(exc, auth.WrongCode):
            errors = {"otp": translate(WRONG_CODE, locale)}
            page = await show(
                request, session, tracking, language, proof=state, errors=errors, status_code=401
            )
            refused = refusal(exc, page)
        raise refused from exc
    response = RedirectResponse(f"/theo-doi/{tracking}#nguoi-gui", status_code=303)
    set_cookie(response, request, proof_cookie(tracking), issued.token, max_age=issued.expires_in)
    return response


@router.post("/theo-doi/{code}/danh-gia")
async def rate(
    request: Request,
    language: PageLocale,
    code: str,
    session: SessionDep,
    score: Annotated[str, Form(max_length=2)] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    tracking = _code(code)
    try:
        principal = await viewer(request, session, tracking)
        report = await reports.get_by_code(session, tracking)
        await reporter_actions.rate(session, principal, report.id, score, comment)
    except AppError as exc:
        raise await _refused(request, session, tracking, language, exc, default_field="score") from exc
    return RedirectResponse(f"/theo-doi/{tracking}#nguoi-gui", status_code=303)


@router.post("/theo-doi/{code}/mo-lai")
async def reopen(
    request: Request,
    language: PageLocale,
    code: str,
    session: SessionDep,
    ctx: ContextDep,
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    tracking = _code(code)
    try:
        principal = await viewer(request, session, tracking)
        report = await reports.get_by_code(session, tracking)
        await reporter_actions.reopen(session, ctx, principal, report.id, note)
    except AppError as exc:
        raise await _refused(request, session, tracking, language, exc, default_field="note") from exc
    return RedirectResponse(f"/theo-doi/{tracking}#nguoi-gui", status_code=303)
