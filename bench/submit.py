#!/usr/bin/env python3
"""Benchmark of report submission (POST /api/v1/reports) against a real server on PostgreSQL.

    python bench/submit.py [--duration S] [--concurrency N] [--json OUT]

What it does, in order, all against 127.0.0.1 only:
1. creates a fresh database `congdan_bench_<random>` and runs `congdan db upgrade` on it;
2. pgbench reference (round 1): single-row INSERT into a small table in that database;
3. starts `congdan serve --no-worker` on a free port and waits for /readyz;
4. floor: GET /healthz at the same concurrency (HTTP + framework, no database);
5. warm-up, then the measured run: N workers POST reports, each with a unique Idempotency-Key;
6. stops the server, reads rows and database counters per submission;
7. pgbench reference (round 2), so that drift of a noisy machine shows;
8. prints a Markdown table, writes JSON with --json; the server is stopped and the database
   dropped whatever happens.

Only 201 answers count as successes; latency percentiles are over successful submissions.
The figures mean something only next to the pgbench reference measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shlex
import shutil
import signal
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from harness import (
    PGBENCH_SCRIPT,
    Postgres,
    congdan_command,
    congdan_env,
    fresh_database,
    git_revision,
    is_loopback,
    loadavg,
    machine,
    pg_info,
    prepare_pgbench,
    run_pgbench,
    serve,
    stop_server,
    tail,
    upgrade_database,
    write_json,
)
from load import get_healthz, run_load, submit_report
from measure import COUNTERS, TABLES, CpuWindow, backend_pids, db_counters, row_counts
from profiling import profile_summary

PROFILED_SERVE = Path(__file__).resolve().with_name("profiled_serve.py")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark report submission against pgbench INSERT TPS.")
    parser.add_argument("--duration", type=int, default=20, help="measured seconds per phase (default 20)")
    parser.add_argument("--concurrency", type=int, default=16, help="HTTP workers and pgbench clients")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds, not counted (default 3)")
    parser.add_argument("--floor-duration", type=float, default=5.0, help="GET /healthz seconds (0 to skip)")
    parser.add_argument("--json", type=Path, default=None, metavar="OUT", help="write the figures as JSON")
    parser.add_argument("--pg-host", default="127.0.0.1", help="PostgreSQL host (loopback only)")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="PROF",
        help="profile the server over the measured window into PROF (slows it: rps not comparable)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for bodies and idempotency keys")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.concurrency < 1 or args.warmup < 0 or args.floor_duration < 0:
        parser.error("durations must be positive and concurrency at least 1")
    if not is_loopback(args.pg_host):
        parser.error("--pg-host must be a loopback address: this benchmark talks to 127.0.0.1 only")
    return args


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 4) if a is not None and b else None


async def bench(args: argparse.Namespace, command: str) -> dict[str, Any]:
    pg = Postgres(args.pg_host, args.pg_port, args.pg_user)
    started_at = datetime.now(UTC)
    commands: list[str] = []
    figures: dict[str, Any] = {
        "benchmark": "report submission: POST /api/v1/reports (anonymous, Idempotency-Key, JSON, no photo)",
        "started_at": started_at.isoformat(timespec="seconds"),
        "command": command,
    }
    tmp = Path(tempfile.mkdtemp(prefix="congdan-bench-"))
    proc = None
    try:
        async with fresh_database(pg) as database:
            figures["database"] = database
            # The whole load comes from one address; the per-client limits would refuse most of it.
            env = congdan_env(pg.sqlalchemy_url(database), tmp / "data", rate_limits_enabled="false")
            await upgrade_database(env, commands)
            script = await prepare_pgbench(pg, database, tmp)
            figures["machine"] = machine() | {"postgresql": await pg_info(pg, database)}
            figures["code"] = git_revision()

            print(f"pgbench round 1: {args.concurrency} clients, {args.duration} s …", file=sys.stderr)
            pgbench = [
                await asyncio.to_thread(
                    run_pgbench,
                    pg,
                    database,
                    script,
                    clients=args.concurrency,
                    duration=args.duration,
                    log=commands,
                )
            ]

            server = [*congdan_command(), "serve", "--no-worker"]
            if args.profile is not None:
                args.profile.parent.mkdir(parents=True, exist_ok=True)
                args.profile.unlink(missing_ok=True)
                server = [sys.executable, str(PROFILED_SERVE), str(args.profile.resolve()), *server[1:]]
            log_path = tmp / "server.log"
            counters_before = await db_counters(pg, database)
            served = await serve(server, env, log_path, limit_s=90)
            proc = served.proc
            commands.append(shlex.join(served.command))
            base_url, ready_s = served.base_url, served.ready_s
            print(f"server ready on {base_url} in {ready_s:.1f} s", file=sys.stderr)
            limits = httpx.Limits(
                max_connections=args.concurrency, max_keepalive_connections=args.concurrency
            )
            async with httpx.AsyncClient(
                base_url=base_url,
                timeout=httpx.Timeout(30.0),
                limits=limits,
                trust_env=False,
                headers={"Accept-Language": "vi"},
            ) as client:
                floor = None
                if args.floor_duration > 0:
                    print(f"floor: GET /healthz for {args.floor_duration:g} s …", file=sys.stderr)
                    floor = await run_load(
                        client,
                        "healthz",
                        get_healthz,
                        concurrency=args.concurrency,
                        duration=args.floor_duration,
                        seed=args.seed + 7,
                    )
                warm = None
                if args.warmup > 0:
                    print(f"warm-up: {args.warmup:g} s …", file=sys.stderr)
                    warm = await run_load(
                        client,
                        "warm-up",
                        submit_report,
                        concurrency=args.concurrency,
                        duration=args.warmup,
                        seed=args.seed + 13,
                    )
                print(f"submissions: {args.concurrency} workers, {args.duration} s …", file=sys.stderr)
                pids = await backend_pids(pg, database)
                if args.profile is not None:
                    proc.send_signal(signal.SIGUSR1)
                window = CpuWindow.start(proc.pid, pids)
                result = await run_load(
                    client,
                    "submit",
                    submit_report,
                    concurrency=args.concurrency,
                    duration=args.duration,
                    seed=args.seed,
                )
                cpu = window.finish(await backend_pids(pg, database), result.successes)
                if args.profile is not None:
                    proc.send_signal(signal.SIGUSR2)

            if proc.poll() is not None:
                raise RuntimeError(f"server died during the run ({proc.returncode}):\n{tail(log_path)}")
            if args.profile is not None:
                figures["profile"] = await asyncio.to_thread(profile_summary, args.profile, result.successes)
            stop_server(proc)
            counters_after = await db_counters(pg, database)
            rows = await row_counts(pg, database)

            print(f"pgbench round 2: {args.concurrency} clients, {args.duration} s …", file=sys.stderr)
            pgbench.append(
                await asyncio.to_thread(
                    run_pgbench,
                    pg,
                    database,
                    script,
                    clients=args.concurrency,
                    duration=args.duration,
                    log=[],
                )
            )

            submitted = result.successes + (warm.successes if warm else 0)
            attempts = sum(result.outcomes.values()) + (sum(warm.outcomes.values()) if warm else 0)
            tps = [round(r["tps"], 1) for r in pgbench]
            tps_mean = sum(tps) / len(tps)
            delta = {k: counters_after.get(k, 0) - counters_before.get(k, 0) for k in COUNTERS}
            figures.update(
                {
                    "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "loadavg_at_end": loadavg(),
                    "server_ready_s": round(ready_s, 2),
                    "submission": result.summary(),
                    "warmup": warm.summary() if warm else None,
                    "floor_healthz": floor.summary() if floor else None,
                    "pgbench_insert": {
                        "rounds": pgbench,
                        "tps": tps,
                        "tps_mean": round(tps_mean, 1),
                        "spread_pct": round(100 * (max(tps) - min(tps)) / tps_mean, 1) if tps_mean else None,
                        "script": PGBENCH_SCRIPT,
                    },
                    "ratio_submission_rps_to_pgbench_tps": ratio(result.rps, tps_mean),
                    "ratio_submission_rps_to_healthz_rps": ratio(result.rps, floor.rps if floor else None),
                    "cpu_during_submission": cpu,
                    "per_submission": {
                        "reports_in_database": rows["reports"],
                        "submissions_acknowledged_201": submitted,
                        "requests_sent": attempts,
                        "rows": {
                            k: round(v / rows["reports"], 2) if rows["reports"] else None
                            for k, v in rows.items()
                        },
                        "db_counters_per_request": {
                            k: round(v / attempts, 2) if attempts else None for k, v in delta.items()
                        },
                        "db_counters_note": (
                            "pg_stat_database deltas from server start to stop, divided by every request "
                            "sent (warm-up and measured; excludes /healthz and /readyz, which add a few); "
                            "xact_rollback is the pool's pre-ping (BEGIN; ';'; ROLLBACK) on each checkout"
                        ),
                    },
                    "commands": commands,
                }
            )
            return figures
    finally:
        if proc is not None:
            stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def markdown(f: dict[str, Any]) -> str:
    s, m, pgb = f["submission"], f["machine"], f["pgbench_insert"]
    lat = s["latency_ms"]
    cpu = f["cpu_during_submission"]
    per = f["per_submission"]
    floor = f.get("floor_healthz")

    def num(value: float | None, fmt: str = ".1f") -> str:
        return "–" if value is None else format(value, fmt)

    r = f["ratio_submission_rps_to_pgbench_tps"]
    inverse = 1 / r if r else math.nan
    errors = ", ".join(f"{k}: {v}" for k, v in s["errors"].items()) or "none"
    lines = [
        f"Run {f['started_at']} · {m['nproc']} × {m['cpu_model']} · {m['memory_gib']} GiB · "
        f"PostgreSQL {m['postgresql']['server_version']} · Python {m['python']}",
        f"`{f['command']}`",
        "",
        "| measure | value |",
        "|---|---|",
        f"| submissions/s (201 only, {s['concurrency']} workers, {s['elapsed_s']:.1f} s) "
        f"| **{s['rps']:.1f}** |",
        f"| successful submissions | {s['successes']} |",
        f"| errors | {s['error_count']} ({errors}) |",
        f"| latency p50 / p95 / p99 (ms) | {num(lat['p50'])} / {num(lat['p95'])} / {num(lat['p99'])} |",
        f"| latency mean / max (ms) | {num(lat['mean'])} / {num(lat['max'])} |",
        f"| pgbench single-row INSERT TPS, before / after | {' / '.join(num(t) for t in pgb['tps'])} |",
        f"| pgbench INSERT TPS, mean (spread) | **{pgb['tps_mean']:.1f}** ({num(pgb['spread_pct'])} %) |",
        "| **ratio** submissions/s ÷ pgbench INSERT TPS | "
        f"**{num(f['ratio_submission_rps_to_pgbench_tps'], '.4f')}** (≈ 1 per {inverse:.0f} INSERTs) |",
    ]
    if floor:
        lines.append(
            f"| GET /healthz req/s (no database), ratio to it | {floor['rps']:.1f}, "
            f"{num(f['ratio_submission_rps_to_healthz_rps'], '.3f')} |"
        )
    cs, cms = cpu["core_seconds"], cpu["cpu_ms_per_submission"]
    lines += [
        f"| machine busy during submissions | {num(cpu['machine_busy_pct'])} % of {cpu['cores']} cores |",
        f"| CPU ms per submission: server (Python) / PostgreSQL backends / bench client | "
        f"{num(cms['server_python'], '.2f')} / {num(cms['postgres_backends'], '.2f')} / "
        f"{num(cms['bench_client'], '.2f')} |",
        f"| core-seconds: everything else on the machine | {num(cs['everything_else'], '.2f')} |",
        "| rows per report: report / events / outbox / idempotency key | "
        + " / ".join(num(per["rows"][t], ".2f") for t in TABLES)
        + " |",
        "| per request: commits / rows inserted / updated / deleted | "
        + " / ".join(
            num(per["db_counters_per_request"][k], ".2f")
            for k in ("xact_commit", "tup_inserted", "tup_updated", "tup_deleted")
        )
        + " |",
    ]
    profile = f.get("profile")
    if profile and "self_time_pct_by_package" in profile:
        lines += [
            "",
            f"Server profiled with cProfile over the measured window ({profile['busy_s']:.1f} s busy); "
            "the rates above are slowed by it.",
            "",
            "| package (self time, idle epoll excluded) | % |",
            "|---|---|",
            *(f"| {k} | {v:.1f} |" for k, v in profile["self_time_pct_by_package"].items()),
            "",
            f"SQL per submission (SQLAlchemy events): {profile['sql_statements_per_submission']} statements",
            "",
            "| statement | per submission |",
            "|---|---|",
            *(f"| {k} | {v:.2f} |" for k, v in profile["sql_per_submission"].items()),
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "python " + shlex.join([os.path.relpath(sys.argv[0], Path.cwd()), *sys.argv[1:]])
    try:
        figures = asyncio.run(bench(args, command))
    except KeyboardInterrupt:
        print("interrupted; server stopped and database dropped", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    print(markdown(figures))
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
