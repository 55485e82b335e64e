"""Publishing news and alerts, attachments, subscriptions, and the batched fan-out to residents.

Publishing writes an "announcement.fanout" outbox row due at the publication time; each run of it
reaches one batch of the audience and writes the row for the next batch, so an alert to a whole
city moves through the outbox in steps that each commit with their deliveries.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.announcements import repository
from congdan.announcements.schemas import AlertIn, AnnouncementIn
from congdan.announcements.topics import ALERT_TYPES, TOPICS
from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.config import Settings
from congdan.db import new_id
from congdan.integrations.storage import Storage
from congdan.kit.errors import FieldError, NotFound, UnsupportedMediaType, ValidationFailed
from congdan.kit.i18n import _
from congdan.kit.text import clean_line, clean_plain_text
from congdan.models import Announcement, AnnouncementAttachment, OutboxMessage
from congdan.notifications import service as notify
from congdan.notifications.repository import deliveries_by_status
from congdan.outbox.service import emit

FANOUT_EVENT = "announcement.fanout"
FANOUT_BATCH = 500
HANDED_OVER = frozenset({"sent", "delivered", "rejected", "dead", "unknown"})
# An alert's fan-out batches go ahead of its own messages, so the whole audience is queued quickly
# and every worker can send; its messages in turn go ahead of everything else.
FANOUT_PRIORITY = notify.URGENT_PRIORITY + 10


def topic_key(announcement: Announcement) -> str:
    return f"{announcement.kind}:{announcement.id}"


async def _check_units(session: AsyncSession, units: list[str], errors: list[FieldError]) -> list[str]:
    unique = sorted(set(units))
    missing = sorted(set(unique) - await repository.existing_areas(session, unique))
    if missing:
        errors.append(
            FieldError(
                "units", _("Đơn vị hành chính không tồn tại: %(codes)s."), {"codes": ", ".join(missing)}
            )
        )
    return unique


async def publish(
    session: AsyncSession, principal: Principal, data: AnnouncementIn, now: datetime
) -> Announcement:
    agency = data.agency or principal.agency_code
    policy.require_publisher(principal, agency)
    errors: list[FieldError] = []
    units = await _check_units(session, data.units, errors)
    if data.scope == "units" and not units:
        errors.append(FieldError("units", _("Cần chọn ít nhất một đơn vị hành chính.")))
    if data.topic is not None and data.topic not in TOPICS:
        errors.append(FieldError("topic", _("Chủ đề không tồn tại: %(code)s."), {"code": data.topic}))
    if data.scope == "topic" and data.topic is None:
        errors.append(FieldError("topic", _("Cần chọn chủ đề.")))
    publish_at = data.publish_at or now
    for field, value in (("publish_at", data.publish_at), ("expires_at", data.expires_at)):
        if value is not None and value.tzinfo is None:
            errors.append(FieldError(field, _("Thời điểm cần có múi giờ, ví dụ +07:00.")))
    if not errors and data.expires_at is not None and data.expires_at <= publish_at:
        errors.append(FieldError("expires_at", _("Thời điểm hết hạn phải sau thời điểm đăng.")))
    if errors:
        raise ValidationFailed(errors=errors)
    announcement = Announcement(
        kind=data.kind,
        agency_code=agency,
        author_id=principal.account_id,
        title=clean_line(data.title),
        body=clean_plain_text(data.body),
        scope=data.scope,
        area_codes=units if data.scope == "units" else [],
        topic=data.topic,
        publish_at=publish_at,
        expires_at=data.expires_at,
        created_at=now,
    )
    session.add(announcement)
    await session.flush()
    _start_fanout(session, announcement, urgent=False)
    return announcement


async def send_alert(
    session: AsyncSession, principal: Principal, data: AlertIn, now: datetime
) -> Announcement:
    agency = data.agency or principal.agency_code
    policy.require_alert_sender(principal, agency)
    errors: list[FieldError] = []
    units = await _check_units(session, data.units, errors)
    if data.alert_type not in ALERT_TYPES:
        errors.append(
            FieldError("alert_type", _("Loại cảnh báo không tồn tại: %(code)s."), {"code": data.alert_type})
        )
    if data.expires_at is not None and (data.expires_at.tzinfo is None or data.expires_at <= now):
        errors.append(FieldError("expires_at", _("Thời điểm hết hạn phải sau thời điểm đăng.")))
    if errors:
        raise ValidationFailed(errors=errors)
    alert = Announcement(
        kind="alert",
        alert_type=data.alert_type,
        agency_code=agency,
        author_id=principal.account_id,
        title=clean_line(data.title),
        body=clean_plain_text(data.body),
        scope="units" if units else "city",
        area_codes=units,
        topic="weather_disaster" if data.alert_type in ("flood_tide", "storm") else None,
        publish_at=now,
        expires_at=data.expires_at,
        created_at=now,
    )
    session.add(alert)
    await session.flush()
    _start_fanout(session, alert, urgent=True)
    return alert


def _start_fanout(session: AsyncSession, announcement: Announcement, *, urgent: bool) -> None:
    message = emit(
        session,
        FANOUT_EVENT,
        aggregate_type="announcement",
        aggregate_id=str(announcement.id),
        payload={"announcement_id": str(announcement.id), "after": None},
    )
    message.available_at = announcement.publish_at  # scheduled news reaches people when it is published
    if urgent:
        message.priority = FANOUT_PRIORITY


async def fanout_batch(
    session: AsyncSession,
    settings: Settings,
    message: OutboxMessage,
    now: datetime,
    batch: int = FANOUT_BATCH,
) -> None:
    announcement = await repository.get(session, uuid.UUID(str(message.payload["announcement_id"])))
    if announcement is None or not repository.is_live(announcement, now):
        return  # withdrawn or expired before it reached everyone: stop here
    after = uuid.UUID(str(message.payload["after"])) if message.payload.get("after") else None
    alert = announcement.kind == "alert"
    accounts, cursor = await repository.audience_page(
        session,
        units=announcement.area_codes,
        # Alerts go by place only; news to a topic's followers unless it targets units.
        topic=None if alert or announcement.scope == "units" else announcement.topic,
        everyone=alert and announcement.scope == "city",
        after=after,
        limit=batch,
    )
    recipients = await notify.recipients_for_accounts(session, accounts)
    notice = notify.Notice(
        kind="emergency_alert" if alert else "announcement",
        params={"title": announcement.title, "body": announcement.body},
        topic=topic_key(announcement),
        url=f"{settings.base_url}/tin-tuc/{announcement.id}",
        urgent=alert,
        # News waits in the inbox (and on the phone's push); alerts also go by SMS.
        only_channels=frozenset({"inbox", "push", "sms"} if alert else {"inbox", "push"}),
    )
    queued = await notify.fan_out(session, settings, message, notice, recipients, now)
    announcement.queued += queued + sum(1 for r in recipients if r.account_id is not None)
    if cursor is None:
        announcement.fanned_out = True
        return
    follow_up = emit(
        session,
        FANOUT_EVENT,
        aggregate_type="announcement",
        aggregate_id=str(announcement.id),
        payload={"announcement_id": str(announcement.id), "after": str(cursor)},
    )
    follow_up.priority = message.priority


async def withdraw(
    session: AsyncSession, principal: Principal, announcement_id: uuid.UUID, now: datetime
) -> Announcement:
    announcement = await get_managed(session, principal, announcement_id)
    announcement.withdrawn_at = now
    return announcement


async def get_managed(
    session: AsyncSession, principal: Principal, announcement_id: uuid.UUID
) -> Announcement:
    announcement = await repository.get(session, announcement_id)
    if announcement is None:
        raise NotFound(_("Không tìm thấy thông báo."))
    policy.require_publisher(principal, announcement.agency_code)
    return announcement


async def get_public(session: AsyncSession, announcement_id: uuid.UUID, now: datetime) -> Announcement:
    announcement = await repository.get(session, announcement_id)
    if announcement is None or not repository.is_live(announcement, now):
        raise NotFound(_("Không tìm thấy thông báo."))
    return announcement


_SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
_UNSAFE = re.compile(r"[^\w .()-]+", re.UNICODE)


def sniff(data: bytes) -> tuple[str, str] | None:
    """The type the bytes really are, never what the client claims."""
    for signature, content_type, ext in _SIGNATURES:
        if data.startswith(signature):
            return content_type, ext
    return None


async def attach(
    session: AsyncSession,
    principal: Principal,
    storage: Storage,
    announcement_id: uuid.UUID,
    filename: str,
    data: bytes,
) -> AnnouncementAttachment:
    announcement = await get_managed(session, principal, announcement_id)
    kind = sniff(data)
    if kind is None:
        raise UnsupportedMediaType(_("Tệp đính kèm phải là PDF, JPEG hoặc PNG."), field="file")
    content_type, ext = kind
    attachment_id = new_id()
    key = f"announcements/{attachment_id.hex}.{ext}"
    await storage.put(key, data)
    name = (
        _UNSAFE.sub("_", clean_plain_text(filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]))[:200]
        or f"tep.{ext}"
    )
    row = AnnouncementAttachment(
        id=attachment_id,
        announcement_id=announcement.id,
        filename=name,
        content_type=content_type,
        size_bytes=len(data),
        storage_key=key,
    )
    session.add(row)
    return row


async def feed(
    session: AsyncSession,
    now: datetime,
    *,
    limit: int,
    after: Announcement | None = None,
    topic: str | None = None,
    unit: str | None = None,
    kind: str | None = None,
) -> list[Announcement]:
    """limit + 1 live announcements for a unit's readers: the city's, and those aimed at the unit."""
    found: list[Announcement] = []
    while len(found) <= limit:
        rows = await repository.published(session, now, limit=limit + 1, after=after, topic=topic, kind=kind)
        found.extend(r for r in rows if unit is None or r.scope != "units" or unit in (r.area_codes or []))
        if len(rows) <= limit:
            break
        after = rows[-1]
    return found[: limit + 1]


async def current_alerts(session: AsyncSession, now: datetime, units: frozenset[str]) -> list[Announcement]:
    """Live emergency alerts for everyone (city-wide) and for readers in any of `units`, newest
    first; a handful at most, for the banner on residents' pages."""
    rows = await repository.published(session, now, limit=20, kind="alert")
    return [r for r in rows if r.scope == "city" or units.intersection(r.area_codes or [])][:3]


