"""FastAPI dependencies shared by every router: settings, the session, the caller, the language."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.areas.service import load_index
from congdan.auth import service as auth
from congdan.authz.policy import PUBLIC, Principal
from congdan.config import Settings
from congdan.kit.errors import Unauthorized
from congdan.kit.i18n import _, negotiate
from congdan.reports.service import Context


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_maker(request: Request) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for the request. Endpoints commit explicitly before answering, so nothing is
    acknowledged that is not stored; anything not committed is rolled back here."""
    async with get_maker(request)() as session:
        yield session


def get_locale(accept_language: Annotated[str | None, Header()] = None) -> str:
    return negotiate(accept_language)


async def get_principal(
    request: Request, session: Annotated[AsyncSession, Depends(get_session)]
) -> Principal:
    header = request.headers.get("authorization")
    if not header:
        return PUBLIC
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            _("Tiêu đề Authorization phải có dạng 'Bearer <token>'."), headers={"WWW-Authenticate": "Bearer"}
        )
    principal = await auth.principal_for_token(session, token.strip())
    if principal is None:
        raise Unauthorized(
            _("Phiên đăng nhập không hợp lệ hoặc đã hết hạn."),
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    # The lookup opened a transaction; end it so the endpoint starts its own cleanly.
    await session.rollback()
    return principal


AREA_INDEX_TTL_SECONDS = 60.0


async def get_context(request: Request) -> Context:
    state = request.app.state
    # Boundaries imported with `congdan areas import` and classifier versions trained with
    # `congdan classifier train` reach running servers within a minute.
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


SessionDep = Annotated[AsyncSession, Depends(get_session)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
LocaleDep = Annotated[str, Depends(get_locale)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ContextDep = Annotated[Context, Depends(get_context)]
MakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_maker)]
