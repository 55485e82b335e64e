"""A worker waits for work without polling for it: a commit of outbox rows in the same process
rings it, and on PostgreSQL a row inserted by any connection NOTIFYs it when that transaction
commits, never when it rolls back. The poll interval here is far longer than the test."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.models import OutboxMessage
from congdan.outbox.relay import Relay
from congdan.outbox.service import emit
from tests.conftest import make_relay

EVENT = "test.wakeup"
HANDLED: list[str] = []
# Longer than any wait below: a row handled within the test was handled because the worker woke.
POLL_SECONDS = 600.0


async def _handler(_session: AsyncSession, message: OutboxMessage, _ctx: object) -> None:
    HANDLED.append(str(message.id))


@pytest_asyncio.fixture
async def sleeping_worker(
    maker: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[Relay]:
    HANDLED.clear()
    slow = settings.model_copy(update={"outbox_poll_seconds": POLL_SECONDS})
    relay = make_relay(maker, slow, register=lambda r: r.handles(EVENT)(_handler))  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run_forever(stop))
    await _settled(relay)
    yield relay
    stop.set()
    await asyncio.wait_for(task, 10)


async def _settled(relay: Relay) -> None:
    """Until the worker has finished its first rounds and gone to sleep."""
    for _ in range(400):
        if relay.last_round_at is not None and not relay.wake.is_set():
            await asyncio.sleep(0.3)
            if not relay.wake.is_set():
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the worker never went to sleep")


async def _handled(message_id: uuid.UUID, within: float = 20.0) -> bool:
    for _ in range(int(within / 0.05)):
        if str(message_id) in HANDLED:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_commit_in_this_process_wakes_the_worker(
    sleeping_worker: Relay, maker: async_sessionmaker[AsyncSession]
) -> None:
    async with maker() as s, s.begin():
        message = emit(s, EVENT, aggregate_type="test", aggregate_id="1", payload={})
    assert await _handled(message.id)


async def test_a_rolled_back_transaction_rings_nobody(
    sleeping_worker: Relay, maker: async_sessionmaker[AsyncSession]
) -> None:
    async with maker() as s:
        emit(s, EVENT, aggregate_type="test", aggregate_id="1", payload={})
        await s.flush()
        await s.rollback()
    await asyncio.sleep(0.5)
    assert not sleeping_worker.wake.is_set()


async def test_a_row_from_another_connection_notifies_the_worker_on_postgresql(
    sleeping_worker: Relay, settings: Settings
) -> None:
    if not settings.resolved_database_url.startswith("postgresql"):
        pytest.skip("NOTIFY is PostgreSQL's; SQLite workers in other processes poll")
    import asyncpg  # type: ignore[import-untyped]

    dsn = settings.resolved_database_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        message_id = uuid.uuid4()
        insert = (
            "INSERT INTO outbox (id, event_type, aggregate_type, aggregate_id, payload, status, attempts,"
            " priority, available_at, created_at)"
            " VALUES ($1, $2, 'test', '1', $3::json, 'pending', 0, 0, now(), now())"
        )
        async with conn.transaction():
            await conn.execute(insert, message_id, EVENT, json.dumps({}))
            await asyncio.sleep(0.5)
            assert not sleeping_worker.wake.is_set(), "notified before the commit"
        assert await _handled(message_id)
    finally:
        await conn.close()
