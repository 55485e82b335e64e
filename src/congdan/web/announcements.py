"""The public news page (Vietnamese first) and its Atom feed."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from feedgen.feed import FeedGenerator
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.announcements import present, service
from congdan.announcements.topics import ALERT_TYPES, TOPICS, name
from congdan.areas import repository as areas_repo
from congdan.db import utcnow
from congdan.deps import SessionDep, SettingsDep
from congdan.kit.i18n import _
from congdan.notifications.messages import local_time
from congdan.web.alerts import ALERT_BANNER
from congdan.web.rendering import PageLocale, render

router = APIRouter(include_in_schema=False)


async def _context(session: AsyncSession, locale: str, units: set[str]) -> dict[str, object]:
    names = await areas_repo.names(session, units)
    return {
        # Units by their names ("Phường Bến Thành"), never their codes.
        "unit_names": lambda codes: ", ".join(names.get(c, c) for c in codes),
        "when": lambda value: local_time(value, locale),
        "topic_name": lambda code: name(TOPICS, code, locale),
        "alert_name": lambda code: name(ALERT_TYPES, code, locale),
    }


@router.get("/tin-tuc", response_class=HTMLResponse, dependencies=[ALERT_BANNER])
async def news_page(
    request: Request,
    language: PageLocale,
    session: SessionDep,
    topic: Annotated[str | None, Query(max_length=32)] = None,
    unit: Annotated[str | None, Query(max_length=16)] = None,
) -> HTMLResponse:
    locale = language.locale
    rows = await service.feed(session, utcnow(), limit=50, topic=topic, unit=unit)
    items = await present.announcements_out(session, rows[:50], locale)
    context = await _context(session, locale, {u for a in items for u in a.units})
    values = {**context, "items": items, "topic": topic, "unit": unit}
    return render(request, "announcements/list.html", values, locale=locale, lang=language.choice)


@router.get("/tin-tuc/atom.xml")
async def atom(
    session: SessionDep, settings: SettingsDep, topic: str | None = None, unit: str | None = None
) -> Response:
    rows = await service.feed(session, utcnow(), limit=50, topic=topic, unit=unit)
    base = settings.base_url
    feed = FeedGenerator()
    feed.id(f"{base}/tin-tuc")
    feed.title(_("Công dân số — Thông báo của thành phố"))  # the feed is Vietnamese, as its language says
    feed.link(href=f"{base}/tin-tuc", rel="alternate")
    feed.link(href=f"{base}/tin-tuc/atom.xml", rel="self")
    feed.language("vi")
    feed.updated(max((r.publish_at for r in rows), default=utcnow()))
    for row in reversed(rows[:50]):  # feedgen prepends: add oldest first so the newest leads
        entry = feed.add_entry()
        entry.id(f"urn:uuid:{row.id}")
        entry.title(row.title)
        entry.link(href=f"{base}/tin-tuc/{row.id}")
        entry.content(row.body, type="text")
        entry.published(row.publish_at)
        entry.updated(row.publish_at)
        if row.agency_code:
            entry.author({"name": row.agency_code})
        if row.topic:
            entry.category(term=row.topic, label=name(TOPICS, row.topic, "vi"))
    return Response(feed.atom_str(pretty=True), media_type="application/atom+xml; charset=utf-8")


@router.get("/tin-tuc/{announcement_id}", response_class=HTMLResponse, dependencies=[ALERT_BANNER])
async def news_item(
    request: Request,
    language: PageLocale,
    announcement_id: uuid.UUID,
    session: SessionDep,
) -> HTMLResponse:
    locale = language.locale
    announcement = await service.get_public(session, announcement_id, utcnow())
    [item] = await present.announcements_out(session, [announcement], locale)
    context = await _context(session, locale, set(item.units))
    return render(
        request, "announcements/item.html", {**context, "item": item}, locale=locale, lang=language.choice
    )
