"""Queries behind the Open311 surface. Only reports open to the public are ever read here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import Media, Open311Submission, Report, ReportEvent

# Keeps IN lists well under every database's limit on bound parameters.
_CHUNK = 500


@dataclass(frozen=True)
class RequestFilter:
    ids: Sequence[uuid.UUID] | None = None
    service_codes: Sequence[str] = ()
    statuses: Sequence[str] = ()
    requested_from: datetime | None = None
    requested_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None


def _public_reports() -> list[ColumnElement[bool]]:
    # Suggestions are not service requests; private reports do not exist for the public.
    return [Report.is_public.is_(True), Report.kind == "report"]


async def search(session: AsyncSession, f: RequestFilter, *, offset: int, limit: int) -> Sequence[Report]:
    conditions = _public_reports()
    if f.ids is not None:
        conditions.append(Report.id.in_(f.ids))
    else:
        if f.service_codes:
            conditions.append(Report.category_code.in_(f.service_codes))
        if f.statuses:
            conditions.append(Report.status.in_(f.statuses))
        if f.requested_from is not None:
            conditions.append(Report.created_at >= f.requested_from)
        if f.requested_to is not None:
            conditions.append(Report.created_at <= f.requested_to)
        if f.updated_from is not None:
            conditions.append(Report.updated_at >= f.updated_from)
        if f.updated_to is not None:
            conditions.append(Report.updated_at <= f.updated_to)
    stmt = (
        select(Report)
        .where(*conditions)
        .order_by(Report.created_at.desc(), Report.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return (await session.scalars(stmt)).all()


async def submissions(
    session: AsyncSession, report_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Open311Submission]:
    found: dict[uuid.UUID, Open311Submission] = {}
    for start in range(0, len(report_ids), _CHUNK):
        chunk = report_ids[start : start + _CHUNK]
        stmt = select(Open311Submission).where(Open311Submission.report_id.in_(chunk))
        found.update({s.report_id: s for s in (await session.scalars(stmt)).all()})
    return found


async def public_events(session: AsyncSession, report_ids: Sequence[uuid.UUID]) -> Sequence[ReportEvent]:
    """Public status changes and replies, oldest first; ratings and internal notes stay out."""
    events: list[ReportEvent] = []
    for start in range(0, len(report_ids), _CHUNK):
        chunk = report_ids[start : start + _CHUNK]
        stmt = (
            select(ReportEvent)
            .where(
                ReportEvent.report_id.in_(chunk),
                ReportEvent.is_public.is_(True),
                ReportEvent.type.in_(("status", "reply")),
            )
            .order_by(ReportEvent.created_at, ReportEvent.id)
        )
        events.extend((await session.scalars(stmt)).all())
    return events


async def first_photos(session: AsyncSession, report_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Media]:
    found: dict[uuid.UUID, Media] = {}
    for start in range(0, len(report_ids), _CHUNK):
        chunk = report_ids[start : start + _CHUNK]
        stmt = (
            select(Media)
            .where(Media.report_id.in_(chunk), Media.event_id.is_(None))
            .order_by(Media.id.desc())
        )
        for media in (await session.scalars(stmt)).all():
            if media.report_id is not None:
                found[media.report_id] = media  # descending order: the first photo is written last
    return found
