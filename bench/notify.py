#!/usr/bin/env python3
"""Benchmark of notification delivery on PostgreSQL, with real `congdan worker` processes.

    python bench/notify.py [--samples N] [--rate R] [--residents N] [--workers W] [--json OUT]

What it does, all against 127.0.0.1 only:
1. creates a fresh database `congdan_bench_<random>` and migrates it;
2. starts a local HTTP SMS gateway (aiohttp) that notes when each message reaches it, and W
   `congdan worker` processes whose SMS channel points at it;
3. submits N anonymous reports that left a phone number (their "received" and "assigned" SMS are
   sent and waited for before measuring);
4. measured, interleaved in random order at R events per second (Poisson arrivals):
   - N status changes (assigned → in_progress, through the reports service): the time from the
     commit to the moment the gateway receives the SMS "… đang được xử lý" for that report;
   - N bare outbox round-trips (the reference): an event with no handler, from its commit to the
     worker marking it done (`processed_at`);
5. alert fan-out: inserts `--residents` resident accounts subscribed to one ward (COPY), then sends
   an emergency alert to that ward through the announcements service and measures the time until
   every delivery is queued (inbox rows written, one SMS row each), and how many SMS reach the
   gateway within `--deliver-seconds`; the reference is a plain `INSERT … SELECT generate_series`
   of the same number of outbox rows in the same database;
6. prints a Markdown table, writes JSON with --json; workers stopped and the database dropped
   whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from alert_fanout import alert_fanout, wait_until
from harness import (
    REPO,
    Postgres,
    fresh_database,
    is_loopback,
    launch,
    machine,
    percentile,
    stop_server,
    throwaway_data_key,
    write_json,
)
from sqlalchemy import func, select

from congdan.config import Settings
from congdan.db import make_engine, make_sessionmaker

CODE = re.compile(r"[0-9A-Z]{5}-[0-9A-Z]{5}")


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


class Gateway:
    """The SMS provider: answers 200 at once and notes arrival times per tracking code."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.count = 0
        self.alert_count = 0
        self.last_arrival = 0.0
        self.url = ""
        self.runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        now = time.perf_counter()
        body = await request.json()
        self.count += 1
        self.last_arrival = now
        text = str(body.get("text", ""))
        if text.startswith("[Canh bao khan]"):
            self.alert_count += 1
        elif "dang duoc xu ly" in text:
            match = CODE.search(text)
            if match:
                self.arrivals.setdefault(match.group(0), now)
        return web.json_response({"status": "accepted"})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/sms", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/sms"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def start_workers(n: int, env: dict[str, str], log_dir: Path) -> list[subprocess.Popen[bytes]]:
    command = [sys.executable, "-c", "from congdan.cli import main; main()", "worker"]
    return [launch(command, env, log_dir / f"worker-{i}.log") for i in range(n)]


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        stop_server(proc)


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    pg = Postgres(args.pg_host, args.pg_port, args.pg_user)
    gateway = Gateway()
    procs: list[subprocess.Popen[bytes]] = []
    tmp = Path(tempfile.mkdtemp(prefix="congdan-bench-notify-"))
    async with fresh_database(pg) as name:
        db_url = pg.sqlalchemy_url(name)
        try:
            return await _measure(args, gateway, procs, tmp, db_url)
        finally:
            stop_workers(procs)
            await gateway.stop()


