"""What makes the residents' app installable and usable offline: the web app manifest, the
service worker at the root of the site (so its scope is every page), and the page shown when a
page is asked for with no connection."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from congdan.kit.i18n import _, translate
from congdan.web.rendering import PageLocale, render

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).parent / "static"
THEME = "#c8102e"
# What the worker keeps; a change to any of them is a new version of the shell.
SHELL_ASSETS = (
    "app.css",
    "vendor/htmx.min.js",
    "app/pwa.js",
    "app/offline.js",
    "app/outbox.js",
    "app/sw.js",
    "app/report.css",
    "app/report.js",
    "app/exif.js",
    "app/pin.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
)


@cache
def shell_version() -> str:
    digest = hashlib.sha256()
    for name in SHELL_ASSETS:
        digest.update((STATIC / name).read_bytes())
    return digest.hexdigest()[:16]


def manifest(locale: str = "vi") -> dict[str, object]:
    icons = [
        {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {
            "src": "/static/icons/icon-maskable-512.png",
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    return {
        "name": translate(_("Công dân số"), locale),
        "short_name": translate(_("Công dân số"), locale),
        "description": translate(_("Phản ánh, góp ý với thành phố và theo dõi đến khi có kết quả."), locale),
        "lang": locale,
        "dir": "ltr",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME,
        "background_color": "#ffffff",
        "icons": icons,
        "shortcuts": [{"name": translate(_("Gửi phản ánh"), locale), "url": "/gui-phan-anh"}],
    }


@router.get("/manifest.webmanifest")
async def web_manifest() -> Response:
    # Vietnamese, as the app's name is: one manifest for every installation.
    body = json.dumps(manifest("vi"), ensure_ascii=False)
    return Response(body, media_type="application/manifest+json", headers={"Cache-Control": "max-age=3600"})


@router.get("/sw.js")
async def service_worker() -> Response:
    script = (
        (STATIC / "app" / "sw.js").read_text(encoding="utf-8").replace("__SHELL_VERSION__", shell_version())
    )
    return Response(
        script,
        media_type="text/javascript; charset=utf-8",
        # The browser checks for a new worker on every visit rather than trusting a cached one.
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get("/ngoai-tuyen", response_class=HTMLResponse)
async def offline_page(
    request: Request,
    language: PageLocale,
) -> Response:
    locale = language.locale
    return render(request, "app/pwa/offline.html", {}, locale=locale, lang=language.choice)
