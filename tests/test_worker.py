"""The worker never dies of one message, is restarted if it stops anyway, reports itself in
/readyz, and hands back at once the rows of a process that died."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan import wiring
from congdan.app import create_app
from congdan.config import Settings
from congdan.db import utcnow
from congdan.models import OutboxMessage
from congdan.outbox import relay as relay_module
from congdan.outbox.registry import HandlerContext, Registry
from congdan.outbox.relay import Relay, supervise, worker_identity
from congdan.outbox.service import emit
from congdan.wiring import HandlersUnavailable
from congdan.wiring import build_registry as build
from tests.conftest import make_relay
from tests.fresh_db import cli_env

CALLS: list[str] = []
EVENT = "test.worker"


async def handler(session: AsyncSession, message: OutboxMessage, ctx: HandlerContext) -> None:
    """A test-only event whose handler raises, imports a missing module or sleeps on demand."""
    CALLS.append(str(message.id))
    how = message.payload.get("fail")
    if how == "raise":
        raise RuntimeError("provider down")
    if how == "import":
        import congdan_module_that_is_not_installed  # type: ignore[import-not-found]  # noqa: F401
    if how == "sleep":
        await asyncio.sleep(float(message.payload["seconds"]))  # type: ignore[arg-type]


def _register(registry: Registry) -> None:
    registry.handles(EVENT)(handler)


@pytest.fixture(autouse=True)
def _handler(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every registry this test builds (a server's, a worker's) knows the test event too."""
    CALLS.clear()
    build = wiring.build_registry

    def build_with_test_event() -> Registry:
        registry = build()
        _register(registry)
        return registry

    monkeypatch.setattr(wiring, "build_registry", build_with_test_event)


async def _emit(
    maker: async_sessionmaker[AsyncSession], aggregate: str = "1", **payload: object
) -> uuid.UUID:
    async with maker() as s, s.begin():
        message = emit(s, EVENT, aggregate_type="test", aggregate_id=aggregate, payload=dict(payload))
        await s.flush()
        return message.id


async def _row(maker: async_sessionmaker[AsyncSession], message_id: uuid.UUID) -> OutboxMessage:
    async with maker() as s:
        row = await s.get(OutboxMessage, message_id)
        assert row is not None
        return row