async def _measure(
    args: argparse.Namespace, gateway: Gateway, procs: list[subprocess.Popen[bytes]], tmp: Path, db_url: str
) -> dict[str, Any]:
    from congdan.areas.service import load_index
    from congdan.authz.policy import PUBLIC, Principal
    from congdan.integrations.storage import LocalStorage
    from congdan.migrate import upgrade
    from congdan.models import Account, OutboxMessage
    from congdan.outbox.service import emit
    from congdan.reports import lifecycle, submission
    from congdan.reports.context import Context
    from congdan.reports.schemas import ReportCreate, TransitionIn

    engine = None
    try:
        await gateway.start()
        data_key = os.environ.get("CONGDAN_DATA_KEY") or throwaway_data_key()
        settings = Settings(
            data_dir=tmp,
            database_url=db_url,
            secret_key="bench",
            data_key=data_key,
            sms_gateway_url=gateway.url,
            log_level="WARNING",
        )
        await upgrade(settings)
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO / "src"),
            "CONGDAN_DATA_DIR": str(tmp),
            "CONGDAN_DATABASE_URL": db_url,
            "CONGDAN_SECRET_KEY": "bench",
            "CONGDAN_DATA_KEY": data_key,
            "CONGDAN_SMS_GATEWAY_URL": gateway.url,
            "CONGDAN_LOG_LEVEL": "WARNING",
            "CONGDAN_ALERT_BATCH_SIZE": str(args.batch),
        }
        procs.extend(start_workers(args.workers, env, tmp))
        engine = make_engine(settings)
        maker = make_sessionmaker(engine)
        async with maker() as s:
            ctx = Context(settings=settings, areas=await load_index(s), storage=LocalStorage(tmp / "media"))
        async with maker() as s, s.begin():
            officer = Account(
                role="agency_officer", email="bench.officer@example.vn", agency_code="so_xay_dung"
            )
            coordinator = Account(role="coordinator", email="bench.coord@example.vn")
            s.add_all([officer, coordinator])
        officer_p = Principal(account_id=officer.id, role="agency_officer", agency_code="so_xay_dung")

        # Setup: reports whose authors left only a phone number.
        rng = random.Random(args.seed)
        report_ids: dict[str, uuid.UUID] = {}
        for n in range(args.samples):
            async with maker() as s, s.begin():
                report = await submission.submit(
                    s,
                    ctx,
                    PUBLIC,
                    ReportCreate(
                        category="road_damage",
                        description=f"Ổ gà số {n} trên đường Lê Lợi, xe máy dễ té.",
                        location={
                            "lat": 10.7725 + rng.uniform(-0.01, 0.01),
                            "long": 106.698 + rng.uniform(-0.01, 0.01),
                        },
                        contact={"phone": f"09{n:08d}"},
                    ),
                )
            report_ids[report.tracking_code] = report.id

        async def setup_done() -> bool:
            return gateway.count >= 2 * args.samples

        if not await wait_until(setup_done, limit_s=300):
            raise RuntimeError(f"setup SMS did not all arrive: {gateway.count}")
        await asyncio.sleep(1.0)

        # Measured: status changes and bare round-trips, interleaved.
        plan = [("status", code) for code in report_ids] + [("ping", str(i)) for i in range(args.samples)]
        rng.shuffle(plan)
        committed: dict[str, float] = {}
        ping_commits: dict[uuid.UUID, datetime] = {}
        started = time.perf_counter()
        for kind, key in plan:
            await asyncio.sleep(rng.expovariate(args.rate))
            async with maker() as s:
                async with s.begin():
                    if kind == "status":
                        await lifecycle.transition(
                            s,
                            ctx,
                            officer_p,
                            report_ids[key],
                            TransitionIn(to="in_progress"),  # type: ignore[arg-type]
                        )
                    else:
                        row = emit(s, "bench.ping", aggregate_type="bench", aggregate_id=key, payload={})
                        await s.flush()
                        row_id = row.id
                if kind == "status":
                    committed[key] = time.perf_counter()
                else:
                    ping_commits[row_id] = datetime.now(UTC)
        send_window = time.perf_counter() - started

        async def all_arrived() -> bool:
            async with maker() as s:
                done = await s.scalar(
                    select(func.count()).where(
                        OutboxMessage.event_type == "bench.ping", OutboxMessage.status == "done"
                    )
                )
            return len(gateway.arrivals) >= len(committed) and (done or 0) >= len(ping_commits)

        await wait_until(all_arrived, limit_s=120, step=0.2)
        notify_latency = [gateway.arrivals[c] - t for c, t in committed.items() if c in gateway.arrivals]
        async with maker() as s:
            stmt = select(OutboxMessage.id, OutboxMessage.processed_at).where(
                OutboxMessage.event_type == "bench.ping"
            )
            rows = (await s.execute(stmt)).all()
        ping_latency = [
            (processed - ping_commits[rid]).total_seconds()
            for rid, processed in rows
            if processed is not None
        ]

        # Alert fan-out to many residents of one ward.
        alert: dict[str, Any] = {}
        if args.residents > 0:
            alert = await alert_fanout(args, gateway, maker, db_url, coordinator.id, settings.keyring)

        within_10s = sum(1 for v in notify_latency if v <= 10.0) / max(len(notify_latency), 1)
        return {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "workers": args.workers,
            "poll_seconds": settings.outbox_poll_seconds,
            "samples": args.samples,
            "rate_per_s": args.rate,
            "send_window_s": round(send_window, 1),
            "notify": {
                "n": len(notify_latency),
                "p50_ms": ms(percentile(notify_latency, 0.5)),
                "p95_ms": ms(percentile(notify_latency, 0.95)),
                "max_ms": ms(max(notify_latency, default=None) if notify_latency else None),
                "within_10s": round(within_10s, 4),
            },
            "reference_outbox": {
                "n": len(ping_latency),
                "p50_ms": ms(percentile(ping_latency, 0.5)),
                "p95_ms": ms(percentile(ping_latency, 0.95)),
            },
            "alert": alert,
        }
    finally:
        if engine is not None:
            await engine.dispose()


