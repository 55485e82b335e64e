"""A refused page form: the page is shown again with the error next to its field, while the unit
of work treats the refusal as any AppError (rolled back, or kept when the refusal says so, as a
wrong one-time code does)."""

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


async def _shown(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageRefusal)
    return exc.response


def install(app: FastAPI) -> None:
    app.add_exception_handler(PageRefusal, _shown)
