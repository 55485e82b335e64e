"""A real `congdan serve` process on the test database, for attacks that depend on how the server
is run (proxy headers, client addresses), not only on the app."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from congdan.config import Settings
from tests.conftest import TEST_DATA_KEY

CONGDAN = shutil.which("congdan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def congdan_serve(settings: Settings, data_dir: Path, **env: str) -> Iterator[str]:
    """Runs `congdan serve --no-worker` with the given CONGDAN_ settings; yields its base URL."""
    assert CONGDAN is not None, "the congdan console script is not installed"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONGDAN_")}
    clean |= {"CONGDAN_DATA_KEY": TEST_DATA_KEY, "CONGDAN_SECRET_KEY": "test-secret-key", **env}
    if settings.database_url:
        clean["CONGDAN_DATABASE_URL"] = settings.database_url
    port = _free_port()
    err = data_dir / f"serve-{port}.err"
    with err.open("wb") as fe:
        proc = subprocess.Popen(
            [CONGDAN, "serve", "--no-worker", "--port", str(port), "--data-dir", str(data_dir)],
            stdout=subprocess.DEVNULL,
            stderr=fe,
            stdin=subprocess.DEVNULL,
            env=clean,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"congdan serve exited: {err.read_text(errors='replace')}"
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "congdan serve did not start"
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
