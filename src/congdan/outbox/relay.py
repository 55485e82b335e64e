"""The worker: leases due outbox rows, runs their handler, and records the outcome.

A row's handler and the row's "done" mark commit together, so a handler's database effects
happen exactly once per outbox id; a worker that dies mid-way loses its lease and the row is
retried. Failures back off exponentially and end in the dead-letter state.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.db import utcnow
from congdan.kit import requestid
from congdan.kit.metrics import OUTBOX_DEAD, OUTBOX_FAILURES, OUTBOX_HANDLED, OUTBOX_LAST_ROUND, OUTBOX_ROUNDS
from congdan.models import OutboxMessage
from congdan.outbox import repository, wakeup
from congdan.outbox.registry import HandlerContext, Registration, Registry

log = structlog.get_logger("outbox")


def backoff_seconds(attempts: int) -> float:
    """1 s, 2 s, 4 s … capped at an hour, with jitter so retries of a burst spread out."""
    base: float = min(3600.0, 2.0 ** max(attempts - 1, 0))
    return base * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not a secret


class Relay:
    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        settings: Settings,
        registry: Registry,
        resources: dict[str, Any] | None = None,
    ) -> None:
        self.registry = registry
        self.maker = maker
        self.settings = settings
        self.worker_id = worker_identity()
        # Shared with the server when it runs in-process (the live-update broker).
        self.context = HandlerContext(settings=settings, resources=dict(resources or {}))
        # When the loop last finished a round (monotonic and wall clock), for /readyz.
        self.last_round_at: float | None = None
        self.last_round_wall: datetime | None = None
        self.leases_released = False
        # Set when outbox rows may be waiting: a NOTIFY, or a commit in this process.
        self.wake = asyncio.Event()

    def _lease_until(self) -> datetime:
        return utcnow() + timedelta(seconds=self.settings.outbox_lease_seconds)

    async def release_dead_leases(self) -> int:
        """Hands back at once the rows leased by earlier processes of this host that have died,
        instead of waiting for their leases to run out."""
        async with self.maker() as session, session.begin():
            holders = await repository.lease_holders(session)
            dead = [holder for holder in holders if holder != self.worker_id and _is_dead(holder)]
            released = await repository.release(session, dead) if dead else 0
        if released:
            log.info("outbox.leases_released", count=released, workers=len(dead))
        self.leases_released = True
        return released

    async def run_once(self) -> int:
        """Claims one batch and handles it. Returns how many rows were handled."""
        if not self.leases_released:
            await self.release_dead_leases()
        now = utcnow()
        async with self.maker() as session, session.begin():
            ids = await repository.claim(
                session,
                worker_id=self.worker_id,
                now=now,
                lease_until=self._lease_until(),
                limit=self.settings.outbox_batch_size,
            )
            streams = await repository.by_aggregate(session, ids) if ids else []
        if not ids:
            return 0
        # Rows about one aggregate (a report, one recipient's messages) keep their order; different
        # aggregates run side by side, since most of a delivery's time is spent waiting on I/O.
        limit = asyncio.Semaphore(self.settings.outbox_concurrency)

        async def run(stream: list[uuid.UUID]) -> None:
            async with limit:
                for message_id in stream:
                    await self._handle(message_id)

        # Leases are short and renewed while the batch is worked on, so the rows of a worker that
        # dies come back within one lease, while a slow provider call never loses its row.
        renewer = asyncio.create_task(self._renew_leases())
        try:
            await asyncio.gather(*(run(stream) for stream in streams))
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
        return len(ids)

    async def _renew_leases(self) -> None:
        interval = max(self.settings.outbox_lease_seconds / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            try:
                async with self.maker() as session, session.begin():
                    await repository.renew(session, self.worker_id, self._lease_until())
            except Exception as exc:  # the next renewal may succeed; the lease is the safety net
                log.warning("outbox.lease_renewal_failed", error=f"{type(exc).__name__}: {exc}"[:300])

    async def drain(self, max_rounds: int = 1000) -> int:
        total = 0
        for _ in range(max_rounds):
            handled = await self.run_once()
            total += handled
            if handled == 0:
                break
        return total

    async def housekeep(self) -> int:
        """Runs the periodic jobs the domains registered (forgetting old Idempotency-Keys …), each
        in its own transaction. Every worker may run them; they do the same whoever runs them."""
        total = 0
        for name, job in self.registry.periodic_jobs():
            async with self.maker() as session, session.begin():
                done = await job(session, self.settings)
            if done:
                log.info("outbox.housekeeping", job=name, count=done)
            total += done
        return total

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Runs rounds until `stop` is set. No exception ends it: a round that fails is logged and
        the next one starts, since the rows it held come back when their leases run out. Between
        rounds with nothing to do it sleeps until a commit of outbox rows wakes it (wakeup.py) or
        the poll interval passes."""
        log.info("outbox.worker_started", worker=self.worker_id)
        url = self.settings.resolved_database_url
        async with wakeup.listening(url, self.wake):
            with wakeup.bell(self.wake):
                await self._rounds(stop)
        log.info("outbox.worker_stopped", worker=self.worker_id)

    async def _rounds(self, stop: asyncio.Event) -> None:
        next_housekeeping = 0.0
        while not stop.is_set():
            if time.monotonic() >= next_housekeeping:
                next_housekeeping = time.monotonic() + self.settings.housekeeping_interval_seconds
                try:
                    await self.housekeep()
                except Exception as exc:
                    log.warning("outbox.housekeeping_failed", error=f"{type(exc).__name__}: {exc}"[:300])
            # Cleared before the round: a commit during the round wakes the next one at once.
            self.wake.clear()
            try:
                handled = await self.run_once()
            except (OperationalError, DBAPIError, OSError) as exc:
                OUTBOX_ROUNDS.labels("failed").inc()
                log.warning("outbox.database_unavailable", error=str(exc)[:200])
                await _sleep_or_stop(stop, 2.0)
                continue
            except Exception:
                OUTBOX_ROUNDS.labels("failed").inc()
                log.exception("outbox.round_failed", worker=self.worker_id)
                await _sleep_or_stop(stop, 1.0)
                continue
            self.last_round_at = time.monotonic()
            self.last_round_wall = utcnow()
            OUTBOX_ROUNDS.labels("handled" if handled else "idle").inc()
            OUTBOX_LAST_ROUND.set(self.last_round_wall.timestamp())
            if handled == 0:
                await _sleep_or_stop(stop, self.settings.outbox_poll_seconds, self.wake)

    async def _handle(self, message_id: uuid.UUID) -> None:
        token = requestid.bound.set(None)
        try:
            await self._handle_row(message_id)
        finally:
            requestid.bound.reset(token)

    async def _handle_row(self, message_id: uuid.UUID) -> None:
        error: str | None = None
        async with self.maker() as session:
            try:
                async with session.begin():
                    message = await repository.lock_for_processing(session, message_id, self.worker_id)
                    if message is None:
                        return
                    # Every line about this row carries the id of the request that wrote it.
                    requestid.bound.set(message.request_id)
                    registration = self.registry.get(message.event_type)
                    claim = None
                    if registration is not None and registration.sender is not None:
                        # Committed before the provider is called, so a second run sees it.
                        claim = await registration.sender.claim(session, message, self.context)
                    elif registration is not None and registration.handler is not None:
                        await registration.handler(session, message, self.context)
                    if claim is None:
                        _mark_done(message, registration)
                if claim is None:
                    _handled(message_id, message.event_type)
                    return
                assert registration is not None
                error = await self._send(session, message_id, registration, claim)
                if error is None:
                    _handled(message_id, message.event_type)
                    return
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:2000]
                log.warning("outbox.handler_failed", id=str(message_id), error=error)
        try:
            await self._record_failure(message_id, error)
        except Exception as exc:
            # Not recorded: the row stays leased to this worker and comes back when the lease ends.
            log.error(
                "outbox.failure_not_recorded",
                id=str(message_id),
                error=f"{type(exc).__name__}: {exc}"[:300],
                handler_error=error[:300],
            )

    async def _send(
        self, session: AsyncSession, message_id: uuid.UUID, registration: Registration, claim: object
    ) -> str | None:
        """Calls the provider outside any transaction, then records the outcome with the row's mark."""
        sender = registration.sender
        assert sender is not None
        outcome: object
        try:
            outcome = await sender.act(claim, self.context)
        except Exception as exc:
            outcome = exc
        async with session.begin():
            message = await repository.lock_for_processing(session, message_id, self.worker_id)
            if message is None:
                # The lease ran out meanwhile; whoever holds it now finds the claim and will not resend.
                return None
            error = await sender.record(session, message, claim, outcome, self.context)
            if error is None:
                _mark_done(message, registration)
        return error

    async def _record_failure(self, message_id: uuid.UUID, error: str) -> None:
        async with self.maker() as session, session.begin():
            message = await repository.lock_for_processing(session, message_id, self.worker_id)
            if message is None:
                return
            message.attempts += 1
            message.last_error = error
            message.locked_until = None
            event_type = message.event_type
            registration = self.registry.get(message.event_type)
            budget = _budget(registration, self.settings)
            if message.attempts >= budget:
                message.status = "dead"
                if registration is not None and registration.scrub_keys:
                    # Dead letters keep no secrets (sign-in codes) nor message contents.
                    message.payload = {
                        k: v for k, v in message.payload.items() if k not in registration.scrub_keys
                    }
                log.error("outbox.dead_letter", id=str(message_id), event_type=message.event_type)
            else:
                message.status = "pending"
                message.available_at = utcnow() + timedelta(seconds=backoff_seconds(message.attempts))
            dead = message.status == "dead"
        # Counted once committed: a failure that could not be recorded comes back and is counted then.
        OUTBOX_FAILURES.labels(event_type).inc()
        if dead:
            OUTBOX_DEAD.labels(event_type).inc()


