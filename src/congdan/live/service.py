"""What goes out on which live channel, sent only once the transaction that caused it commits."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.integrations.live import Broker

log = structlog.get_logger("live")
_tasks: set[asyncio.Task[None]] = set()


def report_channel(report_id: object) -> str:
    return f"report:{report_id}"


def queue_channel(agency_code: str) -> str:
    return f"queue:{agency_code}"


def publish_after_commit(
    session: AsyncSession, broker: Broker | None, messages: list[tuple[str, dict[str, Any]]]
) -> None:
    """Queues live messages for after commit, so a page that reloads on one sees the change."""
    if broker is None or not messages:
        return
    loop = asyncio.get_running_loop()

    def send(_session: object) -> None:
        for channel, data in messages:
            task = loop.create_task(_publish(broker, channel, json.dumps(data, ensure_ascii=False)))
            _tasks.add(task)
            task.add_done_callback(_tasks.discard)

    event.listen(session.sync_session, "after_commit", send, once=True)


async def _publish(broker: Broker, channel: str, data: str) -> None:
    try:
        await broker.publish(channel, data)
    except Exception as exc:  # a live update is a courtesy; the change itself is stored
        log.warning("live.publish_failed", channel=channel, error=str(exc)[:200])
