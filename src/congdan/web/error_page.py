"""The page a browser is shown when a page's request is refused: the same error the API states as
problem+json, as a readable page in the residents' layout, with the way back."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from congdan.kit.errors import AppError
from congdan.kit.i18n import translate
from congdan.web.rendering import page_locale, render

# Machine clients' addresses: they keep problem+json whatever they accept.
NOT_PAGES = ("/api/", "/open311/", "/media/", "/static/", "/healthz", "/readyz", "/metrics")


def wants_page(request: Request) -> bool:
    """A browser asking for a page: not an API address, and HTML among what it accepts."""
    if request.url.path.startswith(NOT_PAGES):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, error: AppError) -> HTMLResponse:
    locale = page_locale(request, request.query_params.get("lang"), request.headers.get("accept-language"))
    messages = [translate(e.message, locale, **(e.params or {})) for e in error.errors]
    context = {
        "status": error.status,
        "title": translate(error.title, locale),
        "detail": translate(error.detail, locale, **error.params),
        "messages": messages,
        "back": "/staff/" if request.url.path.startswith("/staff") else "/",
    }
    return render(
        request, "error.html", context, locale=locale, status_code=error.status, headers=error.headers
    )
