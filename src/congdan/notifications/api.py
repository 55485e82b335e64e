"""The in-app inbox, notification preferences, unsubscribe links and following a report."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse

from congdan.authz.policy import require_authenticated
from congdan.db import utcnow
from congdan.deps import LocaleDep, PrincipalDep, SessionDep, SettingsDep
from congdan.integrations.push import published_key
from congdan.kit.errors import BadRequest
from congdan.kit.i18n import _, translate
from congdan.kit.pagination import decode_cursor, encode_cursor
from congdan.kit.problems import problems
from congdan.models import NotificationPreference
from congdan.notifications import following, repository, service
from congdan.notifications.schemas import (
    Inbox,
    Marked,
    MarkRead,
    NotificationOut,
    Preferences,
    PushSubscriptionIn,
    PushSubscriptionOut,
    QuietHours,
    VapidKey,
    hhmm,
    minutes,
)
from congdan.notifications.tokens import read_token

router = APIRouter(prefix="/api/v1", tags=["notifications"])


@router.get(
    "/me/notifications",
    response_model=Inbox,
    summary="Hộp thư thông báo / In-app inbox",
    responses=problems(401),
)
async def inbox(
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
    unread: bool = False,
) -> Inbox:
    require_authenticated(principal)
    assert principal.account_id is not None
    rows = await repository.inbox(
        session, principal.account_id, limit=limit + 1, before=decode_cursor(cursor), unread_only=unread
    )
    page = rows[:limit]
    return Inbox(
        items=[
            NotificationOut(
                id=n.id,
                title=n.title,
                body=n.body,
                report_id=n.report_id,
                url=n.url,
                created_at=n.created_at,
                read_at=n.read_at,
            )
            for n in page
        ],
        next_cursor=encode_cursor(page[-1].id) if len(rows) > limit else None,
        unread=await repository.unread_count(session, principal.account_id),
    )


@router.post(
    "/me/notifications/read",
    response_model=Marked,
    summary="Đánh dấu đã đọc / Mark as read",
    responses=problems(401),
)
async def mark_read(data: MarkRead, session: SessionDep, principal: PrincipalDep) -> Marked:
    require_authenticated(principal)
    assert principal.account_id is not None
    marked = await repository.mark_read(session, principal.account_id, data.ids, utcnow())
    return Marked(marked=marked)


def _out(prefs: NotificationPreference) -> Preferences:
    start, end = prefs.quiet_start, prefs.quiet_end
    quiet = QuietHours(start=hhmm(start), end=hhmm(end)) if start is not None and end is not None else None
    return Preferences(
        email_enabled=prefs.email_enabled,
        sms_enabled=prefs.sms_enabled,
        push_enabled=prefs.push_enabled,
        quiet_hours=quiet,
    )


@router.get(
    "/me/notification-preferences",
    response_model=Preferences,
    summary="Tùy chọn nhận thông báo / Notification preferences",
    responses=problems(401),
)
async def get_preferences(session: SessionDep, principal: PrincipalDep) -> Preferences:
    require_authenticated(principal)
    assert principal.account_id is not None
    return _out(await service.get_preferences(session, principal.account_id))


@router.put(
    "/me/notification-preferences",
    response_model=Preferences,
    summary="Đổi tùy chọn nhận thông báo / Change notification preferences",
    description="Mã đăng nhập và cảnh báo khẩn cấp luôn được gửi, kể cả trong giờ yên tĩnh. "
    "Sign-in codes and emergency alerts ignore these settings and quiet hours.",
    responses=problems(401),
)
async def put_preferences(data: Preferences, session: SessionDep, principal: PrincipalDep) -> Preferences:
    require_authenticated(principal)
    assert principal.account_id is not None
    quiet = (minutes(data.quiet_hours.start), minutes(data.quiet_hours.end)) if data.quiet_hours else None
    prefs = await service.set_preferences(
        session,
        principal.account_id,
        email=data.email_enabled,
        sms=data.sms_enabled,
        push=data.push_enabled,
        quiet=quiet,
        now=utcnow(),
    )
    out = _out(prefs)
    return out


def _page(request: Request, locale: str, title: str, message: str, token: str | None = None) -> HTMLResponse:
    from congdan.templating import templates

    context = {"locale": locale, "title": title, "message": message, "token": token}
    return templates.TemplateResponse(request, "notifications/unsubscribe.html", context)


@router.get(
    "/notifications/unsubscribe",
    response_class=HTMLResponse,
    summary="Trang hủy nhận thư / Unsubscribe page",
    responses=problems(),
)
async def unsubscribe_page(
    request: Request, token: str, settings: SettingsDep, locale: LocaleDep
) -> HTMLResponse:
    # A GET only asks: link checkers in mail systems open links without anyone clicking.
    if read_token(settings, token) is None:
        raise BadRequest(_("Liên kết hủy nhận thư không hợp lệ."), field="token")
    return _page(
        request,
        locale,
        translate(_("Hủy nhận thư"), locale),
        translate(_("Bạn sẽ không nhận thư thông báo qua địa chỉ này nữa."), locale),
        token,
    )


@router.post(
    "/notifications/unsubscribe",
    response_class=HTMLResponse,
    summary="Hủy nhận thư (một chạm, RFC 8058) / Unsubscribe (one-click)",
    responses=problems(),
)
async def unsubscribe(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    locale: LocaleDep,
    token: Annotated[str | None, Query()] = None,
    form_token: Annotated[str | None, Form(alias="token")] = None,
) -> HTMLResponse:
    target = read_token(settings, token or form_token or "")
    if target is None:
        raise BadRequest(_("Liên kết hủy nhận thư không hợp lệ."), field="token")
    await service.unsubscribe(session, target, utcnow())
    return _page(
        request,
        locale,
        translate(_("Đã hủy nhận thư"), locale),
        translate(_("Từ nay bạn không nhận thư thông báo qua địa chỉ này."), locale),
    )


@router.put(
    "/reports/{report_id}/follow",
    status_code=204,
    summary="Theo dõi một phản ánh / Follow a report",
    responses=problems(401, 404),
)
async def follow(report_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Response:
    await following.follow(session, principal, report_id)
    return Response(status_code=204)


@router.delete(
    "/reports/{report_id}/follow",
    status_code=204,
    summary="Bỏ theo dõi / Unfollow a report",
    responses=problems(401, 404),
)
async def unfollow(report_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Response:
    await following.unfollow(session, principal, report_id)
    return Response(status_code=204)


@router.get(
    "/push/vapid-public-key",
    response_model=VapidKey,
    summary="Khóa công khai VAPID cho thông báo đẩy / VAPID public key for web push",
    responses=problems(),
)
async def vapid_key(settings: SettingsDep) -> VapidKey:
    return VapidKey(public_key=published_key(settings))


@router.post(
    "/me/push-subscriptions",
    response_model=PushSubscriptionOut,
    status_code=201,
    summary="Đăng ký thông báo đẩy cho thiết bị này / Register this device for push",
    responses=problems(401, 422),
)
async def add_push_subscription(
    data: PushSubscriptionIn, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> PushSubscriptionOut:
    require_authenticated(principal)
    assert principal.account_id is not None
    row = await service.register_push(
        session,
        settings,
        principal.account_id,
        data.endpoint,
        (data.keys.p256dh, data.keys.auth),
        data.user_agent,
    )
    out = PushSubscriptionOut(id=row.id, endpoint=row.endpoint, created_at=row.created_at)
    return out


@router.delete(
    "/me/push-subscriptions",
    status_code=204,
    summary="Hủy thông báo đẩy cho thiết bị / Unregister a device",
    responses=problems(401),
)
async def delete_push_subscription(
    endpoint: Annotated[str, Query(max_length=1000)], session: SessionDep, principal: PrincipalDep
) -> Response:
    require_authenticated(principal)
    await repository.delete_push_subscription(session, endpoint, principal.account_id)
    return Response(status_code=204)
