from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.announcements import repository
from congdan.announcements.schemas import AnnouncementOut, AttachmentOut
from congdan.announcements.topics import TOPICS, name
from congdan.models import Announcement


async def announcements_out(
    session: AsyncSession, rows: Sequence[Announcement], locale: str
) -> list[AnnouncementOut]:
    files = await repository.attachments(session, [a.id for a in rows])
    return [
        AnnouncementOut(
            id=a.id,
            kind=a.kind,
            alert_type=a.alert_type,
            title=a.title,
            body=a.body,
            scope=a.scope,
            units=list(a.area_codes or []),
            topic=a.topic,
            topic_name=name(TOPICS, a.topic, locale),
            agency=a.agency_code,
            publish_at=a.publish_at,
            expires_at=a.expires_at,
            withdrawn=a.withdrawn_at is not None,
            attachments=[
                AttachmentOut(
                    id=f.id,
                    filename=f.filename,
                    content_type=f.content_type,
                    size_bytes=f.size_bytes,
                    url=f"/api/v1/announcements/{a.id}/attachments/{f.id}",
                )
                for f in files.get(a.id, [])
            ],
        )
        for a in rows
    ]
