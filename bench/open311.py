"""Open311 GeoReport v2 under load: POST, get by id, the list of 100 rows and the default list of
1,000, each at the same concurrency, next to the `/healthz` floor of the same server in the same run.

    python bench/open311.py --json bench/results/open311.json
    python bench/open311.py --workers 1 --rounds 1 --duration 4 --seed-reports 1000

A fresh PostgreSQL database is migrated and seeded with `--seed-reports` Open311 POSTs (an API key
made with `congdan apikey create`, rate limits off: every request comes from one address). Then for
each `--workers N` one `congdan serve --workers N` (its in-process outbox worker included) answers
wrk (Debian `wrk`, one thread, `--concurrency` connections), workload after workload, for
`--rounds` interleaved rounds. Reported per workload: requests per second, p50/p99 latency, and the
server's CPU milliseconds per request (the process and its children, read from /proc), with the
largest resident size of any server process at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import wrk
from harness import (
    Postgres,
    congdan_command,
    congdan_env,
    fresh_database,
    machine,
    pg_info,
    serve,
    stop_server,
    upgrade_database,
)
from load import report_body
from measure import server_cpu_s, server_rss_mib

FORM = "application/x-www-form-urlencoded"


def create_api_key(env: dict[str, str]) -> str:
    done = subprocess.run(
        [*congdan_command(), "apikey", "create", "--name", "bench-open311"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    for word in done.stdout.split():
        if word.startswith("cdk_"):
            return word
    raise RuntimeError(f"no API key in the answer:\n{done.stdout}{done.stderr}")


def form(key: str, rng: random.Random) -> str:
    body = report_body(rng)
    return urlencode(
        {
            "api_key": key,
            "service_code": body["category"],
            "description": body["description"],
            "lat": body["location"]["lat"],
            "long": body["location"]["long"],
        }
    )


async def seed(base_url: str, key: str, count: int) -> list[str]:
    rng = random.Random(7)
    bodies = [form(key, rng) for _ in range(count)]
    ids: list[str] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:

        async def one(body: str) -> None:
            r = await client.post("/open311/v2/requests.json", content=body, headers={"Content-Type": FORM})
            r.raise_for_status()
            ids.append(str(r.json()[0]["service_request_id"]))

        for start in range(0, count, 16):
            await asyncio.gather(*(one(b) for b in bodies[start : start + 16]))
    return ids


def workloads(ids: list[str], key: str) -> dict[str, list[wrk.Target]]:
    rng = random.Random(11)
    return {
        **wrk.open311_reads(ids),
        "list_1000": [("GET", "/open311/v2/requests.json", None)],
        "post": [("POST", "/open311/v2/requests.json", form(key, rng), FORM) for _ in range(500)],
    }


async def measure(
    args: argparse.Namespace, env: dict[str, str], folder: Path, processes: int, ids: list[str], key: str
) -> dict[str, Any]:
    served = await serve(
        [*congdan_command(), "serve", "--workers", str(processes)], env, folder / f"server-{processes}.log"
    )
    try:
        base = served.base_url
        scripts = {name: wrk.script(t, 17, folder / f"{name}.lua") for name, t in workloads(ids, key).items()}
        for lua in scripts.values():  # first use loads each process's caches and classifier
            await wrk.run(base, lua, concurrency=args.concurrency, duration=args.warmup)
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in scripts}
        for number in range(args.rounds):
            order = list(scripts) if number % 2 == 0 else list(scripts)[::-1]
            for name in order:
                before = server_cpu_s(served.proc.pid)
                done = await wrk.run(
                    base, scripts[name], concurrency=args.concurrency, duration=args.duration
                )
                cpu = server_cpu_s(served.proc.pid) - before
                figures = {
                    **done.figures(),
                    "server_cpu_ms_per_request": round(1000 * cpu / done.answered, 2)
                    if done.answered
                    else None,
                }
                rounds[name].append(figures)
                print(
                    json.dumps({"workers": processes, "round": number, "workload": name, **figures}),
                    file=sys.stderr,
                )
        rss = server_rss_mib(served.proc.pid)
    finally:
        stop_server(served.proc)
    return {
        "workloads": {name: summary(runs) for name, runs in rounds.items()},
        "rounds": rounds,
        "rss_mib": rss,
    }


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def median(pick: Any) -> float:
        return round(statistics.median(pick(r) for r in runs), 2)

    return {
        "rps_median": median(lambda r: r["rps"]),
        "p50_ms_median": median(lambda r: r["latency_ms"]["p50"]),
        "p99_ms_median": median(lambda r: r["latency_ms"]["p99"]),
        "server_cpu_ms_median": median(lambda r: r["server_cpu_ms_per_request"] or 0.0),
        "errors": sum(r["errors"] for r in runs),
    }


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    pg = Postgres(args.pg_host, args.pg_port, args.pg_user)
    async with fresh_database(pg) as name:
        folder = Path(tempfile.mkdtemp(prefix="congdan-bench-open311-"))
        env = congdan_env(pg.sqlalchemy_url(name), folder / "data", rate_limits_enabled="false")
        await upgrade_database(env)
        key = create_api_key(env)
        seeder = await serve([*congdan_command(), "serve", "--workers", "1"], env, folder / "seed.log")
        try:
            ids = await seed(seeder.base_url, key, args.seed_reports)
        finally:
            stop_server(seeder.proc)
        runs = {f"workers_{n}": await measure(args, env, folder, n, ids, key) for n in args.workers}
        return {
            "machine": machine(),
            "postgres": await pg_info(pg, name),
            "settings": {
                "concurrency": args.concurrency,
                "duration_s": args.duration,
                "rounds": args.rounds,
                "seeded_reports": args.seed_reports,
                "client": "wrk, one thread, on the same machine",
            },
            "results": runs,
        }


def table(result: dict[str, Any]) -> str:
    lines = [
        "| processes | workload | req/s | p50 ms | p99 ms | server CPU ms/request | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for run, figures in result["results"].items():
        for name, s in figures["workloads"].items():
            lines.append(
                f"| {run.split('_')[1]} | {name} | {s['rps_median']} | {s['p50_ms_median']} | "
                f"{s['p99_ms_median']} | {s['server_cpu_ms_median']} | {s['errors']} |"
            )
        lines.append(f"| {run.split('_')[1]} | RSS per process (MiB) | {figures['rss_mib']} | | | | |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=int, default=8, help="seconds a workload, each round")
    p.add_argument("--warmup", type=int, default=3, help="seconds a workload, once, not counted")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--seed-reports", type=int, default=10_000)
    p.add_argument("--json", type=Path)
    p.add_argument("--pg-host", default="127.0.0.1")
    p.add_argument("--pg-port", type=int, default=5432)
    p.add_argument("--pg-user", default="postgres")
    args = p.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("this benchmark sends its load with wrk: apt-get install wrk")
    result = asyncio.run(bench(args))
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
