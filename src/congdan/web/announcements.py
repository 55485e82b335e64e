"""The public news page (Vietnamese first) and its Atom feed."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from feedgen.feed import FeedGenerator

from congdan.announcements import present, service
from congdan.announcements.topics import ALERT_TYPES, TOPICS, name
from congdan.db import utcnow
from congdan.deps import LocaleDep, SessionDep, SettingsDep
from congdan.notifications.messages import local_time
from congdan.web.templating import templates

router = APIRouter(include_in_schema=False)


TEXT = {
    "vi": {
        "title": "Công dân số",
        "tagline": "Tin tức, thông báo và cảnh báo từ chính quyền thành phố.",
        "news": "Tin tức và thông báo",
        "none": "Chưa có thông báo nào.",
        "alert": "Cảnh báo khẩn cấp",
        "city": "Toàn thành phố",
        "units": "Đơn vị",
        "topic": "Chủ đề",
        "expires": "Hết hiệu lực",
        "attachments": "Tệp đính kèm",
        "atom": "Theo dõi bằng Atom",
        "back": "Tất cả thông báo",
        "feed_title": "Công dân số — Thông báo của thành phố",
    },
    "en": {
        "title": "Công dân số (Digital Citizen)",
        "tagline": "News, notices and alerts from the city government.",
        "news": "News and notices",
        "none": "No announcements yet.",
        "alert": "Emergency alert",
        "city": "Whole city",
        "units": "Units",
        "topic": "Topic",
        "expires": "Valid until",
        "attachments": "Attachments",
        "atom": "Follow with Atom",
        "back": "All announcements",
        "feed_title": "Công dân số — City announcements",
    },
}


def _context(locale: str) -> dict[str, object]:
    return {
        "t": TEXT[locale],
        "locale": locale,
        "when": lambda value: local_time(value, locale),
        "topic_name": lambda code: name(TOPICS, code, locale),
        "alert_name": lambda code: name(ALERT_TYPES, code, locale),
    }


@router.get("/tin-tuc", response_class=HTMLResponse)
async def news_page(
    request: Request,
    session: SessionDep,
    locale: LocaleDep,
    topic: str | None = None,
    unit: str | None = None,
) -> HTMLResponse:
    rows = await service.feed(session, utcnow(), limit=50, topic=topic, unit=unit)
    items = await present.announcements_out(session, rows[:50], locale)
    return templates.TemplateResponse(
        request, "announcements/list.html", {**_context(locale), "items": items, "topic": topic, "unit": unit}
    )


@router.get("/tin-tuc/atom.xml")
async def atom(
    session: SessionDep, settings: SettingsDep, topic: str | None = None, unit: str | None = None
) -> Response:
    rows = await service.feed(session, utcnow(), limit=50, topic=topic, unit=unit)
    base = settings.base_url
    feed = FeedGenerator()
    feed.id(f"{base}/tin-tuc")
    feed.title(TEXT["vi"]["feed_title"])
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


@router.get("/tin-tuc/{announcement_id}", response_class=HTMLResponse)
async def news_item(
    request: Request, announcement_id: uuid.UUID, session: SessionDep, locale: LocaleDep
) -> HTMLResponse:
    announcement = await service.get_public(session, announcement_id, utcnow())
    [item] = await present.announcements_out(session, [announcement], locale)
    return templates.TemplateResponse(request, "announcements/item.html", {**_context(locale), "item": item})
