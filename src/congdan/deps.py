"""FastAPI dependencies shared by every router: settings, the session, the caller, the language."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan import replica
from congdan.areas.service import load_index
from congdan.auth import service as auth
from congdan.auth import sessions as staff_sessions
from congdan.authz.policy import PUBLIC, Principal
from congdan.config import Settings
from congdan.idempotency import service as idem
from congdan.kit.errors import AppError, Unauthorized
from congdan.kit.i18n import _, negotiate
from congdan.reports.context import Context
from congdan.security.cookies import read_cookie
from congdan.security.ratelimit import client_address, limiter


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_now(request: Request) -> datetime:
    """The request's time from the app's clock (tests replace `app.state.clock` to move it)."""
    now: datetime = request.app.state.clock()
    return now


def get_maker(request: Request) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITES = "__congdan_writes__"

F = TypeVar("F", bound=Callable[..., Any])


def writes(endpoint: F) -> F:
    """Declares that a GET endpoint writes (an audit row of what it revealed): its unit of work
    then takes the write lock and commits. Put it under the route decorator."""
    setattr(endpoint, _WRITES, True)
    return endpoint


def _unit_writes(request: Request) -> bool:
    return request.method not in _SAFE_METHODS or bool(getattr(request.scope.get("endpoint"), _WRITES, False))


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: one transaction, committed once after the endpoint has built
    its answer and before the answer is sent, so nothing is acknowledged that is not stored; any
    error rolls it all back (unless the error says its changes are kept). Endpoints never commit.
    Reading requests get a read-only session: no write lock on SQLite, and no write at all."""
    state = request.app.state
    read_only = not _unit_writes(request)
    maker: async_sessionmaker[AsyncSession] = state.read_sessionmaker if read_only else state.sessionmaker
    if read_only:
        maker = await replica.maker_for(request) or maker
    undo: list[Callable[[], Awaitable[None]]] = []
    then: list[Callable[[AsyncSession], Awaitable[None]]] = []
    request.state.after_rollback = undo
    request.state.after_commit = then
    async with maker() as session:
        try:
            yield session
        except AppError as exc:
            if exc.keeps_changes and not read_only:
                await session.commit()
            else:
                await _roll_back(session, undo)
            raise
        except BaseException:
            await _roll_back(session, undo)
            raise
        if read_only:
            await session.rollback()
            return
        await session.commit()
        for step in then:
            await step(session)
            await session.commit()


async def _roll_back(session: AsyncSession, undo: list[Callable[[], Awaitable[None]]]) -> None:
    await session.rollback()
    # What was committed outside the unit of work for its sake (an Idempotency-Key claim) is
    # undone only now, once the unit of work holds no lock.
    for step in reversed(undo):
        await step()


def after_rollback(request: Request, step: Callable[[], Awaitable[None]]) -> None:
    """Runs `step` if the request's unit of work is rolled back."""
    request.state.after_rollback.append(step)


def after_commit(request: Request, step: Callable[[AsyncSession], Awaitable[None]]) -> None:
    """Runs `step` (in a transaction of its own) once the request's unit of work has committed."""
    request.state.after_commit.append(step)


IdempotencyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Khóa do ứng dụng sinh (ví dụ UUID) để gửi lại an toàn khi mạng chập chờn / "
        "a key the client makes (e.g. a UUID) so that a retry is safe",
        max_length=255,
    ),
]


class ClaimAfterSessionUse(RuntimeError):
    """The endpoint used its unit of work before claiming the Idempotency-Key (conventions.md)."""


class IdempotentWrite:
    """A retry-safe write: `claim` before doing it (a replay of the first answer, or None to go on),
    `remember` the answer inside the same unit of work. A failed write frees the key again."""

    def __init__(self, request: Request, session: AsyncSession, key: str | None) -> None:
        self.request = request
        self.session = session
        self.key = idem.check_key(key) if key is not None else None
        self.scope: str | None = None

    async def claim(self, scope: str, fingerprint: object) -> idem.Replay | None:
        # The claim commits in a transaction of its own; on SQLite it would wait for the write lock
        # a unit of work already in use may hold. Checked with or without a key, so that every
        # test of the endpoint finds the mistake.
        if self.session.in_transaction():
            raise ClaimAfterSessionUse("claim the Idempotency-Key before the first use of the session")
        if self.key is None:
            return None
        state = self.request.app.state
        key = self.key
        replay = await idem.claim(
            state.sessionmaker,
            scope=scope,
            key=key,
            fingerprint=idem.request_hash(fingerprint),
            lock_seconds=state.settings.idempotency_lock_seconds,
        )
        if replay is None:
            self.scope = scope

            async def release() -> None:
                await idem.release(state.sessionmaker, scope=scope, key=key)

            after_rollback(self.request, release)
        return replay

    async def remember(
        self, session: AsyncSession, status: int, body: dict[str, object], headers: dict[str, str]
    ) -> None:
        if self.key is not None and self.scope is not None:
            await idem.complete(
                session, scope=self.scope, key=self.key, status=status, body=body, headers=headers
            )


