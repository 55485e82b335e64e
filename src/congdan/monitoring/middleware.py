"""Counts, times and logs every request by its route template (never the raw path: one series per
route, however many report ids are asked for, and no tracking code in a log line), under its
request id."""

from __future__ import annotations

import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from congdan.kit import requestid
from congdan.kit.metrics import LATENCY, POOL_IN_USE, POOL_SIZE, REQUESTS

log = structlog.get_logger("http")
_HEADER = requestid.HEADER.lower().encode("latin-1")


def _route(scope: Scope) -> str:
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str):
        return template
    path = str(scope.get("path", ""))
    if path.startswith("/static/"):
        return "/static"
    return "unmatched"


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the caller sees if the app raises before answering
        incoming = None
        for name, value in scope.get("headers") or ():
            if name == _HEADER:
                incoming = value
                break
        request_id = requestid.accept_or_make(incoming)
        token = requestid.bound.set(request_id)
        echoed = (_HEADER, request_id.encode("ascii"))

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", ()), echoed]
            await send(message)

        failed = False
        try:
            await self.app(scope, receive, counting_send)
        except BaseException:
            failed = True
            raise
        finally:
            method = str(scope.get("method", ""))
            route = _route(scope)
            elapsed = time.perf_counter() - started
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            # No client address: it is personal data, and the proxy's own log keeps it if needed.
            (log.error if failed else log.info)(
                "http.request",
                method=method,
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
                exc_info=failed,
            )
            requestid.bound.reset(token)
            engine = getattr(getattr(scope.get("app"), "state", None), "engine", None)
            if engine is not None:
                pool = engine.pool
                if hasattr(pool, "checkedout"):
                    POOL_IN_USE.set(pool.checkedout())
                    POOL_SIZE.set(pool.size())