async def resident_units(session: AsyncSession, account_id: uuid.UUID) -> frozenset[str]:
    """The units a resident registered (where they live or work)."""
    return frozenset(s.value for s in await repository.subscriptions(session, account_id) if s.kind == "unit")


@dataclass(frozen=True)
class AlertProgress:
    fanned_out: bool
    queued: int
    by_status: dict[str, int]
    pending: int


async def progress(session: AsyncSession, principal: Principal, announcement_id: uuid.UUID) -> AlertProgress:
    announcement = await get_managed(session, principal, announcement_id)
    topic = topic_key(announcement)
    by_status = await deliveries_by_status(session, topic)
    return AlertProgress(
        fanned_out=announcement.fanned_out,
        queued=announcement.queued,
        by_status=by_status,
        # Queued but not yet handed over for good: waiting, being sent, or failed and to be retried.
        pending=max(announcement.queued - sum(n for k, n in by_status.items() if k in HANDED_OVER), 0),
    )


async def set_subscriptions(
    session: AsyncSession, account_id: uuid.UUID, units: list[str], topics: list[str]
) -> None:
    errors: list[FieldError] = []
    unit_codes = await _check_units(session, units, errors)
    unknown = sorted(set(topics) - set(TOPICS))
    if unknown:
        errors.append(
            FieldError("topics", _("Chủ đề không tồn tại: %(code)s."), {"code": ", ".join(unknown)})
        )
    if errors:
        raise ValidationFailed(errors=errors)
    pairs = {("unit", u) for u in unit_codes} | {("topic", t) for t in topics}
    await repository.replace_subscriptions(session, account_id, pairs)
