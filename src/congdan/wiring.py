"""The composition root: what a process shares, built once, the same way for `serve`, `worker`,
the CLI and the tests. The outbox knows no domain; the domains' handlers are registered here."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.integrations.channels import Channel
from congdan.integrations.live import Broker, make_broker
from congdan.integrations.registry import build_channels
from congdan.integrations.storage import LocalStorage, S3Storage, Storage
from congdan.outbox.registry import Registry
from congdan.outbox.relay import Relay

# Each module has `register(registry)`, adding the handlers of its domain's events.
TASK_MODULES = (
    "congdan.announcements.tasks",
    "congdan.idempotency.tasks",
    "congdan.notifications.tasks",
    "congdan.privacy.tasks",
    "congdan.reports.tasks",
    "congdan.routing.tasks",
)


class HandlersUnavailable(RuntimeError):
    """A domain's handlers could not be imported: the process must not start without them."""


def build_registry() -> Registry:
    registry = Registry()
    for name in TASK_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            missing = f" (missing module: {exc.name})" if exc.name else ""
            raise HandlersUnavailable(f"cannot load the outbox handlers in {name}{missing}: {exc}") from exc
        module.register(registry)
    return registry


@dataclass
class Shared:
    """What every part of one process uses: the handler registry, the media store, the
    delivery channels and the live-update broker (Redis when configured, so that a separate
    worker's updates reach every server)."""

    registry: Registry
    storage: Storage
    live: Broker
    channels: dict[str, Channel]

    def resources(self) -> dict[str, Any]:
        return {"storage": self.storage, "live": self.live, "channels": self.channels}

    def relay(self, maker: async_sessionmaker[AsyncSession], settings: Settings) -> Relay:
        return Relay(maker, settings, self.registry, self.resources())

    async def close(self) -> None:
        await self.live.close()


def build_storage(settings: Settings) -> Storage:
    if settings.media_url:
        return S3Storage(
            settings.media_url,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    return LocalStorage(settings.resolved_media_dir)


def build(settings: Settings, *, storage: Storage | None = None) -> Shared:
    return Shared(
        registry=build_registry(),
        storage=storage or build_storage(settings),
        live=make_broker(settings.redis_url),
        channels=build_channels(settings),
    )
