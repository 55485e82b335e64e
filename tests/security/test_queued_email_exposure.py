"""Queued messages do not give away a resident's email address, and erasing the account takes its
queued messages with it: unsubscribe tokens are sealed with the data key, erasure removes the
account's queued messages, and on SQLite the write-ahead log is emptied afterwards."""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.models import OutboxMessage
from congdan.notifications.tokens import Unsubscribe, make_token, read_token
from congdan.outbox.relay import Relay
from tests.conftest import Actors, report_body

Maker = async_sessionmaker[AsyncSession]


def _wal_size(settings: Settings) -> int:
    wal = Path(settings.resolved_database_url.split("///", 1)[1] + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def _decodings(text: str) -> list[bytes]:
    """`text` and everything in it that decodes as base64: what anyone reading a row can see."""
    found = [text.encode()]
    for piece in re.findall(r"[A-Za-z0-9_\-]{8,}", text):
        try:
            found.append(base64.urlsafe_b64decode(piece + "=" * (-len(piece) % 4)))
        except (binascii.Error, ValueError):
            continue
    return found


async def _resident_by_email(
    client: httpx.AsyncClient, maker: Maker, settings: Settings, email: str
) -> dict[str, str]:
    assert (await client.post("/api/v1/auth/code", json={"email": email})).status_code == 202
    code = await Actors(client, maker, settings).latest_code(email)
    r = await client.post("/api/v1/auth/code/verify", json={"email": email, "code": code})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _queued_for(maker: Maker, account_id: str) -> list[OutboxMessage]:
    async with maker() as session:
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "notify.send"))
        ).all()
    return [row for row in rows if row.payload.get("account_id") == account_id]


async def test_queued_email_does_not_reveal_the_address_and_goes_with_the_account(
    client: httpx.AsyncClient, maker: Maker, settings: Settings, relay: Relay
) -> None:
    email = f"nguoidan.{uuid.uuid4().hex[:8]}@example.vn"
    resident = await _resident_by_email(client, maker, settings, email)
    account_id = (await client.get("/api/v1/me", headers=resident)).json()["id"]
    # Quiet hours now: the messages wait in the queue, as they would for hours at night.
    local = datetime.now(UTC) + timedelta(hours=7)
    quiet = {
        "start": (local - timedelta(hours=1)).strftime("%H:%M"),
        "end": (local + timedelta(hours=1)).strftime("%H:%M"),
    }
    r = await client.put("/api/v1/me/notification-preferences", json={"quiet_hours": quiet}, headers=resident)
    assert r.status_code == 200, r.text
    assert (await client.post("/api/v1/reports", json=report_body(), headers=resident)).status_code == 201
    await relay.drain()

    queued = [row for row in await _queued_for(maker, account_id) if row.payload["channel"] == "email"]
    assert queued and {row.status for row in queued} == {"pending"}
    for row in queued:
        assert row.payload["unsubscribe_url"]
        for seen in _decodings(json.dumps(row.payload, ensure_ascii=False)):
            assert email.encode() not in seen

    r = await client.delete("/api/v1/me", params={"confirm": "true"}, headers=resident)
    assert r.status_code == 204, r.text
    assert await _queued_for(maker, account_id) == []
    if settings.is_sqlite:
        # Emptied after the erasure, so the deleted rows' old copies are not kept in it.
        assert _wal_size(settings) == 0

    # Nothing left to fail on every retry against the deleted account.
    async with maker() as session:
        dead = (await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "dead"))).all()
        failing = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.last_error.is_not(None)))
        ).all()
    assert dead == [] and failing == []


def test_unsubscribe_tokens_are_sealed_and_still_read(settings: Settings) -> None:
    target = Unsubscribe("email", "ba.tu@example.vn", str(uuid.uuid4()))
    token = make_token(settings, target)
    for seen in _decodings(token):
        assert b"ba.tu@example.vn" not in seen
    assert read_token(settings, token) == target
    assert read_token(settings, token[:-3] + ("abc" if token[-3:] != "abc" else "xyz")) is None
    # A token sealed for another use does not open as an unsubscribe token.
    assert read_token(settings, settings.keyring.seal(json.dumps(["email", "x@y.vn", None]), "other")) is None
