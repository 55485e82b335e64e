"""JSON API for a person's own data: the notice, consents, export, deletion."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from congdan.consents import service as consents
from congdan.consents.schemas import ConsentList, ConsentOut
from congdan.deps import LocaleDep, PrincipalDep, SessionDep, after_commit, writes
from congdan.kit.problems import problems
from congdan.privacy import service
from congdan.privacy.schemas import DataExport, NoticeOut

router = APIRouter(prefix="/api/v1", tags=["privacy"])


@router.get(
    "/privacy/notice",
    response_model=NoticeOut,
    summary="Thông báo xử lý dữ liệu cá nhân / Personal data notice",
    responses=problems(),
)
async def get_notice(locale: LocaleDep) -> NoticeOut:
    return service.notice(locale)


@router.get(
    "/me/consents",
    response_model=ConsentList,
    summary="Sự đồng ý của tôi / My consents",
    responses=problems(401),
)
async def list_consents(session: SessionDep, principal: PrincipalDep) -> ConsentList:
    return ConsentList(items=await consents.consents(session, principal))


@router.post(
    "/me/consents/{consent_id}/withdraw",
    response_model=ConsentOut,
    summary="Rút lại sự đồng ý / Withdraw a consent",
    responses=problems(401, 404, 409),
)
async def withdraw_consent(consent_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> ConsentOut:
    consent = await consents.withdraw(session, principal, consent_id)
    out = consents.consent_out(consent)
    return out


@router.get(
    "/me/export",
    response_model=DataExport,
    summary="Tải về toàn bộ dữ liệu của tôi / Download all my data",
    responses=problems(401, 404),
)
@writes
async def export(session: SessionDep, principal: PrincipalDep, locale: LocaleDep) -> DataExport:
    result = await service.export(session, principal, locale)
    return result


@router.delete(
    "/me",
    status_code=204,
    summary="Xóa tài khoản của tôi / Delete my account",
    description="Phản ánh đã gửi được giữ lại ở dạng ẩn danh. / Reports stay, anonymised.",
    responses=problems(401, 403, 404),
)
async def delete_me(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    confirm: Annotated[bool, Query(description="Phải là true để xác nhận / must be true")],
) -> Response:
    await service.delete_account(session, principal, confirm=confirm)
    # Old copies of the erased rows leave SQLite's log once the erasure is committed.
    after_commit(request, service.after_erasure)
    return Response(status_code=204)
