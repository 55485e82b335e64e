"""Who the resident in this browser is: the signed-in session behind an HttpOnly cookie.

`current_resident(request, session)` answers for any page ("the signed-in resident, if any");
`OptionalResidentDep` does the same as a dependency and keeps the session alive (its expiry slides
forward, and the cookie with it); `ResidentPageDep` is for pages only a signed-in resident may
open: anyone else is sent to /dang-nhap and brought back afterwards.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from congdan.auth import browser
from congdan.authz.policy import RESIDENT, Principal
from congdan.config import Settings
from congdan.notifications import repository as notifications
from congdan.security.cookies import delete_cookie, read_cookie, set_cookie

SIGN_IN_PATH = "/dang-nhap"
HOME_PATH = "/cua-toi"
_STATE = "resident"
_REFRESH = "resident_cookie_refresh"
# Read by the layout for the badge beside "Của tôi".
UNREAD = "unread_notifications"


def cookie_base(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.session_cookie_name


def session_token(request: Request) -> str | None:
    raw = read_cookie(request, cookie_base(request))
    return raw if raw and len(raw) <= 128 else None


async def current_resident(request: Request, session: AsyncSession) -> Principal | None:
    """The signed-in resident of this browser, or None. Reads only."""
    state = request.scope.setdefault("state", {})
    if _STATE in state:
        cached: Principal | None = state[_STATE]
        return cached
    raw = session_token(request)
    found = await browser.resident_for(session, raw) if raw else None
    principal = found.principal if found is not None and found.principal.role == RESIDENT else None
    state[_STATE] = principal
    await _count_unread(state, session, principal)
    return principal


async def _count_unread(state: dict[str, object], session: AsyncSession, principal: Principal | None) -> None:
    if principal is not None and principal.account_id is not None:
        state[UNREAD] = await notifications.unread_count(session, principal.account_id)


async def optional_resident(request: Request) -> Principal | None:
    """current_resident read before the unit of work, in sessions of its own: the sliding expiry
    is a small write that must not make the request's own transaction wait."""
    state = request.scope.setdefault("state", {})
    if _STATE in state:
        cached: Principal | None = state[_STATE]
        return cached
    raw = session_token(request)
    principal: Principal | None = None
    if raw:
        app_state = request.app.state
        async with app_state.read_sessionmaker() as session:
            found = await browser.resident_for(session, raw)
            if found is not None and found.principal.role == RESIDENT:
                principal = found.principal
                await _count_unread(state, session, principal)
        if found is not None and principal is not None and found.slide_due:
            await browser.slide(app_state.sessionmaker, app_state.settings, raw)
            state[_REFRESH] = raw
    state[_STATE] = principal
    return principal


class SignInRequired(Exception):
    """A page for signed-in residents was asked for without a valid session."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def safe_next(raw: str | None) -> str:
    """Where to go after signing in: a path on this site only, never another host."""
    if not raw:
        return HOME_PATH
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return HOME_PATH
    return raw


def sign_in_url(next_url: str) -> str:
    return f"{SIGN_IN_PATH}?next={quote(safe_next(next_url), safe='/')}"


async def require_resident(request: Request, resident: OptionalResidentDep) -> Principal:
    if resident is None:
        if request.method == "GET":
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        else:
            # A form sent after the session ended: come back to the page it was on.
            here = urlsplit(request.headers.get("HX-Current-URL", "")).path or HOME_PATH
        raise SignInRequired(here)
    return resident


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    target = sign_in_url(exc.next_url)
    if request.headers.get("HX-Request") == "true":
        # HTMX would follow a redirect inside the fragment: ask it to load the whole page instead.
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def remember(response: Response, request: Request, signed_in: browser.SignedIn) -> None:
    set_cookie(response, request, cookie_base(request), signed_in.token, max_age=signed_in.max_age)


def forget(response: Response, request: Request) -> None:
    delete_cookie(response, request, cookie_base(request))


class SlidingCookie:
    """Sends the session cookie again, with a fresh lifetime, when its session's expiry moved."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            raw = scope.get("state", {}).get(_REFRESH)
            if message["type"] == "http.response.start" and raw:
                request = Request(scope)
                settings: Settings = request.app.state.settings
                headers = list(message.get("headers", []))
                if any(_sets_session(h, settings) for h in headers):
                    # A response that signs out (or in) decides the cookie itself.
                    await send(message)
                    return
                response = Response()
                set_cookie(
                    response,
                    request,
                    settings.session_cookie_name,
                    raw,
                    max_age=settings.resident_session_days * 24 * 3600,
                )
                message["headers"] = [
                    *headers,
                    *[(k, v) for k, v in response.raw_headers if k == b"set-cookie"],
                ]
            await send(message)

        await self.app(scope, receive, wrapped)


def _sets_session(header: tuple[bytes, bytes], settings: Settings) -> bool:
    name, value = header
    return name == b"set-cookie" and settings.session_cookie_name.encode() in value.split(b"=", 1)[0]


def install(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_middleware(SlidingCookie)


OptionalResidentDep = Annotated[Principal | None, Depends(optional_resident)]
ResidentPageDep = Annotated[Principal, Depends(require_resident)]
