"""The outbox: handled after commit, retried with backoff, dead-lettered, never twice per row."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.db import utcnow
from congdan.models import Account, Delivery, Notification, OutboxMessage
from congdan.outbox.registry import HandlerContext, Registry
from congdan.outbox.relay import Relay, backoff_seconds
from congdan.outbox.service import emit
from tests.conftest import Actors, make_relay, report_body

CALLS: list[str] = []


async def flaky(session: AsyncSession, message: OutboxMessage, ctx: HandlerContext) -> None:
    CALLS.append(str(message.id))
    if message.payload.get("fail"):
        raise RuntimeError("provider down")
    session.add(Delivery(outbox_id=message.id, channel="test", recipient="x", status="sent"))


def _register(registry: Registry) -> None:
    registry.handles("test.flaky")(flaky)


@pytest.fixture(autouse=True)
def _calls() -> None:
    CALLS.clear()


@pytest_asyncio.fixture
async def relay(maker: async_sessionmaker[AsyncSession], settings: Settings) -> Relay:
    return make_relay(maker, settings, register=_register)


async def _emit(maker: async_sessionmaker[AsyncSession], **payload: object) -> uuid.UUID:
    async with maker() as s, s.begin():
        message = emit(s, "test.flaky", aggregate_type="test", aggregate_id="1", payload=dict(payload))
        await s.flush()
        return message.id


async def _get(maker: async_sessionmaker[AsyncSession], message_id: uuid.UUID) -> OutboxMessage:
    async with maker() as s:
        row = await s.get(OutboxMessage, message_id)
        assert row is not None
        return row


async def test_handled_once_and_marked_done(relay: Relay, maker: async_sessionmaker[AsyncSession]) -> None:
    mid = await _emit(maker)
    assert await relay.drain() == 1
    assert await relay.drain() == 0
    row = await _get(maker, mid)
    assert row.status == "done" and row.processed_at is not None and row.attempts == 1
    assert [str(mid)] == CALLS


async def test_failure_backs_off_then_dead_letters(
    maker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    relay = make_relay(maker, settings.model_copy(update={"outbox_max_attempts": 3}), register=_register)
    mid = await _emit(maker, fail=True)
    await relay.drain()
    row = await _get(maker, mid)
    assert row.status == "pending" and row.attempts == 1 and "provider down" in (row.last_error or "")
    assert row.available_at > utcnow()  # not retried at once
    assert await relay.drain() == 0
    for _ in range(2):
        async with maker() as s, s.begin():
            await s.execute(update(OutboxMessage).values(available_at=utcnow() - timedelta(seconds=1)))
        await relay.drain()
    row = await _get(maker, mid)
    assert row.status == "dead" and row.attempts == 3
    async with maker() as s:
        assert await s.scalar(select(func.count()).select_from(Delivery)) == 0


def test_backoff_grows_and_is_capped() -> None:
    assert 0.8 <= backoff_seconds(1) <= 1.2
    assert 6.4 <= backoff_seconds(4) <= 9.6
    assert backoff_seconds(40) <= 3600 * 1.2


async def test_a_dead_workers_lease_is_taken_over(
    maker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    mid = await _emit(maker)
    async with maker() as s, s.begin():
        await s.execute(
            update(OutboxMessage).values(
                status="processing", locked_by="dead-worker", locked_until=utcnow() + timedelta(seconds=30)
            )
        )
    relay = make_relay(maker, settings, register=_register)
    assert await relay.drain() == 0  # still leased
    async with maker() as s, s.begin():
        await s.execute(update(OutboxMessage).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert await relay.drain() == 1
    assert (await _get(maker, mid)).status == "done"


async def test_a_worker_that_lost_its_lease_does_not_run_the_handler(
    maker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    mid = await _emit(maker)
    relay = make_relay(maker, settings, register=_register)
    async with maker() as s, s.begin():
        await s.execute(
            update(OutboxMessage).values(
                status="processing", locked_by="someone-else", locked_until=utcnow() + timedelta(seconds=30)
            )
        )
    await relay._handle(mid)
    assert CALLS == []


async def test_concurrent_workers_never_run_a_row_twice(
    maker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    ids = {await _emit(maker) for _ in range(40)}
    relays = [
        make_relay(maker, settings.model_copy(update={"outbox_batch_size": 3}), register=_register)
        for _ in range(4)
    ]
    totals = await asyncio.gather(*[r.drain() for r in relays])
    assert sum(totals) == 40
    assert sorted(CALLS) == sorted(str(i) for i in ids)
    async with maker() as s:
        statuses = (await s.scalars(select(OutboxMessage.status))).all()
        deliveries = await s.scalar(select(func.count()).select_from(Delivery))
    assert set(statuses) == {"done"} and deliveries == 40


async def test_nothing_is_emitted_when_the_transaction_rolls_back(
    maker: async_sessionmaker[AsyncSession],
) -> None:
    async with maker() as s:
        await s.begin()
        emit(s, "test.flaky", aggregate_type="test", aggregate_id="1", payload={})
        await s.flush()
        await s.rollback()
    async with maker() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_reporter_inbox_follows_the_report(
    client: httpx.AsyncClient, actors: Actors, relay: Relay, maker: async_sessionmaker[AsyncSession]
) -> None:
    resident = await actors.resident()
    officer = await actors.staff("agency_officer", "so_xay_dung")
    rid = (await client.post("/api/v1/reports", json=report_body(), headers=resident)).json()["id"]
    await client.post(f"/api/v1/reports/{rid}/transitions", json={"to": "in_progress"}, headers=officer)
    await client.post(f"/api/v1/reports/{rid}/notes", json={"note": "nội bộ"}, headers=officer)
    await relay.drain()
    await relay.drain()  # running again changes nothing
    async with maker() as s:
        notes = (
            await s.scalars(
                select(Notification)
                .join(Account, Account.id == Notification.account_id)
                .where(Account.role == "resident")
                .order_by(Notification.created_at)
            )
        ).all()
        inbox_deliveries = await s.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.channel == "inbox")
        )
        pending = await s.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "done")
        )
    titles = [n.title for n in notes]
    assert len(titles) == 3  # received, assigned, in progress; the internal note tells the resident nothing
    assert titles[0].startswith("Đã nhận phản ánh")
    assert inbox_deliveries == 4 and pending == 0  # and the agency's officer heard of the assignment
