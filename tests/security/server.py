"""A real `congdan serve` process on the test database, for attacks whose harm is to the process
itself (a stalled event loop, memory held): its pid lets a test read what the kernel measured."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from congdan.config import Settings
from tests.servers import unused_port


@dataclass(frozen=True)
class ServerProcess:
    url: str
    pid: int

    def peak_rss_mib(self) -> float:
        """The most resident memory the process has ever used (VmHWM), in MiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmHWM line")


def _congdan_script() -> str:
    found = shutil.which("congdan", path=str(Path(sys.executable).parent))
    assert found, "the congdan script is not installed beside this interpreter"
    return found


def serve(settings: Settings, log: Path, **extra_env: str) -> Iterator[ServerProcess]:
    """Starts the server (migrations are already applied to the test database) and stops it after."""
    port = unused_port()
    env = {
        **os.environ,
        "CONGDAN_DATA_DIR": str(settings.data_dir),
        "CONGDAN_DATABASE_URL": settings.resolved_database_url,
        "CONGDAN_SECRET_KEY": str(settings.secret_key),
        "CONGDAN_DATA_KEY": str(settings.data_key),
        "CONGDAN_RATE_LIMITS_ENABLED": "false",
        "CONGDAN_LOG_LEVEL": "WARNING",
        **extra_env,
    }
    env.pop("CONGDAN_MEDIA_DIR", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [_congdan_script(), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if proc.poll() is not None:
                raise AssertionError(f"the server stopped: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise AssertionError("the server did not answer /healthz")
        yield ServerProcess(url, proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
