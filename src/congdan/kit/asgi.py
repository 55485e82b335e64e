"""ASGI layers wrapped round the application: HEAD answered as GET without its body, and request
bodies refused while they stream in once they pass their limit."""

from __future__ import annotations

from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from congdan.kit.errors import PayloadTooLarge
from congdan.kit.i18n import negotiate
from congdan.kit.problems import problem_response


class HeadAsGet:
    """HEAD is GET without the body (RFC 9110 §9.3.2): every GET route answers it, with the
    headers, Content-Length included, that the GET would send. The API description lists GET only,
    as is the custom; the Allow header of a 405 names HEAD beside GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class BodySizeLimit:
    """Refuses bodies over the limit while they stream in, not after they are buffered.

    JSON bodies are small (a report is a few kilobytes), so they get the small JSON limit unless
    their route declares another (FastAPI's `max_body_size=` on the route, which FastAPI enforces
    too; here the refusal comes first and names the limit); forms and files get the general one;
    `per_path` wins over both.
    That keeps parsing and validation on the event loop short enough to stay there: the worst JSON
    body allowed costs about 10 ms (figures in docs/reliability.md)."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, max_json_bytes: int, per_path: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_json_bytes = max_json_bytes
        self.per_path = per_path or {}
        self._declared: list[tuple[BaseRoute, int]] | None = None

    def _limit(self, scope: Scope) -> int:
        if scope["path"] in self.per_path:
            return self.per_path[scope["path"]]
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        # FastAPI reads a body without a content type as JSON.
        if content_type and content_type != b"application/json" and not content_type.endswith(b"+json"):
            return self.max_bytes
        if self._declared is None:
            routes = scope["app"].routes if "app" in scope else []
            self._declared = [
                (route, declared)
                for context in iter_route_contexts(routes)
                if isinstance(route := context.route, BaseRoute)
                and isinstance(declared := getattr(route, "max_body_size", None), int)
            ]
        for route, limit in self._declared:
            if route.matches(scope)[0] == Match.FULL:
                return limit
        return self.max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._reject(scope, send, max_bytes)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    # FastAPI passes HTTPException through body parsing; the app's handler answers.
                    raise StarletteHTTPException(status_code=413)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except StarletteHTTPException as exc:
            if exc.status_code != 413:
                raise
            await self._reject(scope, send, max_bytes)

    async def _reject(self, scope: Scope, send: Send, max_bytes: int) -> None:
        headers = dict(scope.get("headers") or [])
        raw = headers.get(b"accept-language")
        locale = negotiate(raw.decode("latin-1") if raw else None)
        response = problem_response(PayloadTooLarge.over(max_bytes), locale, scope.get("path"))
        await response({"type": "http"} | dict(scope), _noop_receive, send)


async def _noop_receive() -> Message:
    return {"type": "http.disconnect"}