def replayed(replay: idem.Replay) -> JSONResponse:
    """The first answer again, marked as a replay."""
    return JSONResponse(
        replay.body, status_code=replay.status, headers={**replay.headers, "Idempotent-Replayed": "true"}
    )


def get_idempotent_write(
    request: Request,
    session: Annotated[AsyncSession, Depends(get_session, scope="function")],
    idempotency_key: IdempotencyHeader = None,
) -> IdempotentWrite:
    # The same dependency as SessionDep, so FastAPI hands both the request's one unit of work.
    return IdempotentWrite(request, session, idempotency_key)


def get_locale(accept_language: Annotated[str | None, Header()] = None) -> str:
    return negotiate(accept_language)


async def get_principal(request: Request) -> Principal:
    """Who is calling, read in a short read-only session of its own before the unit of work starts:
    a write's unit of work (and on SQLite its write lock) then begins only when the endpoint uses it,
    so that what the endpoint does first in transactions of its own (an Idempotency-Key claim)
    never waits for it."""
    header = request.headers.get("authorization")
    if not header:
        return PUBLIC
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            _("Tiêu đề Authorization phải có dạng 'Bearer <token>'."), headers={"WWW-Authenticate": "Bearer"}
        )
    async with request.app.state.read_sessionmaker() as session:
        principal = await auth.principal_for_token(session, token.strip())
    if principal is None:
        raise Unauthorized(
            _("Phiên đăng nhập không hợp lệ hoặc đã hết hạn."),
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return principal


async def staff_session_of(request: Request) -> staff_sessions.Current | None:
    """The signed-in staff session of the request's cookie, read like the caller (a short session
    of its own, before the unit of work); its last-seen time is written, in a transaction of its
    own, at most once a minute."""
    state = request.app.state
    raw = read_cookie(request, state.settings.staff_session_cookie_name)
    if not raw:
        return None
    now = get_now(request)
    async with state.read_sessionmaker() as session:
        found = await staff_sessions.current(session, state.settings, raw, now)
    if found is not None and found.touch:
        async with state.sessionmaker() as session, session.begin():
            await staff_sessions.touch(session, found, now)
    return found


async def get_live_principal(request: Request) -> Principal:
    """The caller of a live-update stream, or of a reading request a workbench page's script
    makes: a bearer token, or else a staff browser session (an EventSource sends cookies, not
    headers). These only read, so a cookie is safe here."""
    if request.headers.get("authorization"):
        return await get_principal(request)
    found = await staff_session_of(request)
    # Until a reset password is replaced, the session opens nothing but the page to replace it.
    if found is None or found.account.must_change_password:
        return PUBLIC
    return found.principal


AREA_INDEX_TTL_SECONDS = 60.0


async def get_context(request: Request) -> Context:
    state = request.app.state
    # Boundaries imported with `congdan areas import` reach running servers within a minute, a
    # newly activated classifier version within a few seconds.
    stale = time.monotonic() - state.area_index_loaded_at > AREA_INDEX_TTL_SECONDS
    if stale or state.area_index.is_empty:
        async with get_maker(request)() as session:
            state.area_index = await load_index(session)
        state.area_index_loaded_at = time.monotonic()
    holder = state.classifier
    if holder.due():
        async with get_maker(request)() as session:
            await holder.refresh(session)
    return Context(
        settings=state.settings, areas=state.area_index, storage=state.storage, classifier=holder.current
    )


# scope="function": the unit of work ends when the endpoint returns, before the answer is sent.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
LivePrincipalDep = Annotated[Principal, Depends(get_live_principal)]
LocaleDep = Annotated[str, Depends(get_locale)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ContextDep = Annotated[Context, Depends(get_context)]
MakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_maker)]
IdempotencyDep = Annotated[IdempotentWrite, Depends(get_idempotent_write)]
NowDep = Annotated[datetime, Depends(get_now)]


def limit_signed_in(name: str) -> Callable[..., Awaitable[None]]:
    """Counts against `<name>_client` and, for a signed-in caller, `<name>_account`. Only for
    routes that read the caller anyway (the principal is resolved once per request)."""

    async def dependency(request: Request, principal: PrincipalDep) -> None:
        rl = limiter(request)
        await rl.hit(f"{name}_client", client_address(request.scope))
        if principal.account_id is not None:
            await rl.hit(f"{name}_account", str(principal.account_id))

    return dependency
