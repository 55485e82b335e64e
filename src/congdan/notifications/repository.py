from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.kit.crypto import keyring_for
from congdan.models import (
    Account,
    Delivery,
    Notification,
    NotificationOptOut,
    NotificationPreference,
    PushSubscription,
    Report,
    ReportFollower,
)


async def preferences(
    session: AsyncSession, account_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, NotificationPreference]:
    ids = list(account_ids)
    if not ids:
        return {}
    rows = await session.scalars(
        select(NotificationPreference).where(NotificationPreference.account_id.in_(ids))
    )
    return {row.account_id: row for row in rows}


async def opted_out(session: AsyncSession, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    wanted = set(pairs)
    if not wanted:
        return set()
    destinations = {d for _c, d in wanted}
    keyring = keyring_for(session.get_bind().dialect)
    by_hash = {keyring.lookup_hash(d): d for d in destinations}
    rows = await session.execute(
        select(NotificationOptOut.channel, NotificationOptOut.destination).where(
            NotificationOptOut.destination.in_(destinations)  # hashed as they are bound
        )
    )
    return {(c, by_hash[h]) for c, h in rows.all() if h in by_hash} & wanted


async def followers(
    session: AsyncSession, report_id: uuid.UUID, since: datetime | None = None
) -> Sequence[Account]:
    """Accounts following the report; with `since`, only those already following at that moment
    (someone who starts following is not told of what happened before)."""
    stmt = (
        select(Account)
        .join(ReportFollower, ReportFollower.account_id == Account.id)
        .where(ReportFollower.report_id == report_id, Account.is_active.is_(True))
        .order_by(Account.id)
    )
    if since is not None:
        stmt = stmt.where(ReportFollower.created_at <= since)
    return (await session.scalars(stmt)).all()


async def followed_through(session: AsyncSession, report_id: uuid.UUID, since: datetime) -> Sequence[Report]:
    """Anonymous duplicates whose reporters follow this report through their own contact details."""
    stmt = (
        select(Report)
        .join(ReportFollower, ReportFollower.via_report_id == Report.id)
        .where(ReportFollower.report_id == report_id, ReportFollower.created_at <= since)
        .order_by(Report.id)
    )
    return (await session.scalars(stmt)).all()


async def staff_of(session: AsyncSession, agency_code: str, roles: Iterable[str]) -> Sequence[Account]:
    stmt = (
        select(Account)
        .where(Account.agency_code == agency_code, Account.role.in_(list(roles)), Account.is_active.is_(True))
        .order_by(Account.id)
    )
    return (await session.scalars(stmt)).all()


async def accounts_with_role(session: AsyncSession, role: str) -> Sequence[Account]:
    stmt = select(Account).where(Account.role == role, Account.is_active.is_(True)).order_by(Account.id)
    return (await session.scalars(stmt)).all()


async def delivery(
    session: AsyncSession, outbox_id: uuid.UUID, channel: str, recipient: str
) -> Delivery | None:
    stmt = select(Delivery).where(
        Delivery.outbox_id == outbox_id, Delivery.channel == channel, Delivery.recipient == recipient
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def inbox(
    session: AsyncSession, account_id: uuid.UUID, *, limit: int, before: uuid.UUID | None, unread_only: bool
) -> Sequence[Notification]:
    stmt = select(Notification).where(Notification.account_id == account_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if before is not None:
        stmt = stmt.where(Notification.id < before)
    return (await session.scalars(stmt.order_by(Notification.id.desc()).limit(limit))).all()


async def unread_count(session: AsyncSession, account_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(Notification.account_id == account_id, Notification.read_at.is_(None))
    return int(await session.scalar(stmt) or 0)


async def mark_read(
    session: AsyncSession, account_id: uuid.UUID, ids: Sequence[uuid.UUID] | None, now: datetime
) -> int:
    stmt = update(Notification).where(Notification.account_id == account_id, Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(list(ids)))
    result = await session.execute(stmt.values(read_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


async def _following(
    session: AsyncSession, report_id: uuid.UUID, account_id: uuid.UUID
) -> ReportFollower | None:
    stmt = select(ReportFollower).where(
        ReportFollower.report_id == report_id, ReportFollower.account_id == account_id
    )
    return (await session.scalars(stmt)).first()


async def is_following(session: AsyncSession, report_id: uuid.UUID, account_id: uuid.UUID) -> bool:
    return await _following(session, report_id, account_id) is not None


async def follow(session: AsyncSession, report_id: uuid.UUID, account_id: uuid.UUID) -> None:
    if await _following(session, report_id, account_id) is None:
        session.add(ReportFollower(report_id=report_id, account_id=account_id, reason="follow"))


async def unfollow(session: AsyncSession, report_id: uuid.UUID, account_id: uuid.UUID) -> None:
    row = await _following(session, report_id, account_id)
    if row is not None:
        await session.delete(row)


async def add_optout(session: AsyncSession, channel: str, destination: str) -> None:
    exists = await session.scalar(
        select(NotificationOptOut.id).where(
            NotificationOptOut.channel == channel, NotificationOptOut.destination == destination
        )
    )
    if exists is None:
        session.add(NotificationOptOut(channel=channel, destination=destination))


async def deliveries_by_status(session: AsyncSession, topic: str) -> dict[str, int]:
    rows = await session.execute(
        select(Delivery.status, func.count()).where(Delivery.topic == topic).group_by(Delivery.status)
    )
    return {status: int(n) for status, n in rows.all()}


async def push_subscriptions(
    session: AsyncSession, account_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[PushSubscription]]:
    ids = list(account_ids)
    if not ids:
        return {}
    rows = await session.scalars(
        select(PushSubscription).where(PushSubscription.account_id.in_(ids)).order_by(PushSubscription.id)
    )
    out: dict[uuid.UUID, list[PushSubscription]] = {}
    for row in rows:
        out.setdefault(row.account_id, []).append(row)
    return out


async def save_push_subscription(
    session: AsyncSession,
    account_id: uuid.UUID,
    endpoint: str,
    p256dh: str,
    auth: str,
    user_agent: str | None,
) -> PushSubscription:
    """One row per endpoint: a device that signs in as someone else moves to them."""
    row = (
        await session.scalars(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    ).first()
    if row is None:
        row = PushSubscription(endpoint=endpoint, account_id=account_id, p256dh=p256dh, auth=auth)
        session.add(row)
    row.account_id, row.p256dh, row.auth, row.user_agent = account_id, p256dh, auth, user_agent
    await session.flush()
    return row


async def delete_push_subscription(
    session: AsyncSession, endpoint: str, account_id: uuid.UUID | None = None
) -> int:
    stmt = delete(PushSubscription).where(PushSubscription.endpoint == endpoint)
    if account_id is not None:
        stmt = stmt.where(PushSubscription.account_id == account_id)
    result = await session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


async def report(session: AsyncSession, report_id: uuid.UUID) -> Report | None:
    return await session.get(Report, report_id)


async def delivery_for_update(session: AsyncSession, delivery_id: uuid.UUID) -> Delivery | None:
    # Two workers recording the outcome of one send must not interleave on PostgreSQL.
    locking = session.bind is not None and session.bind.dialect.name == "postgresql"
    return await session.get(Delivery, delivery_id, with_for_update=locking)
