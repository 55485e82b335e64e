"""Sending a report (/gui-phan-anh) or a suggestion (/gop-y) in one screen, and the result screen.

Both pages are plain multipart forms that work without JavaScript and go through the same
submission service as the API. The form carries an Idempotency-Key made when the page was
rendered, so a double tap or a resend of the same form lands on the one report it made.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz.policy import PUBLIC, Principal
from congdan.categories import repository as categories_repo
from congdan.consents.service import NOTICE_VERSION
from congdan.deps import ContextDep, SessionDep, after_commit
from congdan.idempotency import service as idem
from congdan.kit.errors import AppError, IdempotencyInProgress, ValidationFailed
from congdan.kit.i18n import _
from congdan.reports import present, repository, submission
from congdan.reports.context import Context
from congdan.reports.schemas import PhotoOut
from congdan.routing import present as routing_present
from congdan.routing import suggestions as routing
from congdan.routing.schemas import SuggestOut
from congdan.security.ratelimit import limit
from congdan.web.alerts import ALERT_BANNER
from congdan.web.refusal import stay_on_page
from congdan.web.rendering import PageLang, PageLocale, render
from congdan.web.report_form import REPORT, SUGGESTION_KINDS, ReportForm, field_errors, new_key, uploads
from congdan.web.resident_session import current_resident

router = APIRouter(include_in_schema=False, dependencies=[ALERT_BANNER])


@dataclass(frozen=True)
class FormPage:
    path: str
    kinds: tuple[str, ...]
    template: str

    @property
    def suggest_path(self) -> str:
        return f"{self.path}/goi-y"


REPORT_PAGE = FormPage("/gui-phan-anh", (REPORT,), "app/report/form.html")
SUGGESTION_PAGE = FormPage("/gop-y", SUGGESTION_KINDS, "app/report/form.html")
RESULT_PATH = "/da-gui"
# How long a second send of the same form waits for the first to finish (a double tap).
WAIT_FOR_FIRST_SECONDS = 15.0
MAX_DESCRIPTION = 4000  # as the API takes it (reports/schemas.py)


async def _caller(request: Request) -> Principal:
    """The signed-in resident of this browser, else anonymous. Read in a short session of its own,
    before the unit of work is touched, so that the Idempotency-Key claim never waits for it."""
    async with request.app.state.read_sessionmaker() as read:
        return await current_resident(request, read) or PUBLIC


async def _kept_photos(session: AsyncSession, principal: Principal, ids: list[str]) -> list[PhotoOut]:
    """Photos uploaded earlier for this form (by the page's script or a previous send) and still free."""
    wanted = [uuid.UUID(i) for i in ids]
    if not wanted:
        return []
    found = {m.id: m for m in await repository.unattached_media(session, wanted)}
    mine = [
        found[i]
        for i in wanted
        if i in found and (found[i].owner_id is None or found[i].owner_id == principal.account_id)
    ]
    return [present.media_out(m) for m in mine]


async def _categories(session: AsyncSession, locale: str) -> list[tuple[str, str]]:
    return [
        (c.code, routing_present.category_name(c, locale)) for c in await categories_repo.categories(session)
    ]


async def _suggestion(
    session: AsyncSession, ctx: Context, form: ReportForm, locale: str
) -> SuggestOut | None:
    """What the city would do with the form as it is now; None when there is too little to say."""
    point = form.point() if form.kind == REPORT else None
    if not form.description.strip() and point is None:
        return None
    try:
        found = await routing.suggest(
            session,
            index=ctx.areas,
            classifier=ctx.classifier,
            settings=ctx.settings,
            description=form.description,
            lat=point[0] if point else None,
            lon=point[1] if point else None,
            address=form.address or None if form.kind == REPORT else None,
        )
    except ValidationFailed:
        return None  # an address outside the city: sending says so next to the field
    return await routing_present.suggestion_out(session, found, locale)


async def _form_page(
    request: Request,
    session: AsyncSession,
    page: FormPage,
    form: ReportForm,
    *,
    language: PageLang,
    principal: Principal,
    errors: dict[str, str] | None = None,
    suggestion: SuggestOut | None = None,
    status_code: int = 200,
    block: str = "main",
) -> Response:
    locale = language.locale
    photos = await _kept_photos(session, principal, form.upload_ids)
    form.upload_ids = [str(p.id) for p in photos]
    context: dict[str, Any] = {
        "page": page,
        "form": form,
        "errors": errors or {},
        "photos": photos,
        "suggestion": suggestion,
        "categories": await _categories(session, locale),
        "notice_version": NOTICE_VERSION,
        "signed_in": principal is not PUBLIC,
        "max_photos": 5,
        "tile_url": request.app.state.settings.map_tile_url,
        "tile_attribution": request.app.state.settings.map_tile_attribution,
    }
    return render(
        request,
        page.template,
        context,
        locale=locale,
        lang=language.choice,
        status_code=status_code,
        block=block,
    )


async def _show(
    request: Request,
    session: AsyncSession,
    page: FormPage,
    kind: str | None,
    language: PageLang,
    prefill: ReportForm | None = None,
) -> Response:
    principal = await _caller(request)
    form = prefill or ReportForm()
    form.kind = kind if kind in page.kinds else page.kinds[0]
    return await _form_page(request, session, page, form, language=language, principal=principal)


@router.get("/gui-phan-anh", response_class=HTMLResponse)
async def report_page(
    request: Request,
    language: PageLocale,
    session: SessionDep,
    # A second problem offered from another report's form arrives with its text, category and place.
    mo_ta: Annotated[str, Query(max_length=MAX_DESCRIPTION)] = "",
    linh_vuc: Annotated[str, Query(max_length=64)] = "",
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    long: Annotated[float | None, Query(ge=-180, le=180)] = None,
) -> Response:
    prefill = ReportForm(
        description=mo_ta,
        category=linh_vuc,
        lat="" if lat is None or long is None else str(lat),
        long="" if lat is None or long is None else str(long),
    )
    return await _show(request, session, REPORT_PAGE, REPORT, language, prefill)


@router.get("/gop-y", response_class=HTMLResponse)
async def suggestion_page(
    request: Request,
    language: PageLocale,
    session: SessionDep,
    kind: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    return await _show(request, session, SUGGESTION_PAGE, kind, language)


async def _claim(request: Request, scope: str, key: str) -> idem.Replay | None:
    """Claims the form's key; a second send while the first is still working waits for its answer."""
    state = request.app.state
    loop = asyncio.get_running_loop()
    give_up = loop.time() + WAIT_FOR_FIRST_SECONDS
    while True:
        try:
            return await idem.claim(
                state.sessionmaker,
                scope=scope,
                key=key,
                # The key belongs to one rendering of the form: whatever it carries, it sends once.
                fingerprint=idem.request_hash({"form": scope}),
                lock_seconds=state.settings.idempotency_lock_seconds,
            )
        except IdempotencyInProgress:
            if loop.time() > give_up:
                raise
            await asyncio.sleep(0.25)


def _result_url(code: str, language: PageLang) -> str:
    return f"{RESULT_PATH}/{code}{language.query}"


async def _read_form(
    request: Request, page: FormPage, language: PageLang
) -> tuple[str, ReportForm, Principal, list[Any]]:
    locale = language.locale
    raw = await request.form()  # already parsed for the CSRF check
    return locale, ReportForm.read(raw, kinds=page.kinds), await _caller(request), uploads(raw)


async def _suggest(
    request: Request,
    session: AsyncSession,
    ctx: Context,
    page: FormPage,
    language: PageLang,
) -> Response:
    """What the city would do with the form: the suggestions block for the page's script, or the
    whole form again (photos kept) for the "Xem gợi ý" button without JavaScript."""
    locale, form, principal, files = await _read_form(request, page, language)
    errors = await _upload(session, ctx, principal, form, files, locale)
    suggestion = await _suggestion(session, ctx, form, locale)
    return await _form_page(
        request,
        session,
        page,
        form,
        language=language,
        principal=principal,
        errors=errors,
        suggestion=suggestion,
        block="suggestions",
    )


async def _send(
    request: Request,
    session: AsyncSession,
    ctx: Context,
    page: FormPage,
    language: PageLang,
) -> Response:
    locale, form, principal, files = await _read_form(request, page, language)
    scope, key = f"report-page:{principal.account_id or 'anonymous'}", form.key
    replay = await _claim(request, scope, key)
    if replay is not None:
        return RedirectResponse(_result_url(str(replay.body["tracking_code"]), language), status_code=303)

    async def release(_session: AsyncSession) -> None:
        await idem.release(request.app.state.sessionmaker, scope=scope, key=key)

    errors = await _upload(session, ctx, principal, form, files, locale)
    if asked := form.problems():
        errors = {**errors, **field_errors(ValidationFailed(errors=asked), locale)}
    if not errors:
        try:
            data = form.to_create([uuid.UUID(i) for i in form.upload_ids])
            report = await submission.submit(session, ctx, principal, data, locale=locale)
        except AppError as exc:
            if exc.status >= 500:
                raise
            errors = field_errors(exc, locale)
        else:
            url = _result_url(report.tracking_code, language)
            await idem.complete(
                session,
                scope=scope,
                key=key,
                status=303,
                body={"tracking_code": report.tracking_code},
                headers={"Location": url},
            )
            return RedirectResponse(url, status_code=303)
    # Nothing was sent: the key is freed once the photos kept for the next try are stored, and the
    # form comes back with what was typed and a fresh key for the corrected send.
    after_commit(request, release)
    form.key = new_key()
    refused = await _form_page(
        request,
        session,
        page,
        form,
        language=language,
        principal=principal,
        errors=errors,
        status_code=422,
    )
    return stay_on_page(request, refused)


async def _upload(
    session: AsyncSession, ctx: Context, principal: Principal, form: ReportForm, files: list[Any], locale: str
) -> dict[str, str]:
    """Stores the photos chosen in the file input; the form keeps them by id for the next send."""
    errors: dict[str, str] = {}
    room = ctx.settings.max_photos - len(form.upload_ids)
    for upload in files:
        if room <= 0:
            errors["photos"] = field_errors(
                ValidationFailed(_("Tối đa %(n)s ảnh."), field="photos", n=ctx.settings.max_photos), locale
            )["photos"]
            break
        raw = await upload.read(ctx.settings.max_photo_bytes + 1)
        try:
            if len(raw) > ctx.settings.max_photo_bytes:
                raise ValidationFailed(
                    _("Ảnh vượt quá %(mb)s MB."),
                    field="photos",
                    mb=ctx.settings.max_photo_bytes // (1024 * 1024),
                )
            stored = await submission.upload_photo(session, ctx, principal, raw)
        except AppError as exc:
            errors.setdefault("photos", next(iter(field_errors(exc, locale).values())))
            continue
        form.upload_ids.append(str(stored.media.id))
        room -= 1
    return errors


@router.post("/gui-phan-anh", response_class=HTMLResponse, dependencies=[Depends(limit("reports"))])
async def send_report(
    request: Request,
    language: PageLocale,
    session: SessionDep,
    ctx: ContextDep,
) -> Response:
    return await _send(request, session, ctx, REPORT_PAGE, language)


@router.post("/gop-y", response_class=HTMLResponse, dependencies=[Depends(limit("reports"))])
async def send_suggestion(
    request: Request,
    language: PageLocale,
    session: SessionDep,
    ctx: ContextDep,
) -> Response:
    return await _send(request, session, ctx, SUGGESTION_PAGE, language)


# Suggestions while typing count against the general per-client limit only, as the API's do:
# a resident typing must not use up the sends.
@router.post(REPORT_PAGE.suggest_path, response_class=HTMLResponse)
async def report_suggestions(
    request: Request,
    language: PageLocale,
    session: SessionDep,
    ctx: ContextDep,
) -> Response:
    return await _suggest(request, session, ctx, REPORT_PAGE, language)


@router.post(SUGGESTION_PAGE.suggest_path, response_class=HTMLResponse)
async def suggestion_suggestions(
    request: Request,
    language: PageLocale,
    session: SessionDep,
    ctx: ContextDep,
) -> Response:
    return await _suggest(request, session, ctx, SUGGESTION_PAGE, language)
