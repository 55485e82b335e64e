"""Load sent with wrk (Debian `wrk`): a Lua script that picks each request at random from a list
of (method, path, body) targets, and the run's figures read back as JSON. wrk is a C client, so on a
shared two-core machine the load generator costs the server little of its CPU."""

from __future__ import annotations

import asyncio
import json
import resource
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# (method, path, body, content type): the type defaults to JSON.
Target = tuple[str, str, str | None] | tuple[str, str, str | None, str]

LUA = """
local targets = {%(targets)s}
math.randomseed(%(seed)d)
request = function()
  local t = targets[math.random(#targets)]
  local headers = {["Content-Type"] = t[4] or "application/json", ["Accept"] = "application/json"}
  return wrk.format(t[1], t[2], headers, t[3])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%%d,"duration_us":%%d,"non_2xx":%%d,"socket_errors":%%d,' ..
    '"p50_us":%%d,"p99_us":%%d,"max_us":%%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def _long_string(text: str) -> str:
    if "]==]" in text:
        raise ValueError("a target cannot hold ]==]")
    return f"[==[{text}]==]"


def script(targets: list[Target], seed: int, path: Path) -> Path:
    """Writes the Lua script that sends `targets` in a random order fixed by `seed`."""
    rows = ", ".join(
        "{"
        + ", ".join(
            [_long_string(t[0]), _long_string(t[1]), _long_string(t[2]) if t[2] else "nil"]
            + ([_long_string(t[3])] if len(t) > 3 else [])
        )
        + "}"
        for t in targets
    )
    path.write_text(LUA % {"targets": rows, "seed": seed})
    return path


def open311_reads(ids: list[str]) -> dict[str, list[Target]]:
    """The read workloads both Open311 benches send: the `/healthz` floor, get by id (every seeded
    request in turn), and the list of 100 rows (every page in turn)."""
    pages = max(1, len(ids) // 100)
    return {
        "healthz": [("GET", "/healthz", None)],
        "get": [("GET", f"/open311/v2/requests/{i}.json", None) for i in ids],
        "list_100": [
            ("GET", f"/open311/v2/requests.json?page_size=100&page={p}", None) for p in range(1, pages + 1)
        ],
    }


@dataclass(frozen=True)
class Run:
    requests: int
    answered: int  # 2xx and 3xx
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    client_cpu_s: float  # wrk's own CPU time

    @property
    def rps(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def figures(self) -> dict[str, Any]:
        return {
            "rps": round(self.rps, 1),
            "requests": self.requests,
            "errors": self.errors,
            "latency_ms": {"p50": self.p50_ms, "p99": self.p99_ms, "max": self.max_ms},
            "wrk_cpu_ms_per_request": round(1000 * self.client_cpu_s / self.answered, 3)
            if self.answered
            else None,
        }


async def run(base_url: str, lua: Path, *, concurrency: int, duration: int) -> Run:
    """One wrk run of `duration` seconds with `concurrency` connections on one thread."""
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [
        "wrk",
        "-t1",
        f"-c{concurrency}",
        f"-d{duration}s",
        "--timeout",
        "30s",
        "-s",
        str(lua),
        base_url,
    ]
    done = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    out, _ = await done.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    last = out.decode().strip().splitlines()[-1] if out.strip() else ""
    if not last.startswith("{"):
        raise RuntimeError(f"wrk did not finish its run:\n{out.decode()}")
    f = json.loads(last)
    return Run(
        requests=f["requests"],
        answered=f["requests"] - f["non_2xx"],
        errors=f["non_2xx"] + f["socket_errors"],
        seconds=f["duration_us"] / 1e6,
        p50_ms=round(f["p50_us"] / 1000, 2),
        p99_ms=round(f["p99_us"] / 1000, 2),
        max_ms=round(f["max_us"] / 1000, 2),
        client_cpu_s=after.ru_utime + after.ru_stime - child.ru_utime - child.ru_stime,
    )
