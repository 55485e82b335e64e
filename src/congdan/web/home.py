"""The residents' home page and the personal data notice page."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markdown_it import MarkdownIt
from markupsafe import Markup

from congdan.announcements import service as announcements
from congdan.consents.service import NOTICE_VERSION
from congdan.db import utcnow
from congdan.deps import SessionDep
from congdan.privacy import service as privacy
from congdan.web.alerts import ALERT_BANNER
from congdan.web.rendering import PageLocale, render

router = APIRouter(include_in_schema=False, dependencies=[ALERT_BANNER])

NEWS_ON_HOME = 3


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, language: PageLocale, session: SessionDep) -> Response:
    """One big button to start a report; the rest of the app one tap away; the alerts in force on top."""
    locale = language.locale
    now = utcnow()
    latest = await announcements.feed(session, now, limit=NEWS_ON_HOME * 2)
    news = [a for a in latest if a.kind != "alert"]
    context = {
        "news": [{"url": f"/tin-tuc/{n.id}", "title": n.title} for n in news[:NEWS_ON_HOME]],
    }
    return render(request, "app/report/home.html", context, locale=locale, lang=language.choice)


# The notice is our own text, written in Markdown; raw HTML in it is not passed through.
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


@cache
def _notice_html(locale: str) -> Markup:
    return Markup(_markdown.render(privacy.notice_text(locale)))  # noqa: S704 - rendered with html off


@router.get("/quyen-rieng-tu", response_class=HTMLResponse)
async def privacy_notice(
    request: Request,
    language: PageLocale,
) -> Response:
    locale = language.locale
    context = {"notice": _notice_html(locale), "version": NOTICE_VERSION}
    return render(request, "app/report/privacy.html", context, locale=locale, lang=language.choice)
