from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import Account, Announcement, AnnouncementAttachment, Area, Subscription


def _live(now: datetime) -> object:
    return and_(
        Announcement.publish_at <= now,
        Announcement.withdrawn_at.is_(None),
        or_(Announcement.expires_at.is_(None), Announcement.expires_at > now),
    )


async def published(
    session: AsyncSession,
    now: datetime,
    *,
    limit: int,
    after: Announcement | None = None,
    topic: str | None = None,
    kind: str | None = None,
) -> Sequence[Announcement]:
    """Live announcements, newest publication first (keyset on publish_at, id)."""
    stmt = select(Announcement).where(_live(now))  # type: ignore[arg-type]
    if topic is not None:
        stmt = stmt.where(Announcement.topic == topic)
    if kind is not None:
        stmt = stmt.where(Announcement.kind == kind)
    if after is not None:
        stmt = stmt.where(
            or_(
                Announcement.publish_at < after.publish_at,
                and_(Announcement.publish_at == after.publish_at, Announcement.id < after.id),
            )
        )
    stmt = stmt.order_by(Announcement.publish_at.desc(), Announcement.id.desc()).limit(limit)
    return (await session.scalars(stmt)).all()


def is_live(announcement: Announcement, now: datetime) -> bool:
    return (
        announcement.publish_at <= now
        and announcement.withdrawn_at is None
        and (announcement.expires_at is None or announcement.expires_at > now)
    )


async def attachments(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[AnnouncementAttachment]]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(AnnouncementAttachment)
        .where(AnnouncementAttachment.announcement_id.in_(list(ids)))
        .order_by(AnnouncementAttachment.id)
    )
    out: dict[uuid.UUID, list[AnnouncementAttachment]] = {}
    for row in rows:
        out.setdefault(row.announcement_id, []).append(row)
    return out


async def existing_areas(session: AsyncSession, codes: Sequence[str]) -> set[str]:
    if not codes:
        return set()
    rows = await session.scalars(
        select(Area.code).where(Area.code.in_(list(codes)), Area.is_active.is_(True))
    )
    return set(rows)


async def subscriptions(session: AsyncSession, account_id: uuid.UUID) -> Sequence[Subscription]:
    stmt = (
        select(Subscription)
        .where(Subscription.account_id == account_id)
        .order_by(Subscription.kind, Subscription.value)
    )
    return (await session.scalars(stmt)).all()


async def replace_subscriptions(
    session: AsyncSession, account_id: uuid.UUID, pairs: set[tuple[str, str]]
) -> None:
    await session.execute(delete(Subscription).where(Subscription.account_id == account_id))
    session.add_all(Subscription(account_id=account_id, kind=k, value=v) for k, v in sorted(pairs))
    await session.flush()


async def audience_page(
    session: AsyncSession,
    *,
    units: Sequence[str],
    topic: str | None,
    everyone: bool,
    after: uuid.UUID | None,
    limit: int,
) -> tuple[list[Account], uuid.UUID | None]:
    """The next page of active accounts an announcement reaches, in id order, and the cursor after it
    (None when there are no more)."""
    if everyone:
        ids = select(Account.id).where(Account.role == "resident")
        if after is not None:
            ids = ids.where(Account.id > after)
        ids = ids.order_by(Account.id).limit(limit)
    else:
        wanted = []
        if units:
            wanted.append(and_(Subscription.kind == "unit", Subscription.value.in_(list(units))))
        if topic:
            wanted.append(and_(Subscription.kind == "topic", Subscription.value == topic))
        if not wanted:
            return [], None
        ids = select(Subscription.account_id).where(or_(*wanted))
        if after is not None:
            ids = ids.where(Subscription.account_id > after)
        ids = ids.distinct().order_by(Subscription.account_id).limit(limit)
    account_ids = list((await session.scalars(ids)).all())
    if not account_ids:
        return [], None
    stmt = (
        select(Account).where(Account.id.in_(account_ids), Account.is_active.is_(True)).order_by(Account.id)
    )
    accounts = list((await session.scalars(stmt)).all())
    return accounts, account_ids[-1] if len(account_ids) == limit else None


async def get(session: AsyncSession, announcement_id: uuid.UUID) -> Announcement | None:
    return await session.get(Announcement, announcement_id)


async def attachment(session: AsyncSession, attachment_id: uuid.UUID) -> AnnouncementAttachment | None:
    return await session.get(AnnouncementAttachment, attachment_id)
