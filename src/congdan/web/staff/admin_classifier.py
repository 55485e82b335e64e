"""Administrators' page of the category classifier: its versions with their held-out accuracy,
two of them measured side by side, choosing the one routing uses, and asking a worker to train a
new version from the corpus and staff corrections."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz.policy import Principal
from congdan.deps import SessionDep
from congdan.kit.errors import AppError, ValidationFailed
from congdan.kit.i18n import _, translate
from congdan.routing import versions
from congdan.web.staff.account import when
from congdan.web.staff.admin import AdminPageDep, options, refused_form
from congdan.web.staff.deps import locale_of, render

router = APIRouter(include_in_schema=False)

CLASSIFIER = "/staff/admin/bo-phan-loai"
# Versions come as text and are read here, so that a wrong one is said on the page.
VersionQuery = Annotated[str | None, Query(max_length=12)]
TrainingQuery = Annotated[str | None, Query(pattern="^(queued|already)$")]
VersionForm = Annotated[str, Form(max_length=12)]


def _version(raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    if not value.isdigit() or not 1 <= int(value) <= 2_000_000_000:
        raise ValidationFailed(_("Số phiên bản không hợp lệ."))
    return int(value)


async def _page(
    request: Request,
    session: AsyncSession,
    me: Principal,
    *,
    a: int | None = None,
    b: int | None = None,
    comparison: versions.Comparison | None = None,
    activated: int | None = None,
    queued: str | None = None,
    error: AppError | None = None,
    status_code: int = 200,
) -> Response:
    locale = locale_of(request)
    rows = await versions.list_versions(session, me)
    names = dict((await options(session, locale))["category_options"]) if comparison else {}
    context = {
        "rows": rows,
        "activated": activated,
        "queued": queued,
        "training": await versions.training(session, me),
        "comparison": comparison,
        "category_names": names,
        "a": a or (rows[1].version if len(rows) > 1 else None),
        "b": b or (rows[0].version if rows else None),
        "error": translate(error.detail, locale, **error.params) if error else None,
        "when": when,
    }
    return await render(request, session, "staff/admin/classifier.html", context, status_code=status_code)


@router.get(CLASSIFIER)
async def classifier_page(
    request: Request,
    session: SessionDep,
    me: AdminPageDep,
    activated: VersionQuery = None,
    training: TrainingQuery = None,
    a: VersionQuery = None,
    b: VersionQuery = None,
) -> Response:
    try:
        first, second, done = _version(a), _version(b), _version(activated)
        comparison = await versions.compare(session, me, first, second) if first and second else None
    except AppError as exc:
        return await _page(request, session, me, error=exc, status_code=exc.status)
    return await _page(
        request, session, me, a=first, b=second, comparison=comparison, activated=done, queued=training
    )


@router.post(CLASSIFIER + "/huan-luyen")
async def train(session: SessionDep, me: AdminPageDep) -> Response:
    _training, queued = await versions.queue_training(session, me)
    return RedirectResponse(f"{CLASSIFIER}?training={'queued' if queued else 'already'}", status_code=303)


@router.post(CLASSIFIER + "/kich-hoat")
async def activate(
    request: Request, session: SessionDep, me: AdminPageDep, version: VersionForm = ""
) -> Response:
    try:
        chosen = _version(version)
        if chosen is None:
            raise ValidationFailed(_("Số phiên bản không hợp lệ."))
        await versions.activate(session, me, chosen)
    except AppError as exc:
        refused = exc
        raise await refused_form(
            refused, lambda status: _page(request, session, me, error=refused, status_code=status)
        ) from exc
    return RedirectResponse(f"{CLASSIFIER}?activated={chosen}", status_code=303)
