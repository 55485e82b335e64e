"""Announcements and emergency alerts (JSON API), and residents' subscriptions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import Response

from congdan.announcements import present, repository, service
from congdan.announcements.schemas import (
    AlertIn,
    AnnouncementIn,
    AnnouncementList,
    AnnouncementOut,
    AttachmentOut,
    Progress,
    Subscriptions,
    Topic,
)
from congdan.announcements.topics import TOPICS, name
from congdan.authz.policy import require_authenticated
from congdan.db import utcnow
from congdan.deps import LocaleDep, PrincipalDep, SessionDep, SettingsDep
from congdan.kit.errors import NotFound, PayloadTooLarge
from congdan.kit.pagination import decode_cursor, encode_cursor
from congdan.kit.problems import problems

router = APIRouter(prefix="/api/v1", tags=["announcements"])


@router.get(
    "/announcement-topics", response_model=list[Topic], summary="Chủ đề / Topics", responses=problems()
)
async def topics(locale: LocaleDep) -> list[Topic]:
    return [Topic(code=code, name=name(TOPICS, code, locale) or code) for code in TOPICS]


@router.get(
    "/announcements",
    response_model=AnnouncementList,
    summary="Thông báo đang hiệu lực / Live announcements",
    responses=problems(),
)
async def list_announcements(
    session: SessionDep,
    locale: LocaleDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
    topic: str | None = None,
    unit: Annotated[str | None, Query(description="Chỉ những thông báo liên quan đơn vị này")] = None,
    kind: Annotated[str | None, Query(pattern="^(news|notice|alert)$")] = None,
) -> AnnouncementList:
    after_id = decode_cursor(cursor)
    after = await repository.get(session, after_id) if after_id else None
    items = await service.feed(session, utcnow(), limit=limit, after=after, topic=topic, unit=unit, kind=kind)
    page = items[:limit]
    return AnnouncementList(
        items=await present.announcements_out(session, page, locale),
        next_cursor=encode_cursor(page[-1].id) if len(items) > limit else None,
    )


@router.get(
    "/announcements/{announcement_id}",
    response_model=AnnouncementOut,
    summary="Một thông báo / One announcement",
    responses=problems(404),
)
async def get_announcement(
    announcement_id: uuid.UUID, session: SessionDep, locale: LocaleDep
) -> AnnouncementOut:
    announcement = await service.get_public(session, announcement_id, utcnow())
    return (await present.announcements_out(session, [announcement], locale))[0]


@router.post(
    "/announcements",
    # A long notice written with \u escapes (20,000 characters) is about 120 KB of JSON.
    max_body_size=256 * 1024,
    response_model=AnnouncementOut,
    status_code=201,
    summary="Đăng thông báo (có thể hẹn giờ) / Publish or schedule an announcement",
    responses=problems(401, 403),
)
async def publish(
    data: AnnouncementIn, session: SessionDep, principal: PrincipalDep, locale: LocaleDep
) -> AnnouncementOut:
    announcement = await service.publish(session, principal, data, utcnow())
    out = (await present.announcements_out(session, [announcement], locale))[0]
    return out


@router.post(
    "/announcements/{announcement_id}/withdraw",
    response_model=AnnouncementOut,
    summary="Gỡ thông báo / Withdraw an announcement",
    responses=problems(401, 403, 404),
)
async def withdraw(
    announcement_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, locale: LocaleDep
) -> AnnouncementOut:
    announcement = await service.withdraw(session, principal, announcement_id, utcnow())
    out = (await present.announcements_out(session, [announcement], locale))[0]
    return out


@router.post(
    "/announcements/{announcement_id}/attachments",
    response_model=AttachmentOut,
    status_code=201,
    summary="Đính kèm tệp (PDF, JPEG, PNG) / Attach a file",
    responses=problems(401, 403, 404, 413, 415),
)
async def attach(
    announcement_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="PDF, JPEG hoặc PNG, tối đa 10 MB")],
) -> AttachmentOut:
    data = await file.read(settings.max_photo_bytes + 1)
    if len(data) > settings.max_photo_bytes:
        raise PayloadTooLarge.over(settings.max_photo_bytes)
    row = await service.attach(
        session, principal, request.app.state.storage, announcement_id, file.filename or "", data
    )
    return AttachmentOut(
        id=row.id,
        filename=row.filename,
        content_type=row.content_type,
        size_bytes=row.size_bytes,
        url=f"/api/v1/announcements/{announcement_id}/attachments/{row.id}",
    )


@router.get(
    "/announcements/{announcement_id}/attachments/{attachment_id}",
    summary="Tải tệp đính kèm / Download an attachment",
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}, **problems(404)},
    response_class=Response,
)
async def download(
    announcement_id: uuid.UUID, attachment_id: uuid.UUID, request: Request, session: SessionDep
) -> Response:
    await service.get_public(session, announcement_id, utcnow())
    row = await repository.attachment(session, attachment_id)
    if row is None or row.announcement_id != announcement_id:
        raise NotFound()
    data = await request.app.state.storage.get(row.storage_key)
    if data is None:
        raise NotFound()
    return Response(
        data,
        media_type=row.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(row.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _quote(filename: str) -> str:
    from urllib.parse import quote

    return quote(filename, safe="")


@router.post(
    "/alerts",
    response_model=AnnouncementOut,
    status_code=201,
    summary="Gửi cảnh báo khẩn cấp / Send an emergency alert",
    description="Gửi ngay qua thông báo đẩy và SMS tới mọi người đăng ký tại các đơn vị được chọn, "
    "kể cả trong giờ yên tĩnh. Delivered at once by push and SMS to everyone registered in the units, "
    "overriding quiet hours.",
    responses=problems(401, 403),
)
async def send_alert(
    data: AlertIn, session: SessionDep, principal: PrincipalDep, locale: LocaleDep
) -> AnnouncementOut:
    alert = await service.send_alert(session, principal, data, utcnow())
    out = (await present.announcements_out(session, [alert], locale))[0]
    return out


@router.get(
    "/alerts/{announcement_id}/progress",
    response_model=Progress,
    summary="Tiến độ gửi cảnh báo / Alert delivery progress",
    responses=problems(401, 403, 404),
)
async def progress(announcement_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Progress:
    p = await service.progress(session, principal, announcement_id)
    return Progress(
        announcement_id=announcement_id,
        fanned_out=p.fanned_out,
        queued=p.queued,
        by_status=p.by_status,
        pending=p.pending,
    )


@router.get(
    "/me/subscriptions",
    response_model=Subscriptions,
    summary="Đơn vị và chủ đề đang theo dõi / My units and topics",
    responses=problems(401),
)
async def get_subscriptions(session: SessionDep, principal: PrincipalDep) -> Subscriptions:
    require_authenticated(principal)
    assert principal.account_id is not None
    rows = await repository.subscriptions(session, principal.account_id)
    return Subscriptions(
        units=[r.value for r in rows if r.kind == "unit"], topics=[r.value for r in rows if r.kind == "topic"]
    )


@router.put(
    "/me/subscriptions",
    response_model=Subscriptions,
    summary="Đăng ký đơn vị và chủ đề / Subscribe to units and topics",
    description="Cảnh báo khẩn cấp được gửi tới mọi người đăng ký tại đơn vị. "
    "Emergency alerts reach everyone subscribed to a unit.",
    responses=problems(401),
)
async def put_subscriptions(
    data: Subscriptions, session: SessionDep, principal: PrincipalDep
) -> Subscriptions:
    require_authenticated(principal)
    assert principal.account_id is not None
    await service.set_subscriptions(session, principal.account_id, data.units, data.topics)
    rows = await repository.subscriptions(session, principal.account_id)
    return Subscriptions(
        units=[r.value for r in rows if r.kind == "unit"], topics=[r.value for r in rows if r.kind == "topic"]
    )
