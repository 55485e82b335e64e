"""`congdan serve --workers N`: several real processes on one socket, read through /proc. On
PostgreSQL only (SQLite is refused, which is tested on both)."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.cli.prefork import Supervisor, listening_socket
from congdan.config import Settings
from congdan.models import OutboxMessage
from tests.conftest import report_body
from tests.live_server import ServerProcess, congdan_script, congdan_serve
from tests.servers import SmtpServer

on_postgres = pytest.mark.skipif(
    not os.environ.get("CONGDAN_TEST_DATABASE_URL"), reason="several server processes need PostgreSQL"
)


def _children(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is `pid`."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name, in brackets, may hold spaces: the fields after it are fixed.
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if int(parent) == pid and state != "Z":
            found.add(int(entry.name))
    return found


def _until(check: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.05)


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _accepted_by(children: set[int], server_port: int, client_port: int) -> int | None:
    """The child holding the server's end of the connection from `client_port`."""
    wanted = (f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}")
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if (fields[1], fields[2]) == wanted:
            return next((pid for pid in children if fields[9] in _socket_inodes(pid)), None)
    return None


def _connect_to(server: ServerProcess, children: set[int]) -> tuple[http.client.HTTPConnection, int | None]:
    """A new connection, and the child the kernel handed it to (None if none took it in time)."""
    port = int(server.url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    client_port = conn.sock.getsockname()[1]
    deadline = time.monotonic() + 10
    while (taker := _accepted_by(children, port, client_port)) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    return conn, taker


def _submit_on_each_child(server: ServerProcess, children: set[int]) -> dict[int, str]:
    """A report with an email contact submitted through each child (new connections, until the
    kernel has handed one to each): child pid → the contact address."""
    served: dict[int, str] = {}
    for attempt in range(200):
        conn, taker = _connect_to(server, children)
        if taker is not None and taker not in served:
            address = f"nguoi.gui.{attempt}@example.vn"
            body = json.dumps(report_body(contact={"email": address}))
            conn.request("POST", "/api/v1/reports", body, {"Content-Type": "application/json"})
            answer = conn.getresponse()
            assert answer.status == 201, answer.read()
            served[taker] = address
        conn.close()
        if set(served) == children:
            return served
    raise AssertionError(f"connections reached only {len(served)} of the children")


def _reports_posted(server: ServerProcess) -> float:
    scraped = httpx.get(f"{server.url}/metrics", timeout=10, trust_env=False)
    assert scraped.status_code == 200, scraped.text
    return sum(
        sample.value
        for family in text_string_to_metric_families(scraped.text)
        for sample in family.samples
        if sample.name == "congdan_http_requests_total"
        and sample.labels == {"method": "POST", "route": "/api/v1/reports", "status": "201"}
    )


def _until_serving(server: ServerProcess, child: int) -> None:
    """Until `child` has answered a request on a connection the kernel handed to it. A child that
    has just been started takes its connections only once its startup (database, classifier, the
    collector's pass before freezing) is over, which takes seconds on a loaded machine."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        conn, taker = _connect_to(server, _children(server.pid))
        if taker == child:
            conn.request("GET", "/healthz")
            assert conn.getresponse().status == 200
            conn.close()
            return
        conn.close()
    raise AssertionError("the child never answered")


def _kill_and_keep_answering(server: ServerProcess, victim: int, survivors: set[int]) -> int:
    """Kills `victim`; asks /healthz on new connections until a replacement runs; returns it."""
    os.kill(victim, signal.SIGKILL)
    # A connection the victim took before the signal landed dies with it: ask once it is gone.
    _until(lambda: victim not in _children(server.pid))
    answered = 0
    failed: list[str] = []
    with httpx.Client(base_url=server.url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as c:
        deadline = time.monotonic() + 60
        while answered < 3 or not (_children(server.pid) - survivors - {victim}):
            assert time.monotonic() < deadline, "no replacement child started"
            try:
                status = c.get("/healthz").status_code
            except httpx.HTTPError as exc:
                failed.append(repr(exc))
                continue
            if status == 200:
                answered += 1
            else:
                failed.append(str(status))
    assert failed == []
    (replacement,) = _children(server.pid) - survivors
    return replacement


async def _outbox_when_drained(maker: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    deadline = time.monotonic() + 60
    while True:
        async with maker() as s:
            rows = list((await s.scalars(select(OutboxMessage))).all())
        if rows and all(row.status == "done" for row in rows):
            return rows
        assert time.monotonic() < deadline, [(row.event_type, row.status) for row in rows]
        await asyncio.sleep(0.1)


def _stop_and_check(server: ServerProcess) -> None:
    """SIGTERM to the parent: it exits 0 once every child has."""
    last = _children(server.pid)
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=40) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in last)


@on_postgres
async def test_two_children_serve_one_worker_delivers_and_sigterm_stops_them(
    settings: Settings,
    maker: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    with congdan_serve(
        settings,
        tmp_path / "server.log",
        worker=True,
        workers=2,
        CONGDAN_SMTP_HOST=smtp_server.host,
        CONGDAN_SMTP_PORT=str(smtp_server.port),
        CONGDAN_SMTP_STARTTLS="false",
        # Only a NOTIFY (or a commit in the worker's own process) wakes the worker within the test.
        CONGDAN_OUTBOX_POLL_SECONDS="600",
    ) as server:
        _until(lambda: len(_children(server.pid)) == 2)
        children = _children(server.pid)

        tracking = _submit_on_each_child(server, children)
        # /metrics adds up every child's figures, whichever child answers the scrape.
        for _ in range(6):
            assert _reports_posted(server) == 2
        # Each reporter hears of the submission (and of the routing that follows it).
        addresses = set(tracking.values())
        _until(lambda: {str(m["To"]) for m in smtp_server.box.messages} == addresses)
        rows = await _outbox_when_drained(maker)
        # One worker took every row, whichever child committed it: a child of this server.
        holders = {row.locked_by for row in rows}
        assert len(holders) == 1
        worker_pid = int(str(holders.pop()).split(":")[2])
        assert worker_pid in children and set(tracking) == children

        first, second = sorted(children)
        replacement = _kill_and_keep_answering(server, first, {second})
        # The replacement serves too, and then alone once the other original child is gone.
        _until_serving(server, replacement)
        _kill_and_keep_answering(server, second, {replacement})
        assert len(_children(server.pid)) == 2

        _stop_and_check(server)
    assert "Traceback" not in server.log_text()
    assert "without CONGDAN_REDIS_URL each process keeps its own rate limits" in server.log_text()


def test_sqlite_refuses_several_workers(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONGDAN_")}
    env["CONGDAN_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        [congdan_script(), "serve", "--workers", "2", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "--workers above 1 needs PostgreSQL" in done.stderr
    assert not (tmp_path / "data" / "congdan.sqlite3").exists()


def test_children_that_keep_dying_are_restarted_then_the_server_gives_up(tmp_path: Path) -> None:
    starts = tmp_path / "starts"

    def child(index: int) -> int:
        with starts.open("a") as out:
            out.write(f"{index}\n")
        return 3

    supervisor = Supervisor(2, child, max_deaths=2, first_pause_s=0.01)
    assert supervisor.run() == 1
    lines = starts.read_text().split()
    # A slot gives up on its third death in a row: started once and restarted twice.
    assert max(lines.count("0"), lines.count("1")) == 3
    assert all(slot.pid is None for slot in supervisor.slots)


async def test_connections_on_the_shared_socket_send_small_answers_at_once() -> None:
    """asyncio sets TCP_NODELAY on the connections of a listening socket that says it is TCP."""
    sock = listening_socket("127.0.0.1", 0)
    received: list[bool] = []
    done = asyncio.Event()

    async def accepted(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = writer.get_extra_info("socket")
        received.append(bool(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))
        done.set()
        writer.close()

    server = await asyncio.start_server(accepted, sock=sock)
    async with server:
        _reader, writer = await asyncio.open_connection(*sock.getsockname())
        await asyncio.wait_for(done.wait(), 30)
        writer.close()
    assert received == [True]


def _alive(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


def test_children_stop_when_their_parent_is_killed(tmp_path: Path) -> None:
    started = tmp_path / "started"

    def child(index: int) -> int:
        with started.open("a") as out:
            out.write(f"{os.getpid()}\n")
        while True:  # serving until told to stop (SIGTERM's default action ends it)
            time.sleep(1)

    parent = os.fork()
    if parent == 0:
        try:
            Supervisor(2, child).run()
        finally:
            os._exit(0)
    try:
        _until(lambda: started.exists() and len(started.read_text().split()) == 2)
        children = {int(pid) for pid in started.read_text().split()}
        assert all(_alive(pid) for pid in children)
    finally:
        os.kill(parent, signal.SIGKILL)  # it cannot forward this one
        os.waitpid(parent, 0)
    _until(lambda: not any(_alive(pid) for pid in children))
