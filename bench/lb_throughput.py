"""Throughput through the load balancer with three `serve` instances against one, in the same run.

Starts the reference topology (deploy/topology.py: HAProxy, three serve instances, two workers, a
PostgreSQL primary and its replica, Redis, the S3-compatible server) with the per-client rate
limits off, because every request here comes from one address. Seeds reports through the load
balancer, then, round by round, takes two instances out of HAProxy's rotation (its admin socket;
the processes keep running) or puts them back, and sends each workload at the same concurrency
through the load balancer: the `/healthz` floor, Open311 get-by-id, the Open311 list of 100 rows
and the JSON submission. The order of the two modes alternates between rounds so that drift on a
shared machine falls on both.

    python bench/lb_throughput.py                      # 3 rounds, 8 s a workload
    python bench/lb_throughput.py --rounds 1 --duration 4 --seed-reports 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy"))
import topology  # deploy/ is not a package
import wrk
from harness import machine
from load import report_body
from measure import process_cpu_s, system_cpu

ONE = ("serve0",)
ALL = tuple(f"serve{i}" for i in range(topology.SERVES))


def _workloads(ids: list[str]) -> dict[str, list[wrk.Target]]:
    """Each workload as (method, path, body) targets that wrk picks from at random."""
    rng = random.Random(11)
    return {
        **wrk.open311_reads(ids),
        "post": [
            ("POST", "/api/v1/reports", json.dumps(report_body(rng), ensure_ascii=False)) for _ in range(500)
        ],
    }


async def _seed(client: httpx.AsyncClient, count: int) -> list[str]:
    ids: list[str] = []
    rng = random.Random(7)
    bodies = [report_body(rng) for _ in range(count)]

    async def one(body: dict[str, Any]) -> None:
        r = await client.post("/api/v1/reports", json=body)
        r.raise_for_status()
        ids.append(str(r.json()["id"]))

    for start in range(0, count, 16):
        await asyncio.gather(*(one(b) for b in bodies[start : start + 16]))
    return ids


def _rotate(state: dict[str, Any], serving: tuple[str, ...]) -> None:
    for name in ALL:
        topology.set_in_rotation(state, name, name in serving)


async def _measure(
    lb: str, state: dict[str, Any], script: Path, concurrency: int, duration: int
) -> dict[str, Any]:
    pids = [state["pids"][n] for n in ALL]
    servers_before = sum(process_cpu_s(p) or 0.0 for p in pids)
    busy_before, total_before = system_cpu()
    done = await wrk.run(lb, script, concurrency=concurrency, duration=duration)
    busy, total = (a - b for a, b in zip(system_cpu(), (busy_before, total_before), strict=True))
    servers = sum(process_cpu_s(p) or 0.0 for p in pids) - servers_before
    return {
        **done.figures(),
        "machine_busy_pct": round(100 * busy / total, 1) if total else None,
        "serve_cpu_ms_per_request": round(1000 * servers / done.answered, 3) if done.answered else 0.0,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = {"CONGDAN_RATE_LIMITS_ENABLED": "false", "CONGDAN_LOG_LEVEL": "WARNING"}
    state: dict[str, Any] = topology.start(args.dir, args.base_port, settings)  # type: ignore[assignment]
    try:
        return await _exercise(state, args)
    finally:
        topology.stop(args.dir)


async def _exercise(state: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    lb = f"http://127.0.0.1:{state['ports']['lb']}"
    rounds: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=lb, timeout=30) as client:
        ids = await _seed(client, args.seed_reports)
    scripts = Path(state["root"]) / "wrk"
    scripts.mkdir()
    workloads = {
        name: wrk.script(targets, 17, scripts / f"{name}.lua") for name, targets in _workloads(ids).items()
    }
    # Each instance loads its classifier and caches on first use: that happens before measuring.
    _rotate(state, ALL)
    for script in workloads.values():
        await _measure(lb, state, script, args.concurrency, args.warmup)
    for number in range(args.rounds):
        modes = (("three", ALL), ("one", ONE))
        for mode, serving in modes if number % 2 == 0 else modes[::-1]:
            _rotate(state, serving)
            await asyncio.sleep(1.5)  # HAProxy's state change and the instances' idle connections
            for name, script in workloads.items():
                figures = await _measure(lb, state, script, args.concurrency, args.duration)
                rounds.append({"round": number, "mode": mode, "workload": name, **figures})
                print(json.dumps(rounds[-1], ensure_ascii=False), file=sys.stderr)
    _rotate(state, ALL)
    return {
        "machine": machine(),
        "settings": {
            "concurrency": args.concurrency,
            "duration_s": args.duration,
            "rounds": args.rounds,
            "seeded_reports": args.seed_reports,
            "instances": {"three": list(ALL), "one": list(ONE)},
            "client": "wrk, one thread, on the same machine",
        },
        "summary": _summary(rounds),
        "rounds": rounds,
    }


def _summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for workload in dict.fromkeys(r["workload"] for r in rounds):
        per_mode = {}
        for mode in ("three", "one"):
            mine = [r for r in rounds if r["workload"] == workload and r["mode"] == mode]
            per_mode[mode] = {
                "rps_median": round(statistics.median(r["rps"] for r in mine), 1),
                "p50_ms_median": round(statistics.median(r["latency_ms"]["p50"] for r in mine), 1),
                "p99_ms_median": round(statistics.median(r["latency_ms"]["p99"] for r in mine), 1),
                "machine_busy_pct_median": statistics.median(r["machine_busy_pct"] for r in mine),
                "errors": sum(r["errors"] for r in mine),
            }
        one = per_mode["one"]["rps_median"]
        per_mode["three_over_one"] = round(per_mode["three"]["rps_median"] / one, 2) if one else None
        summary[workload] = per_mode
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8, help="seconds a workload, each round")
    parser.add_argument("--warmup", type=int, default=4, help="seconds a workload, once, not counted")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed-reports", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/congdan-topology-throughput"))
    parser.add_argument("--base-port", type=int, default=19000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("this benchmark sends its load with wrk: apt-get install wrk")
    result = asyncio.run(run(args))
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(json.dumps(result["summary"], ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
