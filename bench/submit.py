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
import contextlib
import ipaddress
import json
import math
import os
import platform
import pstats
import random
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx


def _throwaway_data_key() -> str:
    from congdan.kit.crypto import generate_key_entry

    return generate_key_entry()


REPO = Path(__file__).resolve().parents[1]
PROFILED_SERVE = Path(__file__).resolve().with_name("profiled_serve.py")
CENTRE_LAT, CENTRE_LONG = 10.7725, 106.6980  # Nhà hát Thành phố, central Ho Chi Minh City
RADIUS_M = 2000.0
CATEGORIES = ("road_damage", "road_damage", "flooding_drainage", "garbage", "street_lighting", "trees")
STREETS = (
    "Lê Lợi",
    "Nguyễn Huệ",
    "Đồng Khởi",
    "Hai Bà Trưng",
    "Pasteur",
    "Nam Kỳ Khởi Nghĩa",
    "Lý Tự Trọng",
    "Tôn Đức Thắng",
    "Nguyễn Thị Minh Khai",
    "Điện Biên Phủ",
    "Võ Văn Kiệt",
    "Trần Hưng Đạo",
)
PROBLEMS = (
    "Ổ gà lớn giữa làn xe máy",
    "Mặt đường bị sụp lún sau trận mưa",
    "Nắp hố ga bị vỡ, rất nguy hiểm",
    "Nước ngập tới nửa bánh xe",
    "Rác thải chất đống trên vỉa hè",
    "Đèn đường không sáng cả tuần nay",
    "Cây xanh nghiêng, có nguy cơ ngã",
    "Vết nứt dài trên mặt đường nhựa",
)
DETAILS = (
    "xe máy dễ té khi trời tối.",
    "người đi bộ phải đi xuống lòng đường.",
    "kẹt xe vào giờ cao điểm buổi sáng.",
    "đã kéo dài nhiều ngày mà chưa ai xử lý.",
    "gần trường học nên học sinh đi lại rất khó khăn.",
    "mong cơ quan chức năng sớm kiểm tra.",
)
PGBENCH_SCRIPT = (
    "\\set n random(1, 1000000)\n"
    "INSERT INTO bench_insert (payload) VALUES "
    "('Ổ gà lớn trước số ' || :n || ' đường Nguyễn Huệ, xe máy dễ té khi trời tối.');\n"
)


# ---------------------------------------------------------------------------------------------- load


@dataclass
class LoadResult:
    name: str
    concurrency: int
    elapsed_s: float = 0.0
    successes: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def errors(self) -> dict[str, int]:
        return {k: v for k, v in sorted(self.outcomes.items()) if not k.startswith("ok")}

    @property
    def rps(self) -> float:
        return self.successes / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        return {
            "concurrency": self.concurrency,
            "elapsed_s": round(self.elapsed_s, 3),
            "successes": self.successes,
            "errors": self.errors,
            "error_count": sum(self.errors.values()),
            "rps": round(self.rps, 2),
            "latency_ms": {
                "mean": round(sum(ordered) / len(ordered), 2) if ordered else None,
                **{f"p{int(q * 100)}": _round(percentile(ordered, q)) for q in (0.5, 0.95, 0.99)},
                "max": _round(ordered[-1] if ordered else None),
            },
        }


