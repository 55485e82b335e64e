"""How a page is rendered: its language, the remembered language switch, and the page/partial rule.

One template serves a page and its partial: an HTMX request (HX-Request, not a boosted link) gets
only the template's `main` block (or the block the route names); anything else gets the whole page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.responses import HTMLResponse
from jinja2_fragments import render_block

from congdan.kit.i18n import LOCALES, negotiate
from congdan.security.cookies import read_cookie, set_cookie
from congdan.templating import templates

LANG_COOKIE = "congdan_lang"
LANG_COOKIE_SECONDS = 365 * 24 * 3600


def page_locale(request: Request, lang: str | None, accept_language: str | None) -> str:
    """?lang= first (and remembered), then the remembered choice, then the browser's languages."""
    if lang in LOCALES:
        return str(lang)
    remembered = read_cookie(request, LANG_COOKIE)
    if remembered in LOCALES:
        return str(remembered)
    return negotiate(accept_language)


@dataclass(frozen=True)
class PageLang:
    """The language a page is shown in, and the visitor's explicit ?lang= choice, if any: render
    remembers the choice in a cookie, and a redirect carries it on (`query`)."""

    locale: str
    choice: str | None = None

    @property
    def query(self) -> str:
        return f"?lang={self.choice}" if self.choice in LOCALES else ""


def page_language(
    request: Request,
    lang: Annotated[str | None, Query(max_length=8)] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> PageLang:
    return PageLang(page_locale(request, lang, accept_language), lang)


# What a residents' page takes to know its language, read once per request.
PageLocale = Annotated[PageLang, Depends(page_language)]


def wants_partial(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    locale: str,
    lang: str | None = None,
    block: str = "main",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page, or its `block` for HTMX; remembers an explicit ?lang= choice in a cookie."""
    values = {"locale": locale, "other_locale": "en" if locale == "vi" else "vi", **context}
    # The emergency-alert banner, when the page's router reads it (web/alerts.py).
    values.setdefault("alerts", getattr(request.state, "alerts", None))
    if wants_partial(request):
        html = render_block(templates.env, name, block, {"request": request, **values})
        response: HTMLResponse = HTMLResponse(html, status_code=status_code, headers=headers)
        response.headers["Vary"] = "HX-Request"
    else:
        response = templates.TemplateResponse(request, name, values, status_code=status_code, headers=headers)
        response.headers["Vary"] = "HX-Request"
    if lang in LOCALES:
        set_cookie(response, request, LANG_COOKIE, str(lang), max_age=LANG_COOKIE_SECONDS)
    return response
