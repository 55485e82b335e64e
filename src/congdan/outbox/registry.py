"""Which function handles which event type. Domains register their handlers in their tasks.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.config import Settings
from congdan.models import OutboxMessage


@dataclass
class HandlerContext:
    settings: Settings
    log: structlog.stdlib.BoundLogger = field(default_factory=lambda: structlog.get_logger("outbox"))


Handler = Callable[[AsyncSession, OutboxMessage, HandlerContext], Awaitable[None]]


@dataclass(frozen=True)
class Registration:
    handler: Handler
    # Secrets (one-time codes) are wiped from the payload once delivered.
    scrub_keys: tuple[str, ...] = ()


_HANDLERS: dict[str, Registration] = {}


def handles(*event_types: str, scrub_keys: tuple[str, ...] = ()) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        for event_type in event_types:
            if event_type in _HANDLERS:
                raise RuntimeError(f"two handlers for {event_type}")
            _HANDLERS[event_type] = Registration(func, scrub_keys)
        return func

    return register


def registration_for(event_type: str) -> Registration | None:
    load_all()
    return _HANDLERS.get(event_type)


def load_all() -> None:
    """Imports every domain's tasks module so their handlers are registered."""
    import congdan.auth.tasks
    import congdan.privacy.tasks
    import congdan.reports.tasks  # noqa: F401
