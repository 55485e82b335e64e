"""What the machine and the database did during a measured window: CPU time of the server, of the
PostgreSQL backends serving it and of the bench itself, and the database's own counters."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import Postgres, rounded

CLK_TCK = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float | None:
    """utime + stime of one process, in seconds."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _tree(parent: int) -> list[tuple[int, list[str]]]:
    """The process and its children (`serve --workers`), each with its /proc stat fields."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == parent or int(fields[1]) == parent:
            found.append((int(entry.name), fields))
    return found


def server_cpu_s(parent: int) -> float:
    """CPU seconds the server has used so far: the process and its children (`--workers`), read
    from /proc. On a machine shared with other work, CPU per request is steadier than latency."""
    return sum(int(f[11]) + int(f[12]) for _pid, f in _tree(parent)) / CLK_TCK  # utime, stime


def server_rss_mib(parent: int) -> list[float]:
    """Resident memory of the server process and of each of its children, in MiB."""
    sizes = []
    for pid, _fields in _tree(parent):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(round(int(line.split()[1]) / 1024, 1))
    return sizes


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
                "server_python": rounded(server, 3),
                "postgres_backends": round(backends, 3),
                "bench_client": round(client, 3),
                "everything_else": rounded(system_busy_core_s - (server or 0.0) - backends - client, 3),
            },
            "cpu_ms_per_submission": {
                "server_python": per(server),
                "postgres_backends": per(backends),
                "bench_client": per(client),
            },
        }


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
