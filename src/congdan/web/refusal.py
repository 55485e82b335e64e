"""A refused page form: the page is shown again with the error next to its field, while the unit
of work treats the refusal as any AppError (rolled back, or kept when the refusal says so, as a
wrong one-time code does).

The refused page is the answer to the POST itself, with a 4xx status, rather than a redirect to a
GET: what was typed and the error next to it need no storing between two requests, a client or a
test sees that nothing was accepted, and nothing was changed, so a resend is harmless. Without
JavaScript the browser's address is then the form's action; for an HTMX request the answer says
to leave the address as it was (the page the form is on), so that history never holds the
address of a POST."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from congdan.kit.errors import AppError
from congdan.kit.i18n import translate


class PageRefusal(AppError):
    status = 422

    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response


class KeptPageRefusal(PageRefusal):
    keeps_changes = True


def refusal(error: AppError, response: Response) -> PageRefusal:
    return KeptPageRefusal(response) if error.keeps_changes else PageRefusal(response)


def messages(
    error: AppError, locale: str, *, default_field: str, fields: dict[str, str] | None = None
) -> dict[str, str]:
    """The error as {form field: sentence}; `fields` maps the service's field names to the form's."""
    rename = fields or {}
    found = {
        rename.get(e.field, e.field): translate(e.message, locale, **(e.params or {})) for e in error.errors
    }
    return found or {default_field: translate(error.detail, locale, **error.params)}


def stay_on_page(request: Request, response: Response) -> Response:
    """A refused form's page, for HTMX told to keep the browser's address and history as they are."""
    if request.headers.get("HX-Request") == "true":
        response.headers["HX-Push-Url"] = "false"
        response.headers["HX-Replace-Url"] = "false"
    return response


async def _shown(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageRefusal)
    return stay_on_page(request, exc.response)


def install(app: FastAPI) -> None:
    app.add_exception_handler(PageRefusal, _shown)
