"""Who hears about what, on which channel and when; the fan-out into one outbox row per delivery.

The fan-out runs inside an outbox handler, so it happens once per event: the in-app inbox row is
written right there, and every external message (email, SMS, push) becomes its own "notify.send"
row, sent after commit with retries and recorded as a delivery.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.accounts import repository as accounts_repo
from congdan.authz.policy import (
    AGENCY_MANAGER,
    AGENCY_ROLES,
    COORDINATOR,
    account_principal,
    can_view_report,
    proven_reporter,
)
from congdan.config import Settings
from congdan.integrations.channels import InboxChannel, OutgoingMessage
from congdan.integrations.push_endpoints import RefusedEndpoint, check_endpoint
from congdan.kit.crypto import Keyring, keyring_for
from congdan.kit.errors import ValidationFailed
from congdan.kit.i18n import DEFAULT_LOCALE, LOCALES
from congdan.models import Account, Delivery, NotificationPreference, OutboxMessage, PushSubscription, Report
from congdan.notifications import repository
from congdan.notifications.messages import LOCAL_TZ, Rendered, render
from congdan.notifications.tokens import Unsubscribe, make_token
from congdan.outbox.service import emit

SEND_EVENT = "notify.send"
SEND_TO_PURPOSE = "outbox.notify.to"  # binds a sealed address to this use
# Never held back by quiet hours or channel preferences: the person is waiting for it, or it is an emergency.
URGENT_KINDS = frozenset({"sign_in_code", "report_proof_code", "emergency_alert"})
URGENT_PRIORITY = 10


@dataclass
class Recipient:
    account_id: uuid.UUID | None
    locale: str = DEFAULT_LOCALE
    email: str | None = None
    phone: str | None = None
    channels: set[str] = field(default_factory=lambda: {"inbox", "email", "push"})
    quiet_start: int | None = None
    quiet_end: int | None = None


def recipient_for(account: Account, prefs: NotificationPreference | None) -> Recipient:
    channels = {"inbox"}
    if prefs is None or prefs.email_enabled:
        channels.add("email")
    if prefs is not None and prefs.sms_enabled:
        channels.add("sms")
    if prefs is None or prefs.push_enabled:
        channels.add("push")
    return Recipient(
        account_id=account.id,
        locale=account.locale if account.locale in LOCALES else DEFAULT_LOCALE,
        email=account.email,
        phone=account.phone,
        channels=channels,
        quiet_start=prefs.quiet_start if prefs else None,
        quiet_end=prefs.quiet_end if prefs else None,
    )


async def recipients_for_accounts(session: AsyncSession, accounts: list[Account]) -> list[Recipient]:
    prefs = await repository.preferences(session, [a.id for a in accounts])
    return [recipient_for(a, prefs.get(a.id)) for a in accounts]


def _anonymous(report: Report) -> Recipient | None:
    if report.reporter_id is None and (report.contact_email or report.contact_phone):
        # The only ways to reach them; they opt out with the link in each message.
        return Recipient(
            account_id=None, email=report.contact_email, phone=report.contact_phone, channels={"email", "sms"}
        )
    return None


async def report_audience(session: AsyncSession, report: Report, event_at: datetime) -> list[Recipient]:
    """The reporter (or the contact an anonymous reporter left) and those who were following the
    report when the event happened: accounts, and the reporters of duplicates marked onto it."""
    accounts: list[Account] = []
    anonymous: list[Recipient] = []
    reporter = await accounts_repo.get(session, report.reporter_id) if report.reporter_id else None
    if reporter is not None and reporter.is_active:
        accounts.append(reporter)
    elif (own := _anonymous(report)) is not None:
        anonymous.append(own)
    seen = {a.id for a in accounts}
    # A follower hears of a report (its code, its news) only while they may see it.
    accounts.extend(
        f
        for f in await repository.followers(session, report.id, event_at)
        if f.id not in seen and can_view_report(account_principal(f), report)
    )
    for duplicate in await repository.followed_through(session, report.id, event_at):
        if not can_view_report(proven_reporter(duplicate.id), report):
            continue
        if (contact := _anonymous(duplicate)) is not None:
            anonymous.append(contact)
    return [*await recipients_for_accounts(session, accounts), *anonymous]


# Deadline steps: the officer the report was given to hears of it first; the managers answer for
# the agency's deadlines when nobody was given it, and are told too once it is late.
MANAGERS_FIRST = frozenset({"staff_due_soon", "staff_overdue"})


async def staff_audience(session: AsyncSession, report: Report, kind: str) -> list[Recipient]:
    if report.agency_code is None:
        accounts = list(await repository.accounts_with_role(session, COORDINATOR))
    elif kind == "staff_escalated":
        accounts = [
            *await repository.staff_of(session, report.agency_code, [AGENCY_MANAGER]),
            *await repository.accounts_with_role(session, COORDINATOR),
        ]
    elif kind in MANAGERS_FIRST:
        assignee = await _assignee(session, report)
        if kind == "staff_due_soon" and assignee is not None:
            accounts = [assignee]
        else:
            # An agency without a manager account hears it through all its staff.
            managers = list(await repository.staff_of(session, report.agency_code, [AGENCY_MANAGER]))
            accounts = managers or list(await repository.staff_of(session, report.agency_code, AGENCY_ROLES))
            if assignee is not None and assignee.id not in {a.id for a in accounts}:
                accounts.append(assignee)
    else:
        accounts = list(await repository.staff_of(session, report.agency_code, AGENCY_ROLES))
    recipients = await recipients_for_accounts(session, accounts)
    for r in recipients:
        r.channels &= {"inbox", "email", "push"}  # no SMS bills for staff work
    return recipients


async def _assignee(session: AsyncSession, report: Report) -> Account | None:
    """The officer the report was given to, while they still work for its agency."""
    if report.assignee_id is None or report.agency_code is None:
        return None
    officer = await accounts_repo.get(session, report.assignee_id)
    still_there = (
        officer is not None
        and officer.is_active
        and officer.agency_code == report.agency_code
        and officer.role in AGENCY_ROLES
    )
    return officer if still_there else None


def quiet_until(start: int | None, end: int | None, now: datetime) -> datetime | None:
    """When the recipient's quiet hours end, if `now` falls inside them (local time)."""
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(LOCAL_TZ)
    minute = local.hour * 60 + local.minute
    inside = start <= minute < end if start < end else (minute >= start or minute < end)
    if not inside:
        return None
    until = local.replace(hour=end // 60, minute=end % 60, second=0, microsecond=0)
    if until <= local:
        until += timedelta(days=1)
    return until.astimezone(UTC)


@dataclass(frozen=True)
class Notice:
    kind: str
    params: dict[str, object]
    topic: str
    url: str | None = None
    report_id: uuid.UUID | None = None
    # Emergency alerts and sign-in codes: no quiet hours, no channel preferences, first in line.
    urgent: bool = False
    only_channels: frozenset[str] | None = None


async def fan_out(
    session: AsyncSession,
    settings: Settings,
    source: OutboxMessage,
    notice: Notice,
    recipients: list[Recipient],
    now: datetime,
) -> int:
    """Writes inbox rows and one notify.send row per external delivery. Returns how many were queued."""
    urgent = notice.urgent or notice.kind in URGENT_KINDS
    addresses = [
        (channel, address)
        for r in recipients
        for channel, address in (("email", r.email), ("sms", r.phone))
        if address is not None
    ]
    blocked = set() if urgent else await repository.opted_out(session, addresses)
    devices: dict[uuid.UUID, list[PushSubscription]] = {}
    wants_push = notice.only_channels is None or "push" in notice.only_channels
    if settings.vapid_private_key and wants_push:
        devices = await repository.push_subscriptions(
            session, [r.account_id for r in recipients if r.account_id]
        )
    rendered: dict[str, Rendered] = {}
    bare: dict[str, Rendered] = {}
    queued = 0
    for r in recipients:
        if r.locale not in rendered:
            rendered[r.locale] = render(notice.kind, r.locale, notice.params, url=notice.url)
            # The inbox shows the report itself; its messages need no link.
            bare[r.locale] = render(notice.kind, r.locale, notice.params)
        text = rendered[r.locale]
        channels = set(notice.only_channels or {"inbox", "email", "sms", "push"})
        if not urgent:
            channels &= r.channels
        if r.account_id is not None and "inbox" in channels:
            await _to_inbox(session, source, notice, r.account_id, bare[r.locale])
        hold = None if urgent else quiet_until(r.quiet_start, r.quiet_end, now)
        for channel, address in (("email", r.email), ("sms", r.phone)):
            if address is None or channel not in channels or (channel, address) in blocked:
                continue
            unsubscribe = None
            if channel == "email" and not urgent:
                token = make_token(
                    settings, Unsubscribe(channel, address, str(r.account_id) if r.account_id else None)
                )
                unsubscribe = f"{settings.base_url}/api/v1/notifications/unsubscribe?token={token}"
            body = text
            if unsubscribe:
                body = render(
                    notice.kind, r.locale, notice.params, url=notice.url, unsubscribe_url=unsubscribe
                )
            _queue(
                source,
                session,
                notice,
                r,
                channel,
                address,
                body,
                unsubscribe,
                hold,
                urgent,
                settings.keyring,
            )
            queued += 1
        if r.account_id is not None and "push" in channels:
            for device in devices.get(r.account_id, []):
                keys = {"p256dh": device.p256dh, "auth": device.auth}
                _queue(
                    source,
                    session,
                    notice,
                    r,
                    "push",
                    device.endpoint,
                    bare[r.locale],
                    None,
                    hold,
                    urgent,
                    _keyring(session),
                    keys,
                )
                queued += 1
    return queued


async def _to_inbox(
    session: AsyncSession, source: OutboxMessage, notice: Notice, account_id: uuid.UUID, text: Rendered
) -> None:
    # The fan-out runs once per outbox row (it commits with the row's mark), so no check for an
    # earlier inbox row is needed; the unique delivery key would refuse a second one anyway.
    recipient = str(account_id)
    answer = await InboxChannel(session, outbox_id=source.id, report_id=notice.report_id).send(
        OutgoingMessage(to=recipient, subject=text.subject, text=text.text, url=notice.url)
    )
    session.add(
        Delivery(
            outbox_id=source.id,
            channel="inbox",
            recipient=recipient,
            status="delivered",
            attempts=1,
            account_id=account_id,
            topic=notice.topic,
            provider_response=answer,
        )
    )


def _keyring(session: AsyncSession) -> Keyring:
    """The keys of the database this session writes to, as for every sealed column."""
    return keyring_for(session.get_bind().dialect)


def _queue(
    source: OutboxMessage,
    session: AsyncSession,
    notice: Notice,
    r: Recipient,
    channel: str,
    address: str,
    text: Rendered,
    unsubscribe: str | None,
    hold: datetime | None,
    urgent: bool,
    keyring: Keyring,
    keys: dict[str, str] | None = None,
) -> None:
    payload: dict[str, object] = {
        "keys": keys,
        "channel": channel,
        # The address waits in the queue sealed, like every phone number and email we keep.
        "to": keyring.seal(address, SEND_TO_PURPOSE),
        "account_id": str(r.account_id) if r.account_id else None,
        "kind": notice.kind,
        "topic": notice.topic,
        "subject": text.subject,
        "text": text.text,
        "html": text.html if channel == "email" else None,
        "url": notice.url,
        "unsubscribe_url": unsubscribe,
        "urgent": urgent,
        "source": str(source.id),
    }
    # One recipient's messages form one stream, so they reach the provider in the order written.
    stream = f"{channel}:{keyring.lookup_hash(address)[:48]}"
    message = emit(session, SEND_EVENT, aggregate_type="recipient", aggregate_id=stream, payload=payload)
    if hold is not None:
        message.available_at = hold  # deferred, not dropped
    if urgent:
        message.priority = URGENT_PRIORITY


def report_url(settings: Settings, report: Report) -> str:
    return f"{settings.base_url}/theo-doi/{report.tracking_code}"


async def get_preferences(session: AsyncSession, account_id: uuid.UUID) -> NotificationPreference:
    prefs = (await repository.preferences(session, [account_id])).get(account_id)
    return prefs or NotificationPreference(
        account_id=account_id, email_enabled=True, sms_enabled=False, push_enabled=True
    )


async def set_preferences(
    session: AsyncSession,
    account_id: uuid.UUID,
    *,
    email: bool,
    sms: bool,
    push: bool,
    quiet: tuple[int, int] | None,
    now: datetime,
) -> NotificationPreference:
    prefs = (await repository.preferences(session, [account_id])).get(account_id)
    if prefs is None:
        prefs = NotificationPreference(account_id=account_id)
        session.add(prefs)
    prefs.email_enabled, prefs.sms_enabled, prefs.push_enabled = email, sms, push
    prefs.quiet_start, prefs.quiet_end = quiet if quiet else (None, None)
    prefs.updated_at = now
    await session.flush()
    return prefs


async def unsubscribe(session: AsyncSession, target: Unsubscribe, now: datetime) -> None:
    """Turns the channel off for the account, or for the address when it has none."""
    account = await accounts_repo.get(session, uuid.UUID(target.account_id)) if target.account_id else None
    if account is None:
        await repository.add_optout(session, target.channel, target.destination)
        return
    prefs = await get_preferences(session, account.id)
    await set_preferences(
        session,
        account.id,
        email=prefs.email_enabled and target.channel != "email",
        sms=prefs.sms_enabled and target.channel != "sms",
        push=prefs.push_enabled,
        quiet=(prefs.quiet_start, prefs.quiet_end)
        if prefs.quiet_start is not None and prefs.quiet_end is not None
        else None,
        now=now,
    )


async def register_push(
    session: AsyncSession,
    settings: Settings,
    account_id: uuid.UUID,
    endpoint: str,
    keys: tuple[str, str],
    user_agent: str | None,
) -> PushSubscription:
    """Saves a device's subscription once its endpoint is one the server may send to."""
    try:
        await check_endpoint(endpoint, settings)
    except RefusedEndpoint as exc:
        raise ValidationFailed(exc.message, field="endpoint") from None
    p256dh, auth = keys
    return await repository.save_push_subscription(session, account_id, endpoint, p256dh, auth, user_agent)
