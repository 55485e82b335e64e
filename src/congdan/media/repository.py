"""Which row a stored file belongs to."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import Announcement, AnnouncementAttachment, Media, Report, ReportEvent


async def photo_by_key(session: AsyncSession, key: str) -> Media | None:
    stmt = select(Media).where(or_(Media.storage_key == key, Media.thumb_key == key))
    return (await session.scalars(stmt)).first()


async def attachment_by_key(session: AsyncSession, key: str) -> AnnouncementAttachment | None:
    stmt = select(AnnouncementAttachment).where(AnnouncementAttachment.storage_key == key)
    return (await session.scalars(stmt)).first()


async def report(session: AsyncSession, photo: Media) -> Report | None:
    return await session.get(Report, photo.report_id) if photo.report_id else None


async def event(session: AsyncSession, photo: Media) -> ReportEvent | None:
    return await session.get(ReportEvent, photo.event_id) if photo.event_id else None


async def announcement(session: AsyncSession, attachment: AnnouncementAttachment) -> Announcement | None:
    return await session.get(Announcement, attachment.announcement_id)
