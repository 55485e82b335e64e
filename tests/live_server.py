"""A real `congdan serve` or `congdan worker` process on the test database: for what depends on how
the process is run (an event loop that stalls, memory the kernel measured, client addresses, proxy
headers, a listener of its own) and for the browser journeys. Rows it writes are wiped after each
test like any other."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from congdan.config import Settings
from tests.servers import unused_port


@dataclass(frozen=True)
class ServerProcess:
    url: str
    pid: int
    log: Path
    process: subprocess.Popen[bytes]

    def peak_rss_mib(self) -> float:
        """The most resident memory the process has ever used (VmHWM), in MiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmHWM line")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def log_events(self, event: str) -> list[dict[str, Any]]:
        """The server's JSON log lines (its log is a file, so it writes JSON) naming `event`."""
        found = []
        for line in self.log_text().splitlines():
            if not line.startswith("{"):
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut short while the server is still writing it
            if entry.get("event") == event:
                found.append(entry)
        return found

    def texts_to(self, recipient: str) -> list[str]:
        """What the development SMS and email channel wrote to the log for `recipient`, oldest first."""
        return [e["text"] for e in self.log_events("notify.dev_channel") if e.get("to") == recipient]


def congdan_script() -> str:
    found = shutil.which("congdan", path=str(Path(sys.executable).parent)) or shutil.which("congdan")
    assert found, "the congdan script is not installed beside this interpreter"
    return found


def _env(settings: Settings, extra_env: dict[str, str]) -> dict[str, str]:
    """The test database, data folder and keys; no CONGDAN_ setting of the test process's own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONGDAN_")}
    return env | {
        "CONGDAN_DATA_DIR": str(settings.data_dir),
        "CONGDAN_DATABASE_URL": settings.resolved_database_url,
        "CONGDAN_SECRET_KEY": str(settings.secret_key),
        "CONGDAN_DATA_KEY": str(settings.data_key),
        "CONGDAN_LOG_LEVEL": "INFO",
        **(
            {"CONGDAN_ROUTING_MIN_CONFIDENCE": str(settings.routing_min_confidence)}
            if settings.routing_min_confidence is not None
            else {}
        ),
        **extra_env,
    }


@contextmanager
def _running(
    command: list[str], env: dict[str, str], log: Path, healthz: str, what: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Starts `command`, waits until `healthz` answers 200, and stops the process after."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"the {what} stopped: {log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(healthz, timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"the {what} did not answer /healthz in 90 s"
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@contextmanager
def congdan_serve(
    settings: Settings,
    log: Path,
    *,
    worker: bool = False,
    rate_limits: bool = False,
    workers: int = 1,
    **extra_env: str,
) -> Iterator[ServerProcess]:
    """Runs `congdan serve` on the test database (migrations already applied) and the test's data
    folder, so files it stores are the ones the test sees; stops it after. Only the CONGDAN_ settings
    given here reach it, whatever the test process's environment holds."""
    env = _env(settings, {"CONGDAN_RATE_LIMITS_ENABLED": "true" if rate_limits else "false", **extra_env})
    port = unused_port()
    command = [congdan_script(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if not worker:
        command.append("--no-worker")
    if workers != 1:
        command += ["--workers", str(workers)]
    url = f"http://127.0.0.1:{port}"
    with _running(command, env, log, f"{url}/healthz", "server") as proc:
        yield ServerProcess(url, proc.pid, log, proc)


@contextmanager
def congdan_worker(settings: Settings, log: Path, **extra_env: str) -> Iterator[ServerProcess]:
    """Runs `congdan worker --metrics-port P` (polling often) on the test database and data folder
    until its listener answers /healthz; stops it after. Its `url` is the listener's."""
    env = _env(settings, {"CONGDAN_OUTBOX_POLL_SECONDS": "0.2", **extra_env})
    port = unused_port()
    command = [congdan_script(), "worker", "--metrics-port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with _running(command, env, log, f"{url}/healthz", "worker") as proc:
        yield ServerProcess(url, proc.pid, log, proc)