async def _until(predicate: Any, within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def _done(maker: async_sessionmaker[AsyncSession], message_id: uuid.UUID) -> bool:
    return (await _row(maker, message_id)).status == "done"


@pytest_asyncio.fixture
async def running(
    maker: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[tuple[Relay, asyncio.Task[None]]]:
    """A worker loop running in the background, polling fast."""
    relay = make_relay(maker, settings.model_copy(update={"outbox_poll_seconds": 0.05}))
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run_forever(stop))
    yield relay, task
    stop.set()
    await asyncio.wait_for(task, 10)


@pytest.mark.parametrize("how", ["raise", "import"])
async def test_a_failing_handler_is_recorded_and_later_messages_are_delivered(
    running: tuple[Relay, asyncio.Task[None]], maker: async_sessionmaker[AsyncSession], how: str
) -> None:
    bad = await _emit(maker, aggregate="bad", fail=how)
    await _until(lambda: _failed_once(maker, bad))
    row = await _row(maker, bad)
    assert row.status == "pending" and row.attempts == 1 and row.available_at > utcnow()
    expected = "RuntimeError" if how == "raise" else "ModuleNotFoundError"
    assert row.last_error is not None and row.last_error.startswith(expected)
    good = await _emit(maker, aggregate="good")
    await _until(lambda: _done(maker, good))
    assert not running[1].done()


async def _failed_once(maker: async_sessionmaker[AsyncSession], message_id: uuid.UUID) -> bool:
    return (await _row(maker, message_id)).attempts >= 1


async def test_a_failure_path_that_raises_leaves_the_row_to_its_lease_and_the_loop_goes_on(
    maker: async_sessionmaker[AsyncSession], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = {"outbox_poll_seconds": 0.05, "outbox_lease_seconds": 0.6}
    relay = make_relay(maker, settings.model_copy(update=fast))
    original = relay._record_failure
    broken = {"left": 1}

    async def record_failure(message_id: uuid.UUID, error: str) -> None:
        if broken["left"]:
            broken["left"] -= 1
            raise RuntimeError("bookkeeping broke")
        await original(message_id, error)

    monkeypatch.setattr(relay, "_record_failure", record_failure)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run_forever(stop))
    try:
        bad = await _emit(maker, aggregate="bad", fail="raise")
        good = await _emit(maker, aggregate="good")
        await _until(lambda: _done(maker, good))
        # The failure that could not be recorded comes back when its lease runs out, and is recorded.
        await _until(lambda: _failed_once(maker, bad))
        assert (await _row(maker, bad)).last_error == "RuntimeError: provider down"
        assert not task.done()
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def test_a_round_that_raises_does_not_end_the_loop(
    maker: async_sessionmaker[AsyncSession], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    relay = make_relay(maker, settings.model_copy(update={"outbox_poll_seconds": 0.05}))
    original = relay.run_once
    rounds = {"n": 0}

    async def run_once() -> int:
        rounds["n"] += 1
        if rounds["n"] == 1:
            raise KeyError("bug in the relay's own bookkeeping")
        return await original()

    monkeypatch.setattr(relay, "run_once", run_once)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run_forever(stop))
    try:
        message = await _emit(maker)
        await _until(lambda: _done(maker, message))
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def test_the_in_process_worker_is_restarted_when_its_loop_ends(
    settings: Settings, maker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Relay.run_forever
    ended = {"n": 0}

    async def ends_once(self: Relay, stop: asyncio.Event) -> None:
        if ended["n"] == 0:
            ended["n"] += 1  # returns at once, as a loop that broke out would
            return
        await original(self, stop)

    monkeypatch.setattr(Relay, "run_forever", ends_once)
    with structlog.testing.capture_logs() as logs:
        application = create_app(settings.model_copy(update={"outbox_poll_seconds": 0.05}), run_worker=True)
        async with application.router.lifespan_context(application):
            await _until(lambda: _true(ended["n"] == 1))
            message = await _emit(application.state.sessionmaker)
            await _until(lambda: _done(application.state.sessionmaker, message))
    events = [entry for entry in logs if entry["event"] == "outbox.worker_ended_unexpectedly"]
    assert events and events[0]["log_level"] == "error"


async def _true(value: bool) -> bool:
    return value


async def test_supervise_restarts_a_loop_that_raises(
    maker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    relay = make_relay(maker, settings.model_copy(update={"outbox_poll_seconds": 0.05}))
    original = relay.run_forever
    crashes = {"n": 0}

    async def crashes_once(stop: asyncio.Event) -> None:
        if crashes["n"] == 0:
            crashes["n"] += 1
            raise RuntimeError("the loop itself broke")
        await original(stop)

    relay.run_forever = crashes_once  # type: ignore[method-assign]
    stop = asyncio.Event()
    task = asyncio.create_task(supervise(relay, stop))
    try:
        message = await _emit(maker)
        await _until(lambda: _done(maker, message))
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def test_a_missing_handler_module_stops_start_up_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "congdan.privacy.tasks", None)
    with pytest.raises(HandlersUnavailable, match=r"congdan\.privacy\.tasks"):
        build()


def test_serve_and_worker_refuse_to_start_without_a_runtime_dependency(tmp_path: Path) -> None:
    """A package that is not installed (here httpx, shadowed by one that fails to import) stops
    `congdan serve` and `congdan worker` at once, naming it, instead of failing at the first message."""
    shadow = tmp_path / "shadow" / "httpx"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'httpx'\", name='httpx')\n", encoding="utf-8"
    )
    settings = Settings(data_dir=tmp_path / "data", secret_key="test-secret-key")
    env = cli_env(settings) | {"PYTHONPATH": str(tmp_path / "shadow")}
    congdan = Path(sys.executable).with_name("congdan")
    for args in (["worker"], ["serve", "--port", "1"]):
        result = subprocess.run(
            [str(congdan), *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 1, result.stderr
        assert "missing module httpx" in result.stderr and "Traceback" not in result.stderr


async def test_the_worker_command_exits_non_zero_when_its_loop_ends(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    from typer.testing import CliRunner

    from congdan.cli import app as cli

    async def ends(self: Relay, stop: asyncio.Event) -> None:
        return None

    async def crashes(self: Relay, stop: asyncio.Event) -> None:
        raise RuntimeError("boom")

    env = {
        "CONGDAN_DATA_DIR": str(settings.data_dir),
        "CONGDAN_DATABASE_URL": settings.resolved_database_url,
        "CONGDAN_SECRET_KEY": "test-secret-key",
        "CONGDAN_DATA_KEY": settings.data_key or "",
    }
    for loop in (ends, crashes):
        monkeypatch.setattr(Relay, "run_forever", loop)
        # CliRunner runs the command in this thread; the command's asyncio.run needs a loop of its own.
        result = await asyncio.to_thread(CliRunner().invoke, cli, ["worker"], env=env)
        assert result.exit_code == 1, result.output
        assert "worker" in result.output


async def test_a_long_handler_keeps_its_row_while_another_worker_polls(
    maker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    short = settings.model_copy(update={"outbox_lease_seconds": 0.3, "outbox_poll_seconds": 0.05})
    message = await _emit(maker, fail="sleep", seconds=1.2)
    first, second = make_relay(maker, short), make_relay(maker, short)
    working = asyncio.create_task(first.run_once())
    await _until(lambda: _held_by(maker, message, first.worker_id))
    stop = asyncio.Event()
    other = asyncio.create_task(second.run_forever(stop))
    try:
        assert await asyncio.wait_for(working, 10) == 1
    finally:
        stop.set()
        await asyncio.wait_for(other, 10)
    assert [str(message)] == CALLS
    assert (await _row(maker, message)).status == "done"


async def _held_by(maker: async_sessionmaker[AsyncSession], message_id: uuid.UUID, worker: str) -> bool:
    return (await _row(maker, message_id)).locked_by == worker


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


async def _lease(maker: async_sessionmaker[AsyncSession], message_id: uuid.UUID, holder: str) -> None:
    async with maker() as s, s.begin():
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status="processing", locked_by=holder, locked_until=utcnow() + timedelta(minutes=5))
        )


async def test_a_starting_worker_takes_back_at_once_the_rows_of_dead_processes_of_its_host(
    maker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    host, namespace, _pid, _ = worker_identity().split(":")
    dead = await _emit(maker, aggregate="dead")
    alive = await _emit(maker, aggregate="alive")
    elsewhere = await _emit(maker, aggregate="elsewhere")
    await _lease(maker, dead, f"{host}:{namespace}:{_dead_pid()}:0badc0de")
    await _lease(maker, alive, f"{host}:{namespace}:{os.getppid()}:0badc0de")  # a live process
    await _lease(maker, elsewhere, f"another-host:{namespace}:{_dead_pid()}:0badc0de")
    relay = make_relay(maker, settings)
    assert await relay.drain() == 1
    row = await _row(maker, dead)
    assert row.status == "done" and row.attempts == 2  # the interrupted try counts
    async with maker() as s:
        still = set((await s.scalars(select(OutboxMessage.status).where(
            OutboxMessage.id.in_([alive, elsewhere])
        ))).all())
    assert still == {"processing"}


async def test_readyz_reports_the_worker_and_fails_when_it_is_stuck(
    settings: Settings, maker: async_sessionmaker[AsyncSession]
) -> None:
    fast = {"outbox_poll_seconds": 0.05, "worker_stall_seconds": 2.0}
    application = create_app(settings.model_copy(update=fast), run_worker=True)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            relay: Relay = application.state.relay
            await _until(lambda: _true(relay.last_round_at is not None))
            # A working worker finishes a round every poll; on a machine busy enough to starve the loop
            # for longer than the stall window once, the next round makes it ready again.
            answer = await _readyz_until(client, 200)
            worker = answer.json()["worker"]
            assert worker["mode"] == "in_process" and "stalled" not in worker
            assert worker["seconds_since_last_round"] is not None and worker["last_round_at"]
            assert worker["due"] >= 0

            # A loop that hangs inside a round: no round completes, and readiness says so.
            hang = asyncio.Event()

            async def hangs() -> int:
                await hang.wait()
                return 0

            relay.run_once = hangs  # type: ignore[method-assign]
            message = await _emit(application.state.sessionmaker)
            await _until(lambda: _stuck(client))
            answer = await client.get("/readyz")
            assert answer.status_code == 503
            body = answer.json()
            assert body["worker"]["stalled"] is True and body["worker"]["due"] >= 1
            assert body["worker"]["oldest_due_seconds"] is not None
            hang.set()
            del relay.run_once
            await _until(lambda: _done(application.state.sessionmaker, message))
            assert (await client.get("/readyz")).status_code == 200


async def _readyz_until(client: httpx.AsyncClient, status: int, within: float = 20.0) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + within
    while (answer := await client.get("/readyz")).status_code != status:
        assert asyncio.get_running_loop().time() < deadline, answer.text
        await asyncio.sleep(0.05)
    return answer


async def _stuck(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 503


async def test_readyz_of_a_server_without_a_worker_reports_the_backlog(client: httpx.AsyncClient) -> None:
    answer = await client.get("/readyz")
    assert answer.status_code == 200
    worker = answer.json()["worker"]
    assert worker["mode"] == "separate" and "due" in worker and "oldest_due_seconds" in worker


def test_identities_are_unique_and_name_this_process() -> None:
    one, two = worker_identity(), worker_identity()
    assert one != two and one.split(":")[2] == str(os.getpid())
    assert not relay_module._is_dead(one)