def _handled(message_id: uuid.UUID, event_type: str) -> None:
    OUTBOX_HANDLED.labels(event_type).inc()
    log.info("outbox.handled", id=str(message_id), event_type=event_type)


def _budget(registration: Registration | None, settings: Settings) -> int:
    if registration is None:
        return settings.outbox_max_attempts
    try:
        return registration.attempts_budget(settings)
    except Exception:  # a broken budget must not keep the failure from being recorded
        log.exception("outbox.budget_failed")
        return settings.outbox_max_attempts


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid").removeprefix("pid:[").removesuffix("]")
    except OSError:
        return "-"


# The identities of the relays made by this process (tests and tools may run several side by side).
_LIVE_HERE: set[str] = set()


def worker_identity() -> str:
    """host:pid-namespace:pid:random. The first three let a later process on the same host tell
    that the holder of a lease is gone; the random part tells two lives of one pid apart."""
    host = socket.gethostname()[:24].replace(":", "-")
    identity = f"{host}:{_pid_namespace()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    _LIVE_HERE.add(identity)
    return identity


def _is_dead(holder: str) -> bool:
    """True when `holder` names a process of this host and pid namespace that no longer runs."""
    parts = holder.rsplit(":", 3)
    if len(parts) != 4 or not parts[2].isdigit():
        return False
    host = socket.gethostname()[:24].replace(":", "-")
    if parts[0] != host or parts[1] != _pid_namespace() or parts[1] == "-":
        return False
    pid = int(parts[2])
    if pid == os.getpid():
        # This pid is ours now: the holder is gone unless it is a relay of this very process.
        return holder not in _LIVE_HERE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _mark_done(message: OutboxMessage, registration: Registration | None) -> None:
    if registration is not None and registration.scrub_keys:
        message.payload = {k: v for k, v in message.payload.items() if k not in registration.scrub_keys}
    message.status = "done"
    message.processed_at = utcnow()
    message.locked_until = None
    message.last_error = None
    message.attempts += 1


async def supervise(relay: Relay, stop: asyncio.Event) -> None:
    """Keeps an in-process worker running: if its loop ends or raises before `stop`, it is logged
    at error level and started again (after a pause that grows, so a loop that fails at once does
    not spin)."""
    pause = 1.0
    while not stop.is_set():
        started = time.monotonic()
        try:
            await relay.run_forever(stop)
        except Exception:
            log.exception("outbox.worker_crashed", worker=relay.worker_id)
        if stop.is_set():
            return
        log.error("outbox.worker_ended_unexpectedly", worker=relay.worker_id, restart_in=pause)
        await _sleep_or_stop(stop, pause)
        pause = 1.0 if time.monotonic() - started > 60 else min(pause * 2, 30.0)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> None:
    """Returns after `seconds`, or as soon as `stop` (or `wake`) is set."""
    waiters = [asyncio.ensure_future(e.wait()) for e in (stop, wake) if e is not None]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