def percentile(ordered: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not ordered:
        return None
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


Request = Callable[[httpx.AsyncClient, random.Random], Awaitable[tuple[bool, str]]]


async def run_load(
    client: httpx.AsyncClient, name: str, request: Request, *, concurrency: int, duration: float, seed: int
) -> LoadResult:
    """N workers send requests back to back until the deadline; a request in flight at the deadline
    is finished and counted, and the elapsed time runs until the last one ends."""
    result = LoadResult(name=name, concurrency=concurrency)
    start = time.perf_counter()
    deadline = start + duration

    async def worker(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                ok, label = await request(client, rng)
            except (httpx.HTTPError, OSError) as exc:
                ok, label = False, type(exc).__name__
            latency = (time.perf_counter() - t0) * 1000
            result.outcomes[label] += 1
            if ok:
                result.successes += 1
                result.latencies_ms.append(latency)

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    result.elapsed_s = time.perf_counter() - start
    return result


def report_body(rng: random.Random) -> dict[str, Any]:
    """A report somewhere within RADIUS_M of the centre, uniform over the disc."""
    distance = RADIUS_M * math.sqrt(rng.random())
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / 111_320.0
    dlong = distance * math.sin(bearing) / (111_320.0 * math.cos(math.radians(CENTRE_LAT)))
    description = (
        f"{rng.choice(PROBLEMS)} trước số {rng.randint(1, 300)} đường {rng.choice(STREETS)}, "
        f"{rng.choice(DETAILS)}"
    )
    return {
        "category": rng.choice(CATEGORIES),
        "description": description,
        "location": {"lat": round(CENTRE_LAT + dlat, 6), "long": round(CENTRE_LONG + dlong, 6)},
    }


def outcome(response: httpx.Response, expected: int) -> tuple[bool, str]:
    ok = response.status_code == expected
    return ok, "ok" if ok else f"HTTP {response.status_code}"


async def submit_report(client: httpx.AsyncClient, rng: random.Random) -> tuple[bool, str]:
    key = str(uuid.UUID(int=rng.getrandbits(128)))
    response = await client.post("/api/v1/reports", json=report_body(rng), headers={"Idempotency-Key": key})
    return outcome(response, 201)


async def get_healthz(client: httpx.AsyncClient, rng: random.Random) -> tuple[bool, str]:
    return outcome(await client.get("/healthz"), 200)


# ------------------------------------------------------------------------------------------- machine


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def mem_total_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except (OSError, ValueError):
        return []


def git_revision() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        return {"commit": git("rev-parse", "HEAD"), "src_dirty": bool(git("status", "--porcelain", "src"))}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "src_dirty": None}


# ----------------------------------------------------------------------------------- CPU accounting

CLK_TCK = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float | None:
    """utime + stime of one process, in seconds."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def system_cpu() -> tuple[float, float]:
    """(busy, total) jiffies over all cores since boot."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return float(total - idle), float(total)


@dataclass
class CpuWindow:
    server_pid: int
    backend_pids: list[int]
    wall: float = 0.0
    server: float | None = 0.0
    client: float = 0.0
    backends: dict[int, float] = field(default_factory=dict)
    system: tuple[float, float] = (0.0, 0.0)

    @classmethod
    def start(cls, server_pid: int, backend_pids: list[int]) -> CpuWindow:
        window = cls(server_pid, backend_pids)
        window.wall = time.perf_counter()
        window.server = process_cpu_s(server_pid)
        window.client = time.process_time()
        window.backends = {pid: process_cpu_s(pid) or 0.0 for pid in backend_pids}
        window.system = system_cpu()
        return window

    def finish(self, backend_pids: list[int], successes: int) -> dict[str, Any]:
        wall = time.perf_counter() - self.wall
        server_end = process_cpu_s(self.server_pid)
        server = server_end - self.server if server_end is not None and self.server is not None else None
        client = time.process_time() - self.client
        backends = 0.0
        for pid in set(backend_pids) | set(self.backends):
            end = process_cpu_s(pid)
            if end is not None:
                backends += end - self.backends.get(pid, 0.0)
        busy_end, total_end = system_cpu()
        busy, total = busy_end - self.system[0], total_end - self.system[1]
        cores = os.cpu_count() or 1
        system_busy_core_s = busy / total * cores * wall if total > 0 else 0.0

        def per(seconds: float | None) -> float | None:
            return round(seconds / successes * 1000, 3) if seconds is not None and successes else None

        return {
            "wall_s": round(wall, 3),
            "cores": cores,
            "machine_busy_pct": round(100 * busy / total, 1) if total > 0 else None,
            "core_seconds": {
                "server_python": _round(server, 3),
                "postgres_backends": round(backends, 3),
                "bench_client": round(client, 3),
                "everything_else": _round(system_busy_core_s - (server or 0.0) - backends - client, 3),
            },
            "cpu_ms_per_submission": {
                "server_python": per(server),
                "postgres_backends": per(backends),
                "bench_client": per(client),
            },
        }


# ------------------------------------------------------------------------------------------ postgres


@dataclass
class Postgres:
    host: str
    port: int
    user: str

    async def connect(self, database: str) -> asyncpg.Connection:
        return await asyncpg.connect(
            host=self.host, port=self.port, user=self.user, database=database, timeout=10, command_timeout=60
        )

    async def admin(self, sql: str) -> None:
        conn = await self.connect("postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def sqlalchemy_url(self, database: str) -> str:
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{database}"


async def pg_info(pg: Postgres, database: str) -> dict[str, Any]:
    conn = await pg.connect(database)
    try:
        version = await conn.fetchval("SHOW server_version")
        settings = {
            name: await conn.fetchval(f"SHOW {name}")
            for name in ("shared_buffers", "synchronous_commit", "fsync", "max_connections", "wal_level")
        }
    finally:
        await conn.close()
    return {"server_version": version, "settings": settings}


async def backend_pids(pg: Postgres, database: str, exclude_application: str = "congdan-bench") -> list[int]:
    conn = await pg.connect(database)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() "
            "AND coalesce(application_name, '') <> $2",
            database,
            exclude_application,
        )
    finally:
        await conn.close()
    return [int(r["pid"]) for r in rows]


TABLES = ("reports", "report_events", "outbox", "idempotency_keys")
COUNTERS = ("xact_commit", "xact_rollback", "tup_inserted", "tup_updated", "tup_deleted", "tup_fetched")


async def db_counters(pg: Postgres, database: str) -> dict[str, int]:
    conn = await pg.connect(database)
    try:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        row = await conn.fetchrow(
            f"SELECT {', '.join(COUNTERS)} FROM pg_stat_database WHERE datname = $1", database
        )
    finally:
        await conn.close()
    return {name: int(row[name]) for name in COUNTERS} if row else {}


async def row_counts(pg: Postgres, database: str) -> dict[str, int]:
    conn = await pg.connect(database)
    try:
        counts = {}
        for table in TABLES:
            counts[table] = int(await conn.fetchval(f'SELECT count(*) FROM "{table}"'))
    finally:
        await conn.close()
    return counts


def run_pgbench(
    pg: Postgres, database: str, script: Path, *, clients: int, duration: int, log: list[str]
) -> dict[str, Any]:
    cmd = [
        shutil.which("pgbench") or "pgbench",
        "-h",
        pg.host,
        "-p",
        str(pg.port),
        "-U",
        pg.user,
        "-n",
        "-c",
        str(clients),
        "-j",
        "2",
        "-T",
        str(duration),
        "-f",
        str(script),
        database,
    ]
    log.append(shlex.join(cmd))
    done = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=False,
        env={**os.environ, "PGAPPNAME": "congdan-bench-pgbench"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"pgbench failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    out = done.stdout
    tps = re.search(r"^tps = ([\d.]+) \(without initial connection time\)", out, re.M) or re.search(
        r"^tps = ([\d.]+)", out, re.M
    )
    if tps is None:
        raise RuntimeError(f"could not find tps in pgbench output:\n{out}")
    latency = re.search(r"^latency average = ([\d.]+) ms", out, re.M)
    processed = re.search(r"^number of transactions actually processed: (\d+)", out, re.M)
    failed = re.search(r"^number of failed transactions: (\d+)", out, re.M)
    return {
        "tps": float(tps.group(1)),
        "latency_avg_ms": float(latency.group(1)) if latency else None,
        "transactions": int(processed.group(1)) if processed else None,
        "failed": int(failed.group(1)) if failed else None,
        "clients": clients,
        "duration_s": duration,
    }


# -------------------------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def congdan_command() -> list[str]:
    """The installed `congdan` script of this interpreter (not a pyenv shim, so that the pid we
    start is the server's own and its CPU time can be read)."""
    beside = Path(sys.executable).parent / "congdan"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("congdan")
    if found:
        return [found]
    return [sys.executable, "-c", "from congdan.cli import main; main()"]


def tail(path: Path, lines: int = 40) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


async def wait_ready(base_url: str, proc: subprocess.Popen[bytes], log_path: Path, limit_s: float) -> float:
    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=base_url, timeout=3, trust_env=False) as client:
        while time.perf_counter() - start < limit_s:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode} before ready:\n{tail(log_path)}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/readyz")).status_code == 200:
                    return time.perf_counter() - start
            await asyncio.sleep(0.2)
    raise RuntimeError(f"server not ready after {limit_s:.0f} s:\n{tail(log_path)}")


