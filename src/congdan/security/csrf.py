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
from congdan.kit.errors import AppError, PayloadTooLarge
from congdan.kit.i18n import _, negotiate, translate
from congdan.kit.problems import problem_response
from congdan.security import cookies

COOKIE = "congdan_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
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
    return cookies.read_cookie(request, settings.session_cookie_name) or ""


def csrf_token(request: Request) -> str:
    """The token for forms on this page; remembers to set the cookie when it is new."""
    settings: Settings = request.app.state.settings
    state = request.scope.setdefault("state", {})
    nonce: str | None = state.get("csrf_nonce") or cookies.read_cookie(request, COOKIE)
    if not nonce or len(nonce) > 128:
        nonce = secrets.token_urlsafe(32)
        state["csrf_new_cookie"] = nonce
    state["csrf_nonce"] = nonce
    return f"{nonce}.{_mac(settings.resolved_secret_key, _session_id(request, settings), nonce)}"


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


class CsrfProtect:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS and not scope["path"].startswith(EXEMPT_PREFIXES):
            body = await self._read_body(receive)
            if body is None:
                await self._respond(scope, receive, send, PayloadTooLarge())
                return
            request = Request(scope, _replay(body))
            if not token_is_valid(request, await _submitted_token(request)):
                await self._respond(scope, receive, send, CsrfFailed(REJECTION))
                return
            receive = _replay(body)
        await self.app(scope, receive, self._with_cookie(scope, send))

    async def _read_body(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _with_cookie(self, scope: Scope, send: Send) -> Send:
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

        return wrapped

    async def _respond(self, scope: Scope, receive: Receive, send: Send, error: AppError) -> None:
        request = Request(scope)
        locale = negotiate(request.headers.get("accept-language"))
        response: Response
        if "text/html" in request.headers.get("accept", ""):
            title = translate(error.title, locale)
            detail = translate(error.detail, locale, **error.params)
            response = HTMLResponse(
                f'<!doctype html><html lang="{locale}"><meta charset="utf-8"><title>{title}</title>'
                f"<h1>{title}</h1><p>{detail}</p></html>",
                status_code=error.status,
            )
        else:
            response = problem_response(error, locale, scope.get("path"))
        await response(scope, receive, send)


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
    value = form.get(FIELD)
    await form.close()
    return value if isinstance(value, str) else None


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
