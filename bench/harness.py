"""What every bench needs: a fresh PostgreSQL database, `congdan` processes started on it and
waited for, the pgbench reference, a description of the machine, and the figures written as JSON.

The benches are run as scripts (`python bench/<name>.py`), so this module is imported as `harness`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import math
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

REPO = Path(__file__).resolve().parents[1]
CENTRE_LAT, CENTRE_LONG = 10.7725, 106.6980  # Nhà hát Thành phố, central Ho Chi Minh City


def throwaway_data_key() -> str:
    """PostgreSQL requires a data key (contact data is sealed at rest); a bench makes its own."""
    from congdan.kit.crypto import generate_key_entry

    return generate_key_entry()


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


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


@contextlib.asynccontextmanager
async def fresh_database(pg: Postgres, prefix: str = "congdan_bench") -> AsyncIterator[str]:
    """A new, empty database named `<prefix>_<random>`, dropped afterwards whatever happens."""
    database = f"{prefix}_{secrets.token_hex(5)}"
    await pg.admin(f'CREATE DATABASE "{database}"')
    try:
        yield database
    finally:
        try:
            await asyncio.wait_for(pg.admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'), 60)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            print(f"warning: could not drop database {database}: {exc}", file=sys.stderr)


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


PGBENCH_SCRIPT = (
    "\\set n random(1, 1000000)\n"
    "INSERT INTO bench_insert (payload) VALUES "
    "('Ổ gà lớn trước số ' || :n || ' đường Nguyễn Huệ, xe máy dễ té khi trời tối.');\n"
)


async def prepare_pgbench(pg: Postgres, database: str, directory: Path) -> Path:
    """The reference: single-row INSERT into a small table of its own in the bench's database."""
    conn = await pg.connect(database)
    try:
        await conn.execute(
            "CREATE TABLE bench_insert (id bigserial PRIMARY KEY, payload text, "
            "created_at timestamptz DEFAULT now())"
        )
    finally:
        await conn.close()
    script = directory / "insert.sql"
    script.write_text(PGBENCH_SCRIPT, encoding="utf-8")
    return script


def run_pgbench(
    pg: Postgres, database: str, script: Path, *, clients: int, duration: int, log: list[str]
) -> dict[str, Any]:
    cmd = [
        shutil.which("pgbench") or "pgbench",
        *("-h", pg.host, "-p", str(pg.port), "-U", pg.user, "-n"),
        *("-c", str(clients), "-j", "2", "-T", str(duration), "-f", str(script)),
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


# ------------------------------------------------------------------------------------------- congdan


def congdan_command() -> list[str]:
    """The installed `congdan` script of this interpreter (not a pyenv shim, so that the pid we
    start is the program's own and its CPU time can be read)."""
    beside = Path(sys.executable).parent / "congdan"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("congdan")
    if found:
        return [found]
    return [sys.executable, "-c", "from congdan.cli import main; main()"]


def congdan_env(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a `congdan` process on the bench's database, with CONGDAN_<NAME> settings."""
    env = {
        **os.environ,
        "CONGDAN_DATABASE_URL": database_url,
        "CONGDAN_DATA_DIR": str(data_dir),
        "CONGDAN_LOG_LEVEL": "WARNING",
        "CONGDAN_DATA_KEY": os.environ.get("CONGDAN_DATA_KEY") or throwaway_data_key(),
    }
    env.pop("CONGDAN_MEDIA_DIR", None)
    env.update({f"CONGDAN_{name.upper()}": value for name, value in settings.items()})
    return env


async def upgrade_database(env: dict[str, str], log: list[str] | None = None) -> None:
    upgrade = [*congdan_command(), "db", "upgrade"]
    if log is not None:
        log.append(shlex.join(upgrade))
    done = await asyncio.to_thread(
        subprocess.run, upgrade, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"congdan db upgrade failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def tail(path: Path, lines: int = 40) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def launch(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start a process in its own session, its output appended to `log_path`."""
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            command, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )


def unused_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_ready(
    base_url: str, proc: subprocess.Popen[bytes], log_path: Path, limit_s: float, step: float = 0.2
) -> float:
    """Seconds until /readyz answers 200 (database reachable, worker working)."""
    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=base_url, timeout=3, trust_env=False) as client:
        while time.perf_counter() - start < limit_s:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode} before ready:\n{tail(log_path)}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/readyz")).status_code == 200:
                    return time.perf_counter() - start
            await asyncio.sleep(step)
    raise RuntimeError(f"server not ready after {limit_s:.0f} s:\n{tail(log_path)}")


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    command: list[str]
    ready_s: float

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def serve(
    command: list[str], env: dict[str, str], log_path: Path, limit_s: float = 120, step: float = 0.2
) -> Served:
    """`command` (a `congdan serve` line without host and port) on a free loopback port, ready.

    `congdan serve` binds the port it is given (and puts it in the links it sends), so it cannot be
    handed a bound socket; another process may take the port between choosing and binding it. The
    server then says so and exits 1 at once: choose another port and start again."""
    for _attempt in range(5):
        port = unused_port()
        full = [*command, "--host", "127.0.0.1", "--port", str(port)]
        with log_path.open("wb"):  # each attempt's own log, so that "could not listen" is this one's
            pass
        proc = launch(full, env, log_path)
        try:
            ready_s = await wait_ready(f"http://127.0.0.1:{port}", proc, log_path, limit_s, step)
        except RuntimeError:
            if proc.poll() == 1 and "could not listen on" in tail(log_path):
                continue
            stop_server(proc)
            raise
        return Served(proc, port, full, ready_s)
    raise RuntimeError("no free port found in five attempts")


def stop_server(proc: subprocess.Popen[bytes]) -> int | None:
    """Graceful stop (uvicorn drains on SIGTERM, a worker finishes its round), then kill."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
    return proc.returncode


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


def machine() -> dict[str, Any]:
    """What the figures were measured on; they mean little without it."""
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gib": mem_total_gib(),
        "kernel": platform.release(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": loadavg(),
    }


def git_revision() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        return {"commit": git("rev-parse", "HEAD"), "src_dirty": bool(git("status", "--porcelain", "src"))}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "src_dirty": None}


# ------------------------------------------------------------------------------------------- figures


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def write_json(path: Path | None, figures: dict[str, Any]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nfigures written to {path}", file=sys.stderr)