def stop_server(proc: subprocess.Popen[bytes]) -> int | None:
    """Graceful stop (uvicorn drains on SIGTERM), then kill."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
    return proc.returncode


# --------------------------------------------------------------------------------------------- profile


def profile_label(filename: str, function: str) -> str:
    """Which package a profiled function belongs to."""
    if filename == "~":
        if "epoll" in function or "select" in function:
            return "(idle: waiting in epoll)"
        if "asyncpg" in function:
            return "asyncpg (C)"
        return "built-ins (C)"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    if "congdan" in parts:
        return "congdan"
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    if path.is_relative_to(stdlib):
        inside = path.relative_to(stdlib).parts
        return f"stdlib {inside[0].removesuffix('.py')}" if inside else "stdlib"
    return "other"


def profile_summary(path: Path, successes: int, top: int = 15) -> dict[str, Any]:
    """Self time grouped by package over the measured window, without the time the event loop
    spent idle in epoll. cProfile counts wall time of a function's own frames; for a one-threaded
    asyncio server that is close to CPU time once idle waiting is taken out. With the SQL the server
    sent in the same window, per successful submission (requests in flight at the edges of the
    window make these approximate)."""
    for _ in range(100):  # the server writes the file on SIGUSR2
        if path.exists() and path.stat().st_size > 0:
            time.sleep(0.3)
            break
        time.sleep(0.1)
    else:
        return {"error": f"no profile written to {path}"}
    stats: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    by_label: Counter[str] = Counter()
    functions: list[tuple[float, str]] = []
    for (filename, line, function), (_cc, calls, tottime, _ct, _callers) in stats.items():
        label = profile_label(filename, function)
        by_label[label] += tottime
        if not label.startswith("(idle"):
            short = function if filename == "~" else f"{Path(filename).name}:{line}({function})"
            functions.append((tottime, f"{short} [{label}], {calls} calls"))
    idle = by_label.pop("(idle: waiting in epoll)", 0.0)
    busy = sum(by_label.values())
    sql_path = path.with_name(path.name + ".sql.json")
    sql: dict[str, int] = json.loads(sql_path.read_text()) if sql_path.exists() else {}
    statements = sum(v for k, v in sql.items() if not k.startswith("("))
    return {
        "file": str(path),
        "busy_s": round(busy, 2),
        "idle_epoll_s": round(idle, 2),
        "self_time_pct_by_package": {
            label: round(100 * t / busy, 1)
            for label, t in by_label.most_common()
            if busy and t / busy >= 0.005
        },
        "top_functions_self_s": [[round(t, 3), name] for t, name in sorted(functions, reverse=True)[:top]],
        "top_functions_note": "calls count every resumption of a coroutine",
        "successes_in_window": successes,
        "sql_statements_per_submission": round(statements / successes, 2) if successes else None,
        "sql_per_submission": {k: round(v / successes, 2) for k, v in sql.items()} if successes else {},
        "sql_note": (
            "counted with SQLAlchemy events; the pool pre-ping (BEGIN; ';'; ROLLBACK on each checkout, "
            "done by the asyncpg dialect directly) is not among the statements"
        ),
    }


# ---------------------------------------------------------------------------------------------- main


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
    try:
        loopback = ipaddress.ip_address(args.pg_host).is_loopback
    except ValueError:
        loopback = args.pg_host == "localhost"
    if not loopback:
        parser.error("--pg-host must be a loopback address: this benchmark talks to 127.0.0.1 only")
    return args


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 4) if a is not None and b else None


async def bench(args: argparse.Namespace, command: str) -> dict[str, Any]:
    pg = Postgres(args.pg_host, args.pg_port, args.pg_user)
    database = f"congdan_bench_{secrets.token_hex(4)}"
    started_at = datetime.now(UTC)
    commands: list[str] = []
    figures: dict[str, Any] = {
        "benchmark": "report submission: POST /api/v1/reports (anonymous, Idempotency-Key, JSON, no photo)",
        "started_at": started_at.isoformat(timespec="seconds"),
        "command": command,
        "database": database,
    }
    tmp = Path(tempfile.mkdtemp(prefix="congdan-bench-"))
    proc: subprocess.Popen[bytes] | None = None
    created = False
    try:
        await pg.admin(f'CREATE DATABASE "{database}"')
        created = True
        env = {
            **os.environ,
            "CONGDAN_DATABASE_URL": pg.sqlalchemy_url(database),
            "CONGDAN_DATA_DIR": str(tmp / "data"),
            "CONGDAN_LOG_LEVEL": "WARNING",
            # PostgreSQL requires a data key (contact data is sealed at rest); a throwaway one here.
            "CONGDAN_DATA_KEY": os.environ.get("CONGDAN_DATA_KEY") or _throwaway_data_key(),
            # The whole load comes from one address; the per-client limits would refuse most of it.
            "CONGDAN_RATE_LIMITS_ENABLED": "false",
        }
        env.pop("CONGDAN_MEDIA_DIR", None)
        upgrade = [*congdan_command(), "db", "upgrade"]
        commands.append(shlex.join(upgrade))
        done = await asyncio.to_thread(
            subprocess.run, upgrade, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"congdan db upgrade failed ({done.returncode}):\n{done.stdout}{done.stderr}")

        conn = await pg.connect(database)
        try:
            await conn.execute(
                "CREATE TABLE bench_insert (id bigserial PRIMARY KEY, payload text, "
                "created_at timestamptz DEFAULT now())"
            )
        finally:
            await conn.close()
        script = tmp / "insert.sql"
        script.write_text(PGBENCH_SCRIPT, encoding="utf-8")
        figures["machine"] = {
            "nproc": os.cpu_count(),
            "cpu_model": cpu_model(),
            "memory_gib": mem_total_gib(),
            "kernel": platform.release(),
            "python": platform.python_version(),
            "postgresql": await pg_info(pg, database),
            "loadavg_at_start": loadavg(),
        }
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

        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        serve = [*congdan_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"]
        if args.profile is not None:
            args.profile.parent.mkdir(parents=True, exist_ok=True)
            args.profile.unlink(missing_ok=True)
            serve = [sys.executable, str(PROFILED_SERVE), str(args.profile.resolve()), *serve[1:]]
        commands.append(shlex.join(serve))
        log_path = tmp / "server.log"
        counters_before = await db_counters(pg, database)
        with log_path.open("wb") as log_file:
            proc = subprocess.Popen(  # noqa: ASYNC220 - started once, never waited on in the loop
                serve, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )
        ready_s = await wait_ready(base_url, proc, log_path, limit_s=90)
        print(f"server ready on {base_url} in {ready_s:.1f} s", file=sys.stderr)

        limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
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
                run_pgbench, pg, database, script, clients=args.concurrency, duration=args.duration, log=[]
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
                        k: round(v / rows["reports"], 2) if rows["reports"] else None for k, v in rows.items()
                    },
                    "db_counters_per_request": {
                        k: round(v / attempts, 2) if attempts else None for k, v in delta.items()
                    },
                    "db_counters_note": (
                        "pg_stat_database deltas from server start to stop, divided by every request sent "
                        "(warm-up and measured; excludes /healthz and /readyz, which add a few); "
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
        if created:
            try:
                drop = pg.admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                await asyncio.wait_for(drop, timeout=60)
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                print(f"warning: could not drop database {database}: {exc}", file=sys.stderr)
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
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"\nfigures written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
