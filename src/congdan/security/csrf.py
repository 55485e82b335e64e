"""CSRF protection for HTML form posts: a signed double-submit token tied to the session.

The browser holds a random value in an HttpOnly cookie; forms carry that value together with an
HMAC over it and the session cookie. A post is accepted only when the form's (or the
X-CSRF-Token header's) value matches the cookie and its HMAC matches the current session, so a
token leaked from one session is useless in another and a forged cross-site form has no token.

The JSON API and Open311 are exempt: they authenticate with an Authorization header or an API
key, never with cookies, so a cross-site form cannot act for anybody there.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from congdan.config import Settings
from congdan.kit.errors import AppError
from congdan.kit.i18n import _, negotiate, translate
from congdan.kit.problems import problem_response
from congdan.security import cookies

COOKIE = "congdan_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
# What an HTML form or a script can change state with; GET and friends must never change state.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
EXEMPT_PREFIXES = ("/api/", "/open311/")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfFailed(AppError):
    status = 403
    slug = "csrf"
    title = _("Biểu mẫu không hợp lệ hoặc đã hết hạn")


REJECTION = _(
    "Biểu mẫu đã hết hạn hoặc không được gửi từ trang của Công dân số. Hãy tải lại trang rồi gửi lại."
)


def _mac(key: bytes, session: str, nonce: str) -> str:
    msg = f"csrf|{hashlib.sha256(session.encode()).hexdigest()}|{nonce}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def _session_id(request: Request, settings: Settings) -> str:
    """Both browser sessions, a resident's and a staff member's: a form shown before either
    changed (a sign-in, a sign-out) is refused."""
    resident = cookies.read_cookie(request, settings.session_cookie_name) or ""
    staff = cookies.read_cookie(request, settings.staff_session_cookie_name) or ""
    return f"{resident}|{staff}"


def csrf_token(request: Request) -> str:
    """The token for forms on this page; remembers to set the cookie when it is new."""
    settings: Settings = request.app.state.settings
    state = request.scope.setdefault("state", {})
    made: str | None = state.get("csrf_token")
    if made is not None:  # a page with twenty forms signs its token once
        return made
    nonce: str | None = state.get("csrf_nonce") or cookies.read_cookie(request, COOKIE)
    if not nonce or len(nonce) > 128:
        nonce = secrets.token_urlsafe(32)
        state["csrf_new_cookie"] = nonce
    state["csrf_nonce"] = nonce
    token = f"{nonce}.{_mac(settings.resolved_secret_key, _session_id(request, settings), nonce)}"
    state["csrf_token"] = token
    return token


def token_is_valid(request: Request, token: str | None) -> bool:
    settings: Settings = request.app.state.settings
    cookie = cookies.read_cookie(request, COOKIE)
    if not token or not cookie:
        return False
    nonce, _sep, mac = token.partition(".")
    expected = _mac(settings.resolved_secret_key, _session_id(request, settings), cookie)
    return hmac.compare_digest(nonce.encode(), cookie.encode()) and hmac.compare_digest(
        mac.encode(), expected.encode()
    )


async def csrf_protect(request: Request) -> None:
    """An app-wide dependency: runs after routing, so unknown paths and methods still answer 404/405."""
    if request.method not in UNSAFE_METHODS or request.url.path.startswith(EXEMPT_PREFIXES):
        return
    if not token_is_valid(request, await _submitted_token(request)):
        raise CsrfFailed(REJECTION)


async def csrf_failed(request: Request, exc: Exception) -> Response:
    """Browsers get a page they can read; HTMX and scripts get problem+json."""
    assert isinstance(exc, AppError)
    locale = negotiate(request.headers.get("accept-language"))
    if "text/html" not in request.headers.get("accept", ""):
        return problem_response(exc, locale, request.url.path)
    title = translate(exc.title, locale)
    detail = translate(exc.detail, locale, **exc.params)
    return HTMLResponse(
        f'<!doctype html><html lang="{locale}"><meta charset="utf-8"><title>{title}</title>'
        f"<h1>{title}</h1><p>{detail}</p></html>",
        status_code=exc.status,
    )


class CsrfCookie:
    """Sets the CSRF cookie on the response of a page that handed out a new token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            new = scope.get("state", {}).get("csrf_new_cookie")
            if message["type"] == "http.response.start" and new:
                response = Response()
                cookies.set_cookie(response, Request(scope), COOKIE, new)
                message["headers"] = [
                    *message.get("headers", []),
                    *[(k, v) for k, v in response.raw_headers if k == b"set-cookie"],
                ]
            await send(message)

        await self.app(scope, receive, wrapped)


async def _submitted_token(request: Request) -> str | None:
    header = request.headers.get(HEADER)
    if header:
        return header
    if not request.headers.get("content-type", "").startswith(FORM_TYPES):
        return None
    try:
        form = await request.form()
    except Exception:  # a malformed form carries no valid token
        return None
    value = form.get(FIELD)  # the form stays open: the endpoint reads the same parsed form
    return value if isinstance(value, str) else None
