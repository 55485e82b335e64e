"""API documentation page: Swagger UI 5 (it reads OpenAPI 3.1) from the swagger-ui-py package,
so it works offline and within the Content-Security-Policy (no CDN, no inline script)."""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from congdan.deps import LocaleDep
from congdan.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
async def docs(request: Request, locale: LocaleDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "docs.html", {"locale": locale})


def mount_static(app: FastAPI) -> None:
    app.mount(
        "/static/swagger-ui",
        StaticFiles(directory=Path(swagger_ui.__file__).parent / "static"),
        name="swagger-ui",
    )
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
