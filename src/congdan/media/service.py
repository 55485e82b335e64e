"""Whether a stored file may be served to the caller, and as what.

A file is served only through the row it belongs to, under that row's rule; a file no row claims
is not served at all, whatever its key. A report photo is served to those who may see the report
(a private report's photos to its reporter, the agency handling it and the city's coordinators),
and a photo on a step of its history only if that step is public or the caller may see internal
ones. A photo not yet attached to a report is served to the account that uploaded it, or, for an
anonymous upload, to whoever holds its random key (the uploader alone has it). An announcement's
attachment is served while the announcement is published, with its own file name and type;
withdrawn, expired and scheduled ones are not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.announcements.repository import is_live
from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.integrations.storage import Storage
from congdan.kit.errors import NotFound
from congdan.media import repository


@dataclass(frozen=True)
class StoredFile:
    data: bytes
    content_type: str
    filename: str | None = None  # set for downloads, which are saved rather than shown
    public: bool = False  # may be kept by shared caches


async def _photo(session: AsyncSession, principal: Principal, key: str) -> StoredFile | None:
    """The photo with this key as the caller may have it (empty data: not theirs); None if none."""
    photo = await repository.photo_by_key(session, key)
    if photo is None:
        return None
    refused = StoredFile(data=b"", content_type="")
    report = await repository.report(session, photo)
    if report is None:
        if photo.owner_id is not None and photo.owner_id != principal.account_id:
            return refused
        return StoredFile(data=b"", content_type=photo.content_type)
    if not policy.can_view_report(principal, report):
        return refused
    event = await repository.event(session, photo)
    if event is not None and not event.is_public and not policy.can_see_internal(principal, report):
        return refused
    return StoredFile(data=b"", content_type=photo.content_type, public=report.is_public)


async def _attachment(session: AsyncSession, key: str, now: datetime) -> StoredFile | None:
    attachment = await repository.attachment_by_key(session, key)
    if attachment is None:
        return None
    announcement = await repository.announcement(session, attachment)
    if announcement is None or not is_live(announcement, now):
        return StoredFile(data=b"", content_type="")
    return StoredFile(
        data=b"", content_type=attachment.content_type, filename=attachment.filename, public=True
    )


async def stored_file(
    session: AsyncSession, storage: Storage, principal: Principal, key: str, now: datetime
) -> StoredFile:
    """The file under `key` if the caller may have it; NotFound otherwise (never saying why)."""
    found = await _photo(session, principal, key) or await _attachment(session, key, now)
    if found is None or not found.content_type:
        raise NotFound()
    try:
        data = await storage.get(key)
    except ValueError:  # not a key the storage could have written
        data = None
    if data is None:
        raise NotFound()
    return replace(found, data=data)
