"""A real `congdan serve` process on the test database: for what depends on how the server is run
(an event loop that stalls, memory the kernel measured, client addresses, proxy headers) and for the
browser journeys. Rows it writes are wiped after each test like any other."""

from __future__ import annotations

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

import httpx

from congdan.config import Settings
from tests.servers import unused_port


@dataclass(frozen=True)
class ServerProcess:
    url: str
    pid: int
    log: Path

    def peak_rss_mib(self) -> float:
        """The most resident memory the process has ever used (VmHWM), in MiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmHWM line")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def congdan_script() -> str:
    found = shutil.which("congdan", path=str(Path(sys.executable).parent)) or shutil.which("congdan")
    assert found, "the congdan script is not installed beside this interpreter"
    return found


@contextmanager
def congdan_serve(
    settings: Settings,
    log: Path,
    *,
    worker: bool = False,
    rate_limits: bool = False,
    **extra_env: str,
) -> Iterator[ServerProcess]:
    """Runs `congdan serve` on the test database (migrations already applied) and the test's data
    folder, so files it stores are the ones the test sees; stops it after. Only the CONGDAN_ settings
    given here reach it, whatever the test process's environment holds."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONGDAN_")}
    env |= {
        "CONGDAN_DATA_DIR": str(settings.data_dir),
        "CONGDAN_DATABASE_URL": settings.resolved_database_url,
        "CONGDAN_SECRET_KEY": str(settings.secret_key),
        "CONGDAN_DATA_KEY": str(settings.data_key),
        "CONGDAN_RATE_LIMITS_ENABLED": "true" if rate_limits else "false",
        "CONGDAN_LOG_LEVEL": "INFO",
        **extra_env,
    }
    port = unused_port()
    command = [congdan_script(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if not worker:
        command.append("--no-worker")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"the server stopped: {log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /healthz in 90 s"
            time.sleep(0.1)
        yield ServerProcess(url, proc.pid, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
