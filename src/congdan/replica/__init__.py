"""Reads that may come from a streaming replica of PostgreSQL (CONGDAN_DATABASE_REPLICA_URL).

Only endpoints marked `from_replica` read there, and only when nobody could notice the lag: a
signed-in caller, or a browser that wrote a moment ago (the `congdan_wrote` cookie the write's
answer set), reads the primary, so their own write is always there. The replica is used only while
it is reachable and no further behind the primary than CONGDAN_REPLICA_MAX_LAG_SECONDS; the check
is made in the background at most once a second, and any failure sends reads back to the primary
until the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from congdan.config import Settings
from congdan.replica import repository

log = structlog.get_logger("replica")

WROTE_COOKIE = "congdan_wrote"
_FROM_REPLICA = "__congdan_from_replica__"
_CHECK_EVERY = 1.0
_MEASURE_TIMEOUT = 2.0
# A measurement older than this (one hangs) no longer vouches for the replica.
_TRUSTED_FOR = _CHECK_EVERY + _MEASURE_TIMEOUT
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

F = TypeVar("F", bound=Callable[..., Any])


def from_replica(*, any_caller: bool = False) -> Callable[[F], F]:
    """Marks a reading endpoint whose answer may be a moment old. `any_caller`: even a signed-in
    caller's (figures over past weeks, where one's own last write does not show)."""

    def mark(endpoint: F) -> F:
        setattr(endpoint, _FROM_REPLICA, "any" if any_caller else "anonymous")
        return endpoint

    return mark


class Replica:
    def __init__(self, settings: Settings, primary: AsyncEngine, engine: AsyncEngine) -> None:
        from congdan.db import make_read_sessionmaker

        self.primary = primary
        self.engine = engine
        self.sessionmaker: async_sessionmaker[AsyncSession] = make_read_sessionmaker(engine)
        self.max_lag = settings.replica_max_lag_seconds
        self.usable = False
        self.lag: float | None = None
        self._checked_at = float("-inf")
        self._refreshing: asyncio.Task[None] | None = None

    async def _measure(self) -> float:
        """Seconds the replica is behind: 0 once it has replayed all the primary has written."""
        async with self.primary.connect() as conn:
            written = await repository.written_position(conn)
        async with self.engine.connect() as conn:
            caught_up, behind = await repository.replay_state(conn, written)
        if caught_up:
            return 0.0
        return float("inf") if behind is None else max(behind, 0.0)

    async def check(self) -> bool:
        """Whether reads may go to the replica now. Never waits for a measurement: one runs in the
        background at most once a second, so a replica that hangs holds up no request; until a
        recent measurement says otherwise (at start, or while one hangs), the primary serves."""
        now = time.monotonic()
        if now - self._checked_at >= _CHECK_EVERY and (self._refreshing is None or self._refreshing.done()):
            self._refreshing = asyncio.get_running_loop().create_task(self._refresh())
        if now - self._checked_at > _TRUSTED_FOR:
            return False
        return self.usable

    @property
    def measuring(self) -> bool:
        return self._refreshing is not None and not self._refreshing.done()

    async def settled(self) -> None:
        """Waits for the measurement under way, if any (for tests and shutdown)."""
        if self._refreshing is not None:
            await asyncio.shield(self._refreshing)

    async def _refresh(self) -> None:
        try:
            self.lag = await asyncio.wait_for(self._measure(), timeout=_MEASURE_TIMEOUT)
            usable = self.lag <= self.max_lag
        except Exception as exc:  # unreachable, restarting, not a replica: the primary serves
            self.lag = None
            usable = False
            if self.usable:
                log.warning("replica.unusable", error=str(exc)[:300])
        if usable != self.usable:
            log.info("replica.usable" if usable else "replica.behind", lag=self.lag)
        self.usable = usable
        self._checked_at = time.monotonic()

    async def close(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refreshing
        await self.engine.dispose()


def _signed_in(request: Request) -> bool:
    settings = request.app.state.settings
    cookies = request.cookies
    return (
        "authorization" in request.headers
        or settings.session_cookie_name in cookies
        or settings.staff_session_cookie_name in cookies
    )


async def maker_for(request: Request) -> async_sessionmaker[AsyncSession] | None:
    """The replica's sessions if this reading request may use them, else None (the primary)."""
    replica: Replica | None = getattr(request.app.state, "replica", None)
    if replica is None:
        return None
    mark = getattr(request.scope.get("endpoint"), _FROM_REPLICA, None)
    if mark is None:
        return None
    if mark == "anonymous" and (_signed_in(request) or WROTE_COOKIE in request.cookies):
        return None
    return replica.sessionmaker if await replica.check() else None


def open_replica(settings: Settings, primary: AsyncEngine) -> Replica | None:
    if not settings.database_replica_url:
        return None
    from congdan.db import make_engine

    return Replica(settings, primary, make_engine(settings, url=settings.database_replica_url))


def install(app: Any, settings: Settings) -> None:
    if settings.database_replica_url:
        app.add_middleware(MarkWriters, seconds=settings.read_your_writes_seconds)


class MarkWriters:
    """After a successful write, the browser carries `congdan_wrote` for the read-your-writes
    window: its next reads come from the primary, where what it wrote already is."""

    def __init__(self, app: ASGIApp, seconds: int) -> None:
        self.app = app
        self.cookie = f"{WROTE_COOKIE}=1; Max-Age={seconds}; Path=/; HttpOnly; SameSite=Lax".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in _SAFE:
            await self.app(scope, receive, send)
            return

        async def marking(message: Message) -> None:
            if message["type"] == "http.response.start" and int(message["status"]) < 400:
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", self.cookie)]}
            await send(message)

        await self.app(scope, receive, marking)