def table(result: dict[str, Any]) -> str:
    n, ref, alert = result["notify"], result["reference_outbox"], result["alert"]

    def ratio(a: float | None, b: float | None) -> str:
        return f"{a / b:.1f}×" if a is not None and b else "—"

    lines = [
        "| measure | p50 | p95 | vs bare outbox round-trip |",
        "|---|---|---|---|",
        f"| status change → SMS at the gateway (n={n['n']}) | {n['p50_ms']} ms | {n['p95_ms']} ms "
        f"| {ratio(n['p50_ms'], ref['p50_ms'])} / {ratio(n['p95_ms'], ref['p95_ms'])} |",
        f"| bare outbox round-trip, reference (n={ref['n']}) | {ref['p50_ms']} ms "
        f"| {ref['p95_ms']} ms | 1× |",
        "",
        f"Handed to the provider within 10 s: {n['within_10s']:.2%}.",
    ]
    if alert:
        lines += [
            "",
            "| alert fan-out | value |",
            "|---|---|",
            f"| residents in the ward | {alert['residents']} (batch {alert['batch']}) |",
            f"| every delivery queued (inbox rows + SMS rows) | {alert['fanout_s']} s |",
            f"| reference: INSERT … SELECT of {alert['residents']} outbox rows "
            f"| {alert['reference_insert_s']} s |",
            f"| first SMS at the gateway | {alert['first_sms_s']} s |",
            f"| SMS at the gateway when the fan-out ended | {alert['sms_at_fanout_end']} |",
            f"| SMS at the gateway by the end of the run | {alert['sms_delivered']} |",
            f"| SMS per second after the fan-out | {alert['sms_per_s_after_fanout']} |",
            f"| all SMS handed over | {alert['all_delivered_s']} s |",
        ]
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Notification latency and alert fan-out against a bare outbox round-trip."
    )
    p.add_argument("--samples", type=int, default=200, help="status changes (and as many reference events)")
    p.add_argument("--rate", type=float, default=10.0, help="events per second, Poisson arrivals")
    p.add_argument("--residents", type=int, default=100_000, help="alert audience (0 skips the fan-out)")
    p.add_argument("--batch", type=int, default=500, help="CONGDAN_ALERT_BATCH_SIZE for the workers")
    p.add_argument("--workers", type=int, default=1, help="`congdan worker` processes")
    p.add_argument("--fanout-timeout", type=float, default=900.0)
    p.add_argument(
        "--deliver-seconds", type=float, default=60.0, help="how long to count alert SMS after the fan-out"
    )
    p.add_argument("--json", type=Path, default=None, metavar="OUT")
    p.add_argument("--pg-host", default="127.0.0.1")
    p.add_argument("--pg-port", type=int, default=5432)
    p.add_argument("--pg-user", default="postgres")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    if not is_loopback(args.pg_host):
        p.error("loopback only")
    return args


def main() -> None:
    args = parse_args()
    result = asyncio.run(bench(args))
    print(table(result))
    write_json(args.json, result)


if __name__ == "__main__":
    main()
