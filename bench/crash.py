#!/usr/bin/env python3
"""Crash harness: nothing acknowledged is lost, nothing is stored twice, the outbox drains.

    python bench/crash.py [--short] [--clients N] [--kills K] [--interval S] [--json OUT]

Against 127.0.0.1 only, in order:
1. creates a fresh PostgreSQL database `congdan_crash_<random>` and a data dir;
2. starts a real `congdan serve` (with its in-process outbox worker) on a free port;
3. N clients submit reports, each with its own Idempotency-Key, and retry the same request on
   timeouts, connection errors, 409 (key in progress) and 5xx until they get a 201;
4. K times: SIGKILL the server in mid-load, start it again, time until /readyz answers;
5. once: stops PostgreSQL for a few seconds and starts it again (pg_ctlcluster), while a probe
   measures that requests fail fast with 503, and how long until reports are accepted again;
6. stops the load, waits for the outbox to drain, then checks in the database that every
   acknowledged (201) report exists exactly once, under the id the client was given, with its
   `report.submitted` outbox row delivered, and that no request was stored twice;
7. fails as well on any 5xx other than 503, and on anything but 503 while the database is down.

Exits 1 when any check fails. The server and the database are cleaned up whatever happens.
Rate limits are off for the run (one address sends everything); idempotency locks last 10 s
so that a request cut by a kill can be retried soon.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
from crash_checks import unfinished_rows, verify, wait_drain, wait_rows_done
from harness import (
    CENTRE_LAT,
    CENTRE_LONG,
    REPO,
    Postgres,
    fresh_database,
    launch,
    machine,
    serve,
    stop_server,
    throwaway_data_key,
    wait_ready,
    write_json,
)

ADMIN_URL = os.environ.get("CONGDAN_CRASH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PROBLEMS = (
    "Ổ gà lớn giữa làn xe máy",
    "Nắp hố ga bị vỡ, rất nguy hiểm",
    "Rác thải chất đống trên vỉa hè",
    "Đèn đường không sáng cả tuần nay",
)


@dataclass
class Figures:
    attempts: int = 0
    acknowledged: dict[str, str] = field(default_factory=dict)  # key -> report id
    replayed: int = 0
    retried_requests: int = 0
    gave_up: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    ack_times: list[float] = field(default_factory=list)
    kill_recoveries: list[float] = field(default_factory=list)
    kill_times: list[float] = field(default_factory=list)
    db_down_probes: list[tuple[int | None, float]] = field(default_factory=list)
    db_down_seconds: float = 0.0
    db_recovery_ready: float | None = None
    db_recovery_first_201: float | None = None
    drain_seconds: float | None = None
    kill_drain_seconds: float | None = None
    kill_backlog_seconds: float | None = None
    kill_held: int = 0
    kill_backlog: int = 0

    def count(self, status: int | str) -> None:
        self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1


_DATA_KEY = throwaway_data_key()


class Server:
    """`congdan serve` with its in-process worker, killed and started again on the same port, for
    the clients keep their address. The first start chooses the port (see harness.serve)."""

    def __init__(self, database_url: str, data_dir: Path, log: Path) -> None:
        self.log = log
        self.env = os.environ | {
            "PYTHONPATH": str(REPO / "src"),
            "CONGDAN_DATABASE_URL": database_url,
            "CONGDAN_DATA_DIR": str(data_dir),
            "CONGDAN_SECRET_KEY": "crash-harness-secret",
            # One key for the whole run: restarts must open what earlier lives sealed.
            "CONGDAN_DATA_KEY": os.environ.get("CONGDAN_DATA_KEY") or _DATA_KEY,
            "CONGDAN_RATE_LIMITS_ENABLED": "false",
            "CONGDAN_IDEMPOTENCY_LOCK_SECONDS": "10",
            "CONGDAN_OUTBOX_POLL_SECONDS": "0.2",
            "CONGDAN_LOG_LEVEL": "WARNING",
        }
        self.command = [sys.executable, "-c", "from congdan.cli import main; main()", "serve"]
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        served = await serve(self.command, self.env, self.log, limit_s=120, step=0.05)
        self.proc, self.port, self.command = served.proc, served.port, served.command

    def restart(self) -> None:
        self.proc = launch(self.command, self.env, self.log)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None:
            stop_server(self.proc)

    async def wait_ready(self, limit: float = 60.0) -> float:
        """Seconds until /readyz says the database is reachable."""
        assert self.proc is not None
        return await wait_ready(self.base, self.proc, self.log, limit, step=0.05)


def pg_cluster(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
        check=True,
        capture_output=True,
    )


async def wait_pg(limit: float = 60.0) -> None:
    start = time.monotonic()
    while time.monotonic() - start < limit:
        try:
            conn = await asyncpg.connect(ADMIN_URL, timeout=1)
        except (OSError, asyncpg.PostgresError):
            await asyncio.sleep(0.1)
            continue
        await conn.close()
        return
    raise RuntimeError("PostgreSQL did not come back")


def report_body(key: str) -> dict[str, Any]:
    rng = random.Random(key)
    return {
        "category": "road_damage",
        "description": f"{rng.choice(PROBLEMS)} [{key}]",
        "location": {
            "lat": CENTRE_LAT + rng.uniform(-0.01, 0.01),
            "long": CENTRE_LONG + rng.uniform(-0.01, 0.01),
        },
    }


async def client_loop(
    index: int, base: str, stop: asyncio.Event, figures: Figures, retry_window: float
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(5.0, connect=1.0)) as http:
        while not stop.is_set():
            key = f"crash-{index}-{uuid.uuid4()}"
            body = report_body(key)
            first_try = time.monotonic()
            tries = 0
            while True:
                tries += 1
                figures.attempts += 1
                status: int | None
                try:
                    r = await http.post("/api/v1/reports", json=body, headers={"Idempotency-Key": key})
                    status = r.status_code
                except httpx.HTTPError:
                    status = None
                figures.count(status if status is not None else "connection error/timeout")
                if status == 201:
                    report_id = r.json()["id"]
                    previous = figures.acknowledged.setdefault(key, report_id)
                    if previous != report_id:
                        raise AssertionError(f"{key}: acknowledged as {previous} and then {report_id}")
                    if r.headers.get("Idempotent-Replayed") == "true":
                        figures.replayed += 1
                    figures.ack_times.append(time.monotonic())
                    break
                if status is not None and status < 500 and status not in (409, 429):
                    raise AssertionError(f"{key}: unexpected {status} {r.text[:300]}")
                if time.monotonic() - first_try > retry_window:
                    figures.gave_up.append(key)
                    break
                await asyncio.sleep(min(0.1 * 2 ** min(tries, 4), 1.0) * random.uniform(0.5, 1.0))
            if tries > 1:
                figures.retried_requests += 1


async def probe_while_db_down(base: str, stop: asyncio.Event, figures: Figures) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=10.0) as http:
        while not stop.is_set():
            start = time.monotonic()
            try:
                status: int | None = (await http.get("/api/v1/reports?limit=1")).status_code
            except httpx.HTTPError:
                status = None
            figures.db_down_probes.append((status, time.monotonic() - start))
            await asyncio.sleep(0.1)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    admin = urlsplit(ADMIN_URL)
    pg = Postgres(admin.hostname or "127.0.0.1", admin.port or 5432, admin.username or "postgres")
    tmp = Path(tempfile.mkdtemp(prefix="congdan-crash-"))
    log = tmp / "server.log"
    figures = Figures()
    stop = asyncio.Event()
    started = time.monotonic()
    async with fresh_database(pg, "congdan_crash") as name:
        database_url = pg.sqlalchemy_url(name)
        server = Server(database_url, tmp / "data", log)
        try:
            checks = await _disrupt(args, server, database_url, figures, stop)
        finally:
            stop.set()
            server.stop()
            with contextlib.suppress(RuntimeError):
                await wait_pg(30)  # dropping the database needs it back

    down_probes = [(s, t) for s, t in figures.db_down_probes if s != 200]
    latencies = [t for _s, t in down_probes]
    return {
        "machine": machine(),
        "clients": args.clients,
        "seconds": round(time.monotonic() - started, 1),
        "requests_sent": figures.attempts,
        "statuses": figures.statuses,
        "acknowledged": len(figures.acknowledged),
        "acknowledged_by_replay": figures.replayed,
        "requests_that_needed_retries": figures.retried_requests,
        "gave_up": len(figures.gave_up),
        "kills_survived": len(figures.kill_recoveries),
        "kill_to_ready_seconds": [round(x, 2) for x in figures.kill_recoveries],
        "db_down_seconds": round(figures.db_down_seconds, 2),
        "db_down_probe_statuses": sorted({str(s) for s, _t in down_probes}),
        "db_down_probe_count": len(down_probes),
        "db_down_probe_max_seconds": round(max(latencies), 3) if latencies else None,
        "db_down_probe_median_seconds": round(statistics.median(latencies), 3) if latencies else None,
        "db_up_to_ready_seconds": round(figures.db_recovery_ready or 0, 2),
        "db_up_to_first_201_seconds": (
            round(figures.db_recovery_first_201, 2) if figures.db_recovery_first_201 is not None else None
        ),
        "outbox_drain_seconds": round(figures.drain_seconds or 0, 2),
        "last_kill_rows_held": figures.kill_held,
        "last_kill_to_held_rows_done_seconds": round(figures.kill_drain_seconds or 0, 2),
        "last_kill_rows_queued": figures.kill_backlog,
        "last_kill_to_queued_rows_done_seconds": round(figures.kill_backlog_seconds or 0, 2),
        **checks,
        "server_log": str(log),
    }


async def _disrupt(
    args: argparse.Namespace, server: Server, database_url: str, figures: Figures, stop: asyncio.Event
) -> dict[str, Any]:
    """The load, the kills and the PostgreSQL restart; then the checks on what the database holds."""
    await server.start()
    base = server.base
    clients = [
        asyncio.create_task(client_loop(i, base, stop, figures, args.retry_window))
        for i in range(args.clients)
    ]
    for _ in range(args.kills):
        await asyncio.sleep(args.interval * random.uniform(0.7, 1.3))
        figures.kill_times.append(time.monotonic())
        server.kill()
        held = await unfinished_rows(database_url, "processing")
        backlog = await unfinished_rows(database_url, "pending")
        server.restart()
        figures.kill_recoveries.append(await server.wait_ready())
    # The rows the last killed process held (leased): how soon are they done? And the rows that
    # were only waiting in the queue, which measure how far the worker was behind the load.
    killed_at = figures.kill_times[-1]
    figures.kill_held = len(held)
    figures.kill_backlog = len(backlog)
    figures.kill_drain_seconds = await wait_rows_done(database_url, held, killed_at)
    figures.kill_backlog_seconds = await wait_rows_done(database_url, backlog, killed_at, limit=600)

    await asyncio.sleep(args.interval)
    probe_stop = asyncio.Event()
    probe = asyncio.create_task(probe_while_db_down(base, probe_stop, figures))
    down = time.monotonic()
    pg_cluster("stop")
    await asyncio.sleep(args.db_down)
    pg_cluster("start")
    up = time.monotonic()
    figures.db_down_seconds = up - down
    await wait_pg()
    probe_stop.set()
    await probe
    await server.wait_ready()
    figures.db_recovery_ready = time.monotonic() - up
    await asyncio.sleep(args.interval)
    later = [t for t in figures.ack_times if t > up]
    figures.db_recovery_first_201 = (min(later) - up) if later else None

    stop.set()
    await asyncio.gather(*clients)
    figures.drain_seconds = await wait_drain(database_url)
    return await verify(database_url, figures.acknowledged)


def failures(result: dict[str, Any]) -> list[str]:
    problems = []
    for name in ("missing", "wrong_id", "duplicated", "without_outbox_row", "outbox_not_done"):
        if result[name]:
            problems.append(f"{name}: {result[name][:5]}")
    if result["gave_up"]:
        problems.append(f"{result['gave_up']} requests never acknowledged")
    if result["kills_survived"] < 1 or result["acknowledged"] == 0:
        problems.append("nothing was tested")
    if result["db_down_probe_count"] == 0 or set(result["db_down_probe_statuses"]) != {"503"}:
        problems.append(
            f"while the database was down: {result['db_down_probe_statuses']} (expected only 503)"
        )
    server_errors = {k: v for k, v in result["statuses"].items() if k.startswith("5") and k != "503"}
    if server_errors:
        problems.append(f"server errors other than 503: {server_errors} (see {result['server_log']})")
    if result["last_kill_to_held_rows_done_seconds"] > result["max_kill_drain_seconds"]:
        problems.append(
            f"the rows the last killed server held took {result['last_kill_to_held_rows_done_seconds']} s "
            f"(at most {result['max_kill_drain_seconds']} s)"
        )
    if result["db_up_to_first_201_seconds"] is None:
        problems.append("no report accepted after the database came back")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--short", action="store_true", help="about a minute, for CI")
    parser.add_argument("--clients", type=int)
    parser.add_argument("--kills", type=int)
    parser.add_argument("--interval", type=float, help="seconds of load between disruptions")
    parser.add_argument("--db-down", type=float, default=3.0, help="seconds PostgreSQL stays stopped")
    parser.add_argument("--retry-window", type=float, default=60.0, help="how long a client keeps retrying")
    parser.add_argument(
        "--max-kill-drain",
        type=float,
        default=10.0,
        help="seconds from the last kill until the rows that server held are handled",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    defaults = (
        {"clients": 4, "kills": 3, "interval": 4.0}
        if args.short
        else {"clients": 16, "kills": 6, "interval": 15.0}
    )
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    result = asyncio.run(run(args))
    result["max_kill_drain_seconds"] = args.max_kill_drain
    problems = failures(result)
    result["failures"] = problems
    print(json.dumps(result, indent=1, ensure_ascii=False))
    write_json(args.json, result)
    if problems:
        print("CRASH HARNESS FAILED:\n- " + "\n- ".join(problems), file=sys.stderr)
        sys.exit(1)
    print(
        f"OK: {result['acknowledged']} acknowledged, all found exactly once; "
        f"{result['kills_survived']} kills survived; PostgreSQL restarted once.",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
