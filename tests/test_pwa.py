"""Installable and offline: the manifest, the service worker at the root, the offline page, and the
Content-Security-Policy with and without a map tile server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from PIL import Image

from congdan.app import create_app
from congdan.config import Settings
from congdan.security.headers import tile_origin
from congdan.web import pwa

STATIC = Path(pwa.__file__).parent / "static"


async def test_the_manifest_makes_the_app_installable(client: httpx.AsyncClient) -> None:
    r = await client.get("/manifest.webmanifest")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/manifest+json")
    m = json.loads(r.content.decode("utf-8"))
    assert m["name"] == "Công dân số" and m["short_name"] == "Công dân số" and m["lang"] == "vi"
    assert m["start_url"] == "/" and m["display"] == "standalone" and m["theme_color"] == "#c8102e"
    sizes = {(i["sizes"], i["purpose"]) for i in m["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in m["icons"]:
        served = await client.get(icon["src"])
        assert served.status_code == 200 and served.headers["content-type"] == "image/png"
        width, height = (int(n) for n in icon["sizes"].split("x"))
        with Image.open(STATIC / icon["src"].removeprefix("/static/")) as image:
            assert image.size == (width, height)
    page = (await client.get("/theo-doi")).text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<script type="module" src="/static/app/pwa.js"' in page


async def test_the_service_worker_is_served_from_the_root(client: httpx.AsyncClient) -> None:
    r = await client.get("/sw.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["service-worker-allowed"] == "/" and r.headers["cache-control"] == "no-cache"
    assert "__SHELL_VERSION__" not in r.text and pwa.shell_version() in r.text
    for kept in ("/gui-phan-anh", "/ngoai-tuyen", "/static/app.css", "/static/vendor/htmx.min.js"):
        assert f'"{kept}"' in r.text
    # What it imports and keeps is there to keep.
    for path in (
        "/static/app/outbox.js",
        "/static/app/offline.js",
        "/static/app/pwa.js",
        "/static/app/map.js",
    ):
        assert (await client.get(path)).status_code == 200, path


async def test_the_offline_page_carries_the_waiting_reports_status(client: httpx.AsyncClient) -> None:
    r = await client.get("/ngoai-tuyen")
    assert r.status_code == 200 and "Chưa có kết nối mạng" in r.text
    assert 'id="offline-status"' in r.text and "Đang chờ gửi" in r.text
    assert '<script type="module" src="/static/app/offline.js"' in r.text
    english = await client.get("/ngoai-tuyen", params={"lang": "en"})
    assert "No connection" in english.text and "Waiting to be sent" in english.text


async def test_csp_allows_no_other_image_source_without_tiles(client: httpx.AsyncClient) -> None:
    csp = (await client.get("/ban-do")).headers["content-security-policy"]
    assert "img-src 'self' data: blob:;" in csp
    assert 'data-tiles=""' in (await client.get("/ban-do")).text


@pytest.mark.parametrize(
    ("template", "origin"),
    [
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("https://tiles.example.vn:8443/hcm/{z}/{x}/{y}.png?key=abc", "https://tiles.example.vn:8443"),
        ("", None),
    ],
)
def test_the_tile_origin(template: str, origin: str | None) -> None:
    assert tile_origin(template) == origin


def test_a_tile_setting_that_is_not_a_tile_url_is_refused(settings: Settings) -> None:
    with pytest.raises(ValueError, match="MAP_TILE_URL"):
        Settings(map_tile_url="javascript:alert(1)")


async def test_csp_allows_the_tile_server_and_nothing_else_changes(settings: Settings) -> None:
    tiled = settings.model_copy(
        update={
            "map_tile_url": "https://{s}.tile.example.org/{z}/{x}/{y}.png",
            "map_tile_attribution": "© OSM",
        }
    )
    app = create_app(tiled, run_worker=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            page = await c.get("/ban-do")
    csp = page.headers["content-security-policy"]
    assert "img-src 'self' data: blob: https://*.tile.example.org;" in csp
    for directive in ("default-src 'none'", "connect-src 'self'", "worker-src 'self'"):
        assert directive in csp
    assert "https://*.tile.example.org" not in csp.replace(
        "img-src 'self' data: blob: https://*.tile.example.org", ""
    )
    assert 'data-tiles="https://{s}.tile.example.org/{z}/{x}/{y}.png"' in page.text
    assert 'data-attribution="© OSM"' in page.text


async def test_the_report_screen_opened_offline_has_its_scripts_and_waiting_status(
    client: httpx.AsyncClient,
) -> None:
    worker = (await client.get("/sw.js")).text
    kept = worker[worker.index("const SHELL_FILES") : worker.index("];", worker.index("const SHELL_FILES"))]
    files = re.findall(r'"(/static/[^"]+)"', kept)
    for path in files:
        assert (await client.get(path)).status_code == 200, path
    for path in ("/static/app/report.js", "/static/app/pin.js", "/static/vendor/leaflet/leaflet.js"):
        assert path in files
    page = (await client.get("/gui-phan-anh")).text
    assert 'id="offline-status"' in page and "Đang chờ gửi" in page
    assert '<script type="module" src="/static/app/offline.js"' in page
    assert 'id="pin-map"' in page and 'data-tiles=""' in page
