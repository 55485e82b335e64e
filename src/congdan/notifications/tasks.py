"""Outbox handlers: report and staff events fan out to their audience; notify.send rows reach providers.

Sending is exactly-once per outbox row: the delivery row is claimed (status "sending") and committed
before the provider is called, and a later run that finds a claim it did not finish records
"unknown" instead of sending again. A provider that fails is retried with the outbox's backoff.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.auth import repository as auth_repo
from congdan.auth.events import CODE_REQUESTED
from congdan.db import utcnow
from congdan.integrations.channels import Channel, ChannelError, OutgoingMessage
from congdan.integrations.registry import build_channels
from congdan.kit.crypto import keyring_for
from congdan.kit.metrics import DELIVERIES
from congdan.live import service as live
from congdan.models import Delivery, OutboxMessage, Report
from congdan.notifications import repository, service
from congdan.notifications.messages import STAFF_EVENTS, local_time
from congdan.outbox.registry import HandlerContext, Registry
from congdan.reports import events
from congdan.reports.deadlines import time_left

# The coordinators' triage queue has its own live channel.
COORDINATION_QUEUE = "coordination"

# Status moves the resident hears about, and the message kind for each.
RESIDENT_STATUS_KINDS = {
    "assigned": "assigned",
    "in_progress": "progress",
    "transferred": "transferred",
    "resolved": "resolved",
    "reopened": "reopened",
    "closed": "closed",
    "rejected": "rejected",
    "duplicate": "duplicate",
}


async def _report(session: AsyncSession, payload: dict[str, Any]) -> Report | None:
    return await repository.report(session, uuid.UUID(str(payload["report_id"])))


async def _merged_into_public(session: AsyncSession, report: Report) -> bool:
    original = await repository.report(session, report.duplicate_of_id) if report.duplicate_of_id else None
    return original is not None and original.is_public


def _notice(ctx: HandlerContext, report: Report, kind: str, **params: object) -> service.Notice:
    return service.Notice(
        kind=kind,
        params={"code": report.tracking_code, **params},
        topic=f"report:{report.id}",
        url=service.report_url(ctx.settings, report),
        report_id=report.id,
    )


async def notify_residents(session: AsyncSession, message: OutboxMessage, ctx: HandlerContext) -> None:
    payload = message.payload
    report = await _report(session, payload)
    if report is None:
        return
    kind: str | None
    if message.event_type == events.SUBMITTED:
        kind = "received"
    elif message.event_type == events.STATUS_CHANGED:
        kind = RESIDENT_STATUS_KINDS.get(str(payload.get("to"))) if payload.get("public", True) else None
        if kind == "duplicate" and not await _merged_into_public(session, report):
            kind = "merged"  # they do not follow a private original, so they are not told they will
        if payload.get("to") == "assigned" and report.agency_code:
            await _notify_staff(session, message, ctx, report, "staff_assigned")
    elif message.event_type == events.REPLIED:
        kind = "replied"
    elif message.event_type == events.INFO_REQUESTED:
        kind = "info_requested"
    else:
        kind = "progress_posted"
    _announce_live(session, ctx, message, report)
    if kind is None:
        return
    audience = await service.report_audience(session, report, message.created_at)
    note = str(payload.get("note") or "")
    await service.fan_out(
        session, ctx.settings, message, _notice(ctx, report, kind, note=note), audience, utcnow()
    )


def _announce_live(
    session: AsyncSession, ctx: HandlerContext, message: OutboxMessage, report: Report
) -> None:
    data = {
        "event": message.event_type,
        "report_id": str(report.id),
        "tracking_code": report.tracking_code,
        "status": report.status,
    }
    queues = []
    if report.agency_code:
        queues.append(live.queue_channel(report.agency_code))
    if message.payload.get("from") == "transferred" or message.payload.get("to") in ("transferred", "triage"):
        queues.append(live.queue_channel(COORDINATION_QUEUE))
    # Only staff hear a queue: they are told which staff member made the change; a report's own
    # channel, which residents hear, is not.
    actor = message.payload.get("actor_id")
    for_queues = {**data, "actor": actor} if actor else data
    messages = [(live.report_channel(report.id), data)] + [(q, for_queues) for q in queues]
    live.publish_after_commit(session, ctx.resources.get("live"), messages)


async def notify_staff(session: AsyncSession, message: OutboxMessage, ctx: HandlerContext) -> None:
    report = await _report(session, message.payload)
    if report is not None:
        await _notify_staff(session, message, ctx, report, STAFF_EVENTS[message.event_type])


async def _notify_staff(
    session: AsyncSession, message: OutboxMessage, ctx: HandlerContext, report: Report, kind: str
) -> None:
    audience = await service.staff_audience(session, report, kind)
    for locale in {r.locale for r in audience}:
        group = [r for r in audience if r.locale == locale]
        note = str(message.payload.get("note") or "")
        if not note and kind == "staff_escalated":  # why it went up: how late it is, in their language
            at = message.payload.get("at")
            when = datetime.fromisoformat(str(at)) if at else message.created_at
            note = time_left(report.due_at, when, locale)
        notice = _notice(ctx, report, kind, due=local_time(report.due_at, locale), note=note)
        await service.fan_out(session, ctx.settings, message, notice, group, utcnow())


async def deliver_sign_in_code(session: AsyncSession, message: OutboxMessage, ctx: HandlerContext) -> None:
    payload = message.payload
    channel = str(payload["channel"])
    # The destination stays sealed in the challenge row; the payload only points at it.
    challenge = await auth_repo.challenge(session, uuid.UUID(str(payload["challenge_id"])))
    if challenge is None:  # the person deleted their account before the code went out
        return
    destination = challenge.destination
    locale = str(payload.get("locale") or "vi")
    recipient = service.Recipient(
        account_id=None,
        locale=locale,
        email=destination if channel == "email" else None,
        phone=destination if channel == "sms" else None,
    )
    proving = payload.get("purpose") == "report_proof"
    notice = service.Notice(
        kind="report_proof_code" if proving else "sign_in_code",
        params={
            "code": payload.get("code", ""),
            "minutes": ctx.settings.otp_ttl_minutes,
            "report": payload.get("tracking_code", ""),
        },
        topic=f"otp:{message.aggregate_id}",
        urgent=True,
        only_channels=frozenset({channel}),
    )
    await service.fan_out(session, ctx.settings, message, notice, [recipient], utcnow())


@dataclass(frozen=True)
class Claim:
    delivery_id: uuid.UUID
    channel: str
    message: OutgoingMessage


def channels_for(ctx: HandlerContext) -> dict[str, Channel]:
    channels = ctx.resources.get("channels")
    if channels is None:
        channels = ctx.resources["channels"] = build_channels(ctx.settings)
    return channels


class NotifySender:
    async def claim(self, session: AsyncSession, message: OutboxMessage, ctx: HandlerContext) -> Claim | None:
        p = message.payload
        channel = str(p["channel"])
        to = keyring_for(session.get_bind().dialect).open(str(p["to"]), service.SEND_TO_PURPOSE)
        recipient = to[:254]  # push endpoints can be longer than an address column
        row = await repository.delivery(session, message.id, channel, recipient)
        now = utcnow()
        if row is None:
            row = Delivery(
                outbox_id=message.id,
                channel=channel,
                recipient=recipient,
                status="sending",
                attempts=0,
                account_id=uuid.UUID(str(p["account_id"])) if p.get("account_id") else None,
                topic=str(p.get("topic") or "")[:64] or None,
            )
            session.add(row)
        elif row.status == "sending":
            # Claimed by a run that never recorded the outcome: it may have reached the provider.
            row.status = "unknown"
            row.updated_at = now
            row.provider_response = "interrupted after hand-over; not sent again"
            return None
        elif row.status != "failed":
            return None  # sent, rejected or dead already
        row.status = "sending"
        row.attempts += 1
        row.updated_at = now
        await session.flush()
        outgoing = OutgoingMessage(
            to=to,
            subject=str(p.get("subject") or ""),
            text=str(p.get("text") or ""),
            html=str(p["html"]) if p.get("html") else None,
            reference=str(row.id),
            unsubscribe_url=str(p["unsubscribe_url"]) if p.get("unsubscribe_url") else None,
            url=str(p["url"]) if p.get("url") else None,
            priority=bool(p.get("urgent")),
            data={str(k): str(v) for k, v in dict(p.get("keys") or {}).items()},  # type: ignore[call-overload]
        )
        return Claim(row.id, channel, outgoing)

    async def act(self, claim: Claim, ctx: HandlerContext) -> str:
        channel = channels_for(ctx).get(claim.channel)
        if channel is None:
            raise ChannelError(f"no {claim.channel} channel configured", permanent=True)
        return await channel.send(claim.message)

    async def record(
        self, session: AsyncSession, message: OutboxMessage, claim: Claim, outcome: Any, ctx: HandlerContext
    ) -> str | None:
        row = await repository.delivery_for_update(session, claim.delivery_id)
        assert row is not None
        row.updated_at = utcnow()
        if not isinstance(outcome, BaseException):
            row.status = "sent"
            row.provider_response = str(outcome)[:2000]
            DELIVERIES.labels(claim.channel, row.status).inc()
            return None
        row.provider_response = f"{type(outcome).__name__}: {outcome}"[:2000]
        if isinstance(outcome, ChannelError) and outcome.permanent:
            row.status = "rejected"
            DELIVERIES.labels(claim.channel, row.status).inc()
            if outcome.gone:
                await forget_destination(session, claim)
            return None
        last_try = message.attempts + 1 >= ctx.settings.notify_max_attempts
        row.status = "dead" if last_try else "failed"
        DELIVERIES.labels(claim.channel, row.status).inc()
        return row.provider_response


async def forget_destination(session: AsyncSession, claim: Claim) -> None:
    """The push service says the subscription no longer exists: stop sending to it."""
    if claim.channel == "push":
        await repository.delete_push_subscription(session, claim.message.to)


def register(registry: Registry) -> None:
    registry.handles(
        events.SUBMITTED,
        events.STATUS_CHANGED,
        events.REPLIED,
        events.INFO_REQUESTED,
        events.PROGRESS_POSTED,
    )(notify_residents)
    registry.handles(*STAFF_EVENTS)(notify_staff)
    registry.handles(CODE_REQUESTED, scrub_keys=("code",))(deliver_sign_in_code)
    registry.sends(
        service.SEND_EVENT,
        NotifySender(),
        scrub_keys=("subject", "text", "html", "unsubscribe_url"),
        max_attempts=lambda settings: settings.notify_max_attempts,
    )
