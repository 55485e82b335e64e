"""Which function handles which event type. Domains register their handlers in their tasks.py."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.config import Settings
from congdan.models import OutboxMessage


@dataclass
class HandlerContext:
    settings: Settings
    log: structlog.stdlib.BoundLogger = field(default_factory=lambda: structlog.get_logger("outbox"))
    # Things handlers build once per worker (provider clients), keyed by the handler's choice.
    resources: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[AsyncSession, OutboxMessage, HandlerContext], Awaitable[None]]


class Sender(Protocol):
    """A handler whose effect leaves the database (a provider call), run in three steps so that no
    transaction stays open while the provider is called and the same row never calls it twice:
    claim (committed before the call), act (no transaction), record (commits with the row's mark)."""

    async def claim(self, session: AsyncSession, message: OutboxMessage, ctx: HandlerContext) -> Any | None:
        """What to hand over, recorded as claimed; None when there is nothing (left) to do."""
        ...

    async def act(self, claim: Any, ctx: HandlerContext) -> Any: ...

    async def record(
        self,
        session: AsyncSession,
        message: OutboxMessage,
        claim: Any,
        outcome: Any,
        ctx: HandlerContext,
    ) -> str | None:
        """Stores the outcome (an exception when act raised); returns an error to retry, None when done."""
        ...


@dataclass(frozen=True)
class Registration:
    handler: Handler | None = None
    # Secrets (one-time codes) are wiped from the payload once delivered.
    scrub_keys: tuple[str, ...] = ()
    sender: Sender | None = None
    # How many tries before the dead letter, when the handler needs a longer budget than the default.
    max_attempts: Callable[[Settings], int] | None = None

    def attempts_budget(self, settings: Settings) -> int:
        return self.max_attempts(settings) if self.max_attempts else settings.outbox_max_attempts


_HANDLERS: dict[str, Registration] = {}


def handles(*event_types: str, scrub_keys: tuple[str, ...] = ()) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        for event_type in event_types:
            if event_type in _HANDLERS:
                raise RuntimeError(f"two handlers for {event_type}")
            _HANDLERS[event_type] = Registration(func, scrub_keys)
        return func

    return register


def sends(
    event_type: str,
    sender: Sender,
    *,
    scrub_keys: tuple[str, ...] = (),
    max_attempts: Callable[[Settings], int] | None = None,
) -> None:
    if event_type in _HANDLERS:
        raise RuntimeError(f"two handlers for {event_type}")
    _HANDLERS[event_type] = Registration(scrub_keys=scrub_keys, sender=sender, max_attempts=max_attempts)


def registration_for(event_type: str) -> Registration | None:
    return _HANDLERS.get(event_type)


TASK_MODULES = (
    "congdan.announcements.tasks",
    "congdan.auth.tasks",
    "congdan.notifications.tasks",
    "congdan.privacy.tasks",
    "congdan.reports.tasks",
)


class HandlersUnavailable(RuntimeError):
    """A domain's handlers could not be imported: the process must not start without them."""


def load_all() -> None:
    """Imports every domain's tasks module so their handlers are registered."""
    for name in TASK_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            missing = f" (missing module: {exc.name})" if exc.name else ""
            raise HandlersUnavailable(f"cannot load the outbox handlers in {name}{missing}: {exc}") from exc
