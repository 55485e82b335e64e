"""Fan-out of live updates to open pages: in-process by default, Redis pub/sub across instances.

A message is a short JSON string telling a page what changed; pages fetch the rest themselves.
Slow listeners lose messages rather than holding up publishers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

import redis.asyncio as aioredis
import structlog

log = structlog.get_logger("live")
QUEUE_SIZE = 100
PREFIX = "congdan:live:"


class Broker(Protocol):
    async def publish(self, channel: str, data: str) -> None: ...

    def listen(self, channels: list[str]) -> contextlib.AbstractAsyncContextManager[AsyncIterator[str]]: ...

    async def close(self) -> None: ...


class InProcessBroker:
    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[str]]] = {}

    async def publish(self, channel: str, data: str) -> None:
        for queue in list(self._queues.get(channel, ())):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(data)

    @contextlib.asynccontextmanager
    async def listen(self, channels: list[str]) -> AsyncIterator[AsyncIterator[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
        for channel in channels:
            self._queues.setdefault(channel, set()).add(queue)

        async def messages() -> AsyncIterator[str]:
            while True:
                yield await queue.get()

        try:
            yield messages()
        finally:
            for channel in channels:
                listeners = self._queues.get(channel)
                if listeners is not None:
                    listeners.discard(queue)
                    if not listeners:
                        del self._queues[channel]

    async def close(self) -> None:
        self._queues.clear()


class RedisBroker:
    def __init__(self, url: str) -> None:
        self.redis = aioredis.Redis.from_url(url)

    async def publish(self, channel: str, data: str) -> None:
        await self.redis.publish(PREFIX + channel, data)

    @contextlib.asynccontextmanager
    async def listen(self, channels: list[str]) -> AsyncIterator[AsyncIterator[str]]:
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(*[PREFIX + c for c in channels])

        async def messages() -> AsyncIterator[str]:
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=30.0)
                if message is not None and message.get("type") == "message":
                    data = message["data"]
                    yield data.decode() if isinstance(data, bytes) else str(data)

        try:
            yield messages()
        finally:
            with contextlib.suppress(Exception):
                await pubsub.unsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        await self.redis.aclose()


def make_broker(redis_url: str | None) -> Broker:
    return RedisBroker(redis_url) if redis_url else InProcessBroker()
