"""The Idempotency-Key claim comes before the first use of the request's session (conventions.md):
on SQLite a unit of work in use may hold the write lock the claim's own transaction waits for.
IdempotentWrite.claim refuses to run after the session was used; here every endpoint that claims
is run with a key, and the refusal itself is shown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request

from congdan.deps import ClaimAfterSessionUse, IdempotentWrite, get_idempotent_write
from congdan.models import Category, IdempotencyKey
from tests.conftest import png_bytes, report_body
from tests.open311_support import BASE, new_api_key, pothole_form

Send = Callable[[dict[str, str]], Awaitable[httpx.Response]]
Sender = Callable[[httpx.AsyncClient, async_sessionmaker[AsyncSession]], Awaitable[Send]]


async def _report(client: httpx.AsyncClient, _maker: Any) -> Send:
    return lambda headers: client.post("/api/v1/reports", json=report_body(), headers=headers)


async def _upload(client: httpx.AsyncClient, _maker: Any) -> Send:
    files = {"file": ("a.png", png_bytes(), "image/png")}
    return lambda headers: client.post("/api/v1/uploads", files=files, headers=headers)


async def _open311(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Send:
    form = pothole_form(await new_api_key(maker))
    return lambda headers: client.post(f"{BASE}/requests.json", data=form, headers=headers)


# Every endpoint that takes IdempotencyDep, with a request it accepts.
IDEMPOTENT: dict[tuple[str, str], Sender] = {
    ("POST", "/api/v1/reports"): _report,
    ("POST", "/api/v1/uploads"): _upload,
    ("POST", "/open311/v2/requests.{fmt}"): _open311,
}


def _claims(dependant: Dependant) -> bool:
    return any(d.call is get_idempotent_write or _claims(d) for d in dependant.dependencies)


def test_the_list_names_every_endpoint_that_claims(app: Any) -> None:
    found = {
        (method, context.path)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and _claims(context.original_route.dependant)
        for method in context.methods or ()
    }
    assert found == set(IDEMPOTENT)


@pytest.mark.parametrize("endpoint", sorted(IDEMPOTENT))
async def test_every_endpoint_claims_before_it_uses_its_session(
    endpoint: tuple[str, str], client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
) -> None:
    send = await IDEMPOTENT[endpoint](client, maker)
    headers = {"Idempotency-Key": f"order-{endpoint[1]}"}
    first = await send(headers)
    assert first.status_code == 201, first.text
    again = await send(headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"


async def test_a_claim_after_the_session_was_used_is_refused(
    app: Any, maker: async_sessionmaker[AsyncSession]
) -> None:
    request = Request({"type": "http", "app": app, "headers": []})
    request.state.after_rollback = []  # what the unit of work would undo; nothing is rolled back here
    async with maker() as session:
        await session.scalars(select(Category).limit(1))
        with pytest.raises(ClaimAfterSessionUse):
            await IdempotentWrite(request, session, "used-first").claim("test", {"a": 1})
        # Refused even without a key: the mistake shows in every test of such an endpoint.
        with pytest.raises(ClaimAfterSessionUse):
            await IdempotentWrite(request, session, None).claim("test", {"a": 1})
    async with maker() as session:
        assert await IdempotentWrite(request, session, "fresh").claim("test", {"a": 1}) is None
    async with maker() as session:
        assert (await session.scalars(select(IdempotencyKey.key))).all() == ["fresh"]
