"""Which function handles which event type. Domains register their handlers in their tasks.py."""

from __future__ import annotations

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


PeriodicJob = Callable[[AsyncSession, Settings], Awaitable[int]]


class Registry:
    """Which handler runs for which event type, and which jobs workers run now and then. Built once
    per process by the composition root (congdan.wiring), where each domain's tasks module
    registers into it."""

    def __init__(self) -> None:
        self._handlers: dict[str, Registration] = {}
        self._periodic: list[tuple[str, PeriodicJob]] = []

    def every_housekeeping(self, name: str, job: PeriodicJob) -> None:
        """`job` runs in every worker's housekeeping round (CONGDAN_HOUSEKEEPING_INTERVAL_SECONDS);
        it returns how many rows it dealt with."""
        self._periodic.append((name, job))

    def periodic_jobs(self) -> list[tuple[str, PeriodicJob]]:
        return list(self._periodic)

    def add(self, event_type: str, registration: Registration) -> None:
        if event_type in self._handlers:
            raise RuntimeError(f"two handlers for {event_type}")
        self._handlers[event_type] = registration

    def handles(self, *event_types: str, scrub_keys: tuple[str, ...] = ()) -> Callable[[Handler], Handler]:
        def register(func: Handler) -> Handler:
            for event_type in event_types:
                self.add(event_type, Registration(func, scrub_keys))
            return func

        return register

    def sends(
        self,
        event_type: str,
        sender: Sender,
        *,
        scrub_keys: tuple[str, ...] = (),
        max_attempts: Callable[[Settings], int] | None = None,
    ) -> None:
        self.add(event_type, Registration(scrub_keys=scrub_keys, sender=sender, max_attempts=max_attempts))

    def get(self, event_type: str) -> Registration | None:
        return self._handlers.get(event_type)

    def event_types(self) -> list[str]:
        return sorted(self._handlers)
