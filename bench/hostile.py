#!/usr/bin/env python3
"""Hostile bodies against a real server process: JSON floods and decompression strips.

    python bench/hostile.py [--floods N] [--uploads N] [--json OUT]

Starts `congdan serve` on a fresh SQLite data folder, then measures, each against the same run's
reference (a /healthz round trip on the idle server):
  * N concurrent POST /api/v1/reports of 5.9 MB with 500,000 unknown keys, and the largest body the
    JSON limit lets through (64 KiB of unknown keys under `contact`, 100 at most per object): the
    time to answer, the size of the answer, the slowest /healthz asked meanwhile;
  * N concurrent uploads of a 95 KB PNG that decodes to 1×49,000,000 pixels plus N of a 36-megapixel
    photo: answers, the slowest /healthz meanwhile, and the growth of the server's peak memory (VmHWM).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from PIL import Image


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _healthz_while(client: httpx.AsyncClient, work: asyncio.Future[Any]) -> float:
    slowest = 0.0
    while not work.done():
        start = time.perf_counter()
        await client.get("/healthz")
        slowest = max(slowest, time.perf_counter() - start)
        await asyncio.sleep(0.02)
    return slowest


async def _measure(client: httpx.AsyncClient, requests: list[Any]) -> dict[str, Any]:
    start = time.perf_counter()
    work = asyncio.ensure_future(asyncio.gather(*requests))
    slowest = await _healthz_while(client, work)
    answers = await work
    return {
        "seconds": round(time.perf_counter() - start, 3),
        "statuses": sorted({r.status_code for r in answers}),
        "largest_answer_bytes": max(len(r.content) for r in answers),
        "slowest_healthz_ms": round(slowest * 1000, 1),
    }


async def run(url: str, pid: int, floods: int, uploads: int) -> dict[str, Any]:
    base = {"category": "road_damage", "description": "Ổ gà", "location": {"lat": 10.77, "long": 106.7}}
    big = json.dumps({**base, **{f"k{i}": 0 for i in range(500_000)}}).encode()
    nested = {f"k{i}": 0 for i in range(100)}
    # The most work a body within the limits can ask: 100 keys an object, 64 KiB in all.
    fitting = json.dumps({**base, "contact": nested} | {f"o{j}": nested for j in range(60)}).encode()
    strip, photo = io.BytesIO(), io.BytesIO()
    Image.new("1", (1, 49_000_000)).save(strip, format="PNG", optimize=True)
    Image.new("L", (6000, 6000), 128).save(photo, format="PNG")
    headers = {"content-type": "application/json"}
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=url, timeout=300, trust_env=False) as client:
        idle = []
        for _ in range(50):
            start = time.perf_counter()
            await client.get("/healthz")
            idle.append(time.perf_counter() - start)
        out["reference_idle_healthz_ms"] = round(sorted(idle)[len(idle) // 2] * 1000, 2)
        out["json_5_9_mb_500k_keys"] = await _measure(
            client, [client.post("/api/v1/reports", content=big, headers=headers) for _ in range(floods)]
        )
        fits = [client.post("/api/v1/reports", content=fitting, headers=headers) for _ in range(floods)]
        out["json_largest_allowed"] = {"body_bytes": len(fitting)} | await _measure(client, fits)
        before = _peak_mib(pid)
        files = [("a.png", strip.getvalue())] * uploads + [("b.png", photo.getvalue())] * uploads
        out["uploads"] = await _measure(
            client,
            [client.post("/api/v1/uploads", files={"file": (n, d, "image/png")}) for n, d in files],
        )
        out["uploads"]["peak_rss_before_mib"] = round(before)
        out["uploads"]["peak_rss_growth_mib"] = round(_peak_mib(pid) - before)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--floods", type=int, default=8)
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    script = shutil.which("congdan", path=str(Path(sys.executable).parent)) or "congdan"
    with tempfile.TemporaryDirectory() as tmp:
        port = _port()
        env = os.environ | {
            "CONGDAN_DATA_DIR": tmp,
            "CONGDAN_RATE_LIMITS_ENABLED": "false",
            "CONGDAN_LOG_LEVEL": "WARNING",
            "CONGDAN_SECRET_KEY": "bench-secret",
        }
        env.pop("CONGDAN_DATABASE_URL", None)
        proc = subprocess.Popen(
            [script, "serve", "--no-worker", "--port", str(port)], env=env, stdout=subprocess.DEVNULL
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/healthz", timeout=1, trust_env=False).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            result = asyncio.run(run(url, proc.pid, args.floods, args.uploads))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    result["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
