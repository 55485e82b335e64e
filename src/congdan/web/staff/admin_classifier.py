"""Administrators' page of the category classifier: its versions (the newest is in use) with
their held-out accuracy, and training a new version from the corpus and staff corrections."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from congdan.deps import SessionDep
from congdan.routing import versions
from congdan.web.staff.account import when
from congdan.web.staff.admin import AdminPageDep
from congdan.web.staff.deps import render

router = APIRouter(include_in_schema=False)

CLASSIFIER = "/staff/admin/bo-phan-loai"
DoneQuery = Annotated[int | None, Query(ge=1)]


@router.get(CLASSIFIER)
async def classifier_page(
    request: Request, session: SessionDep, me: AdminPageDep, done: DoneQuery = None
) -> Response:
    context = {"rows": await versions.list_versions(session, me), "done": done, "when": when}
    return await render(request, session, "staff/admin/classifier.html", context)


@router.post(CLASSIFIER + "/huan-luyen")
async def train(session: SessionDep, me: AdminPageDep) -> Response:
    trained = await versions.train(session, me)
    return RedirectResponse(f"{CLASSIFIER}?done={trained.model.version}", status_code=303)
