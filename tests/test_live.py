"""Live updates over server-sent events, against real uvicorn servers: in-process by default, and
across two server instances through Redis when CONGDAN_REDIS_URL is set."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from congdan.app import create_app
from congdan.config import Settings
from congdan.integrations.live import InProcessBroker, RedisBroker
from tests.conftest import Actors, report_body
from tests.servers import listening_socket, port_of

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


# The README's test command runs on a machine with only Python; CI starts Redis and runs these.
needs_redis = pytest.mark.skipif(not _redis_up(), reason=f"Redis not reachable at {REDIS_URL}")


@contextlib.asynccontextmanager
async def serve(settings: Settings, *, worker: bool) -> AsyncIterator[str]:
    app = create_app(settings.model_copy(update={"outbox_poll_seconds": 0.1}), run_worker=worker)
    sock = listening_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port_of(sock)}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
        sock.close()


class Stream:
    """Reads one SSE stream in the background, collecting its events."""

    def __init__(self, client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None) -> None:
        self.events: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self.status: int | None = None
        self.task = asyncio.create_task(self._read(client, url, headers or {}))

    async def _read(self, client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> None:
        async with client.stream("GET", url, headers=headers, timeout=None) as response:
            self.status = response.status_code
            if response.status_code != 200:
                await self.events.put(("error", await response.aread() and ""))
                return
            name, data = "message", []
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and data:
                    await self.events.put((name, "\n".join(data)))
                    name, data = "message", []

    async def next(self, name: str = "update") -> Any:
        async with asyncio.timeout(15):
            while True:
                got, data = await self.events.get()
                if got == "error":
                    raise AssertionError(f"stream answered {self.status}")
                if got == name:
                    return json.loads(data) if name == "update" else data

    async def until(self, wanted: Callable[[Any], bool], seconds: float = 30) -> Any:
        """The first update that `wanted` accepts, all of them within one deadline."""
        async with asyncio.timeout(seconds):
            while not wanted(update := await self.next()):
                pass
        return update

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def _sign_in(
    client: httpx.AsyncClient, actors: Actors, role: str, agency: str | None
) -> dict[str, str]:

    headers = await actors.staff(role, agency)  # created through the test app; sign in again here
    me = (await actors.client.get("/api/v1/me", headers=headers)).json()
    return await actors.logins[me["email"]].headers(client)


async def test_report_page_and_agency_queue_hear_changes(settings: Settings, actors: Actors) -> None:
    async with serve(settings, worker=True) as url, httpx.AsyncClient(base_url=url) as client:
        officer = await _sign_in(client, actors, "agency_officer", "so_xay_dung")
        queue = Stream(client, "/api/v1/agencies/so_xay_dung/queue/live", officer)
        await queue.next("ready")
        r = await client.post("/api/v1/reports", json=report_body())
        report = r.json()
        arrived = await queue.next()
        assert arrived["report_id"] == report["id"] and arrived["event"] == "report.submitted"

        page = Stream(client, f"/api/v1/reports/{report['id']}/live")  # public report: no sign-in
        await page.next("ready")
        moved = await client.post(
            f"/api/v1/reports/{report['id']}/transitions", json={"to": "in_progress"}, headers=officer
        )
        assert moved.status_code == 200
        update = await page.until(
            lambda u: u["event"] == "report.status_changed" and u["status"] == "in_progress"
        )
        assert update["tracking_code"] == report["tracking_code"]
        # The queue, which only staff hear, is told who made the change; the report's page is not.
        assert "actor" not in update and "actor" not in arrived  # a resident's report has no staff actor
        mine = await queue.until(
            lambda u: u["event"] == "report.status_changed" and u["status"] == "in_progress"
        )
        me = (await client.get("/api/v1/me", headers=officer)).json()
        assert mine["actor"] == me["id"]
        await page.close()
        await queue.close()


async def test_live_streams_check_who_is_listening(settings: Settings, actors: Actors) -> None:
    async with serve(settings, worker=False) as url, httpx.AsyncClient(base_url=url) as client:
        other = await _sign_in(client, actors, "agency_officer", "so_y_te")
        denied = await client.get("/api/v1/agencies/so_xay_dung/queue/live", headers=other)
        assert denied.status_code == 403 and denied.headers["content-type"] == "application/problem+json"
        assert (await client.get("/api/v1/agencies/so_xay_dung/queue/live")).status_code == 401
        private = await client.post("/api/v1/reports", json=report_body(visibility="private"))
        assert (await client.get(f"/api/v1/reports/{private.json()['id']}/live")).status_code == 404
        assert (await client.get(f"/api/v1/reports/{uuid.uuid4()}/live")).status_code == 404


@needs_redis
async def test_updates_cross_server_instances_through_redis(settings: Settings, actors: Actors) -> None:
    wired = settings.model_copy(update={"redis_url": REDIS_URL})
    # The page is open on instance A; the change is made, and handled, on instance B.
    async with (
        serve(wired, worker=False) as url_a,
        serve(wired, worker=True) as url_b,
        httpx.AsyncClient(base_url=url_a) as a,
        httpx.AsyncClient(base_url=url_b) as b,
    ):
        officer = await _sign_in(b, actors, "agency_officer", "so_xay_dung")
        report = (await b.post("/api/v1/reports", json=report_body())).json()
        page = Stream(a, f"/api/v1/reports/{report['id']}/live")
        await page.next("ready")
        await b.post(
            f"/api/v1/reports/{report['id']}/transitions", json={"to": "in_progress"}, headers=officer
        )
        update = await page.until(lambda u: u.get("status") == "in_progress")
        assert update["report_id"] == report["id"]
        await page.close()


@pytest.mark.parametrize("kind", ["memory", pytest.param("redis", marks=needs_redis)])
async def test_brokers_deliver_only_to_their_channel(kind: str) -> None:
    broker = InProcessBroker() if kind == "memory" else RedisBroker(REDIS_URL)
    channel = f"report:{uuid.uuid4()}"
    try:
        async with broker.listen([channel]) as messages:
            await broker.publish(f"report:{uuid.uuid4()}", "khác")
            await broker.publish(channel, "cập nhật")
            got = await asyncio.wait_for(anext(aiter(messages)), timeout=10)
        assert got == "cập nhật"
    finally:
        await broker.close()


@needs_redis
async def test_a_separate_worker_process_publishes_to_servers_through_redis(
    settings: Settings, actors: Actors
) -> None:
    """`congdan worker` as its own process, with no server in it: the page open on a server (which
    runs no worker) hears what that worker handled."""
    from tests.fresh_db import cli_env

    wired = settings.model_copy(update={"redis_url": REDIS_URL})
    env = cli_env(wired) | {"CONGDAN_REDIS_URL": REDIS_URL, "CONGDAN_OUTBOX_POLL_SECONDS": "0.1"}
    congdan = Path(sys.executable).with_name("congdan")
    worker = await asyncio.create_subprocess_exec(
        str(congdan), "worker", env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with serve(wired, worker=False) as url, httpx.AsyncClient(base_url=url) as client:
            officer = await _sign_in(client, actors, "agency_officer", "so_xay_dung")
            report = (await client.post("/api/v1/reports", json=report_body())).json()
            page = Stream(client, f"/api/v1/reports/{report['id']}/live")
            await page.next("ready")
            await client.post(
                f"/api/v1/reports/{report['id']}/transitions", json={"to": "in_progress"}, headers=officer
            )
            update = await page.next()
            while update.get("status") != "in_progress":
                update = await page.next()
            assert update["report_id"] == report["id"]
            await page.close()
    finally:
        worker.terminate()
        _out, err = await asyncio.wait_for(worker.communicate(), timeout=30)
    assert worker.returncode == 0, err.decode(errors="replace")[-2000:]


async def test_streams_accept_a_staff_browser_session(settings: Settings, actors: Actors) -> None:
    from tests.staff_support import page_sign_in

    async with serve(settings, worker=True) as url, httpx.AsyncClient(base_url=url) as browser:
        await actors.staff("agency_officer", "so_xay_dung")
        [login] = actors.logins.values()
        await page_sign_in(browser, login)  # the cookie is all the browser sends
        queue = Stream(browser, "/api/v1/agencies/so_xay_dung/queue/live")
        await queue.next("ready")
        r = await browser.post("/api/v1/reports", json=report_body())
        assert (await queue.next())["report_id"] == r.json()["id"]
        await queue.close()
        denied = await browser.get("/api/v1/agencies/so_y_te/queue/live")
        assert denied.status_code == 403
    async with serve(settings, worker=False) as url, httpx.AsyncClient(base_url=url) as stranger:
        assert (await stranger.get("/api/v1/agencies/so_xay_dung/queue/live")).status_code == 401
