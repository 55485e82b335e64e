"""Waking workers when there is work, instead of letting them find it at their next poll.

- PostgreSQL: inserting into `outbox` NOTIFYs the channel below when the transaction commits (a
  trigger, migration 0016); every worker holds one connection that LISTENs to it.
- Any database, in one process: a session that committed outbox rows rings the bells of the
  workers running in the same process (the server's in-process worker on SQLite, which has no
  NOTIFY).
The poll stays as the safety net: a lost notification, or a retry whose back-off has run out,
is found by the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.orm import Session

from congdan.models import OutboxMessage

CHANNEL = "congdan_outbox"
_PENDING = "congdan.outbox_written"

log = structlog.get_logger("outbox")

# Every worker of this process: its loop and the event that wakes it.
_bells: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()


@contextlib.contextmanager
def bell(wake: asyncio.Event) -> Any:
    """Rings `wake` whenever this process commits outbox rows, for as long as the block runs."""
    entry = (asyncio.get_running_loop(), wake)
    _bells.add(entry)
    try:
        yield wake
    finally:
        _bells.discard(entry)


def _ring() -> None:
    for loop, wake in list(_bells):
        if not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)


@event.listens_for(Session, "after_flush")
def _note_outbox_rows(session: Session, _context: Any) -> None:
    if any(isinstance(obj, OutboxMessage) for obj in session.new):
        session.info[_PENDING] = True


@event.listens_for(Session, "after_commit")
def _ring_after_commit(session: Session) -> None:
    if session.info.pop(_PENDING, False):
        _ring()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


@contextlib.asynccontextmanager
async def listening(database_url: str, wake: asyncio.Event) -> AsyncIterator[None]:
    """Sets `wake` on every notification of the outbox channel while the block runs (PostgreSQL);
    a lost connection is opened again in the background, and the poll covers the gap."""
    if not database_url.startswith("postgresql"):
        yield
        return
    task = asyncio.create_task(_listen(database_url.replace("postgresql+asyncpg://", "postgresql://"), wake))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _listen(dsn: str, wake: asyncio.Event) -> None:
    import asyncpg  # type: ignore[import-untyped]

    pause = 0.5
    while True:
        try:
            conn = await asyncpg.connect(dsn, timeout=5)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            log.warning("outbox.listen_unavailable", error=str(exc)[:200])
            await asyncio.sleep(pause)
            pause = min(pause * 2, 10.0)
            continue
        closed = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _conn, ended=closed: ended.set())
            await conn.add_listener(CHANNEL, lambda *_args: wake.set())
            pause = 0.5
            wake.set()  # rows written while nobody listened
            await closed.wait()
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("outbox.listen_lost", error=str(exc)[:200])
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=2)
