"""The PostgreSQL restore drill: a primary archiving its WAL, a base backup taken with
deploy/postgres/base-backup.sh while reports arrive, more reports after it, then the disaster — the
primary is gone — and a new cluster made from the base backup and the WAL archive. Every report
acknowledged before the last archived segment is there, and the app runs on it and writes."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from deploy import pgcluster

from congdan.app import create_app
from congdan.config import Settings
from congdan.migrate import upgrade
from tests.conftest import TEST_DATA_KEY, report_body
from tests.pg_cluster import Cluster, pg_bin
from tests.servers import unused_port

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    not os.environ.get("CONGDAN_TEST_DATABASE_URL") or pg_bin() is None,
    reason="the restore drill is PostgreSQL's: run with CONGDAN_TEST_DATABASE_URL",
)


@pytest.fixture
def backup_root() -> Iterator[Path]:
    # Directly under /tmp: the postgres user must reach it.
    root = Path(tempfile.mkdtemp(prefix="congdan-restore-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    try:
        yield root
    finally:
        binary = pg_bin()
        for pid in root.glob("*/postmaster.pid") if binary else ():
            stop = [str(binary / "pg_ctl"), "-D", str(pid.parent), "-m", "immediate", "stop"]
            subprocess.run(pgcluster.as_postgres(*stop), capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


@asynccontextmanager
async def _app(cluster: Cluster, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        data_dir=data_dir,
        database_url=cluster.url,
        secret_key="test-secret-key",
        data_key=TEST_DATA_KEY,
        rate_limits_enabled=False,
    )
    await upgrade(settings)
    app = create_app(settings, run_worker=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def _report(client: httpx.AsyncClient, n: int) -> dict[str, Any]:
    body = report_body(description=f"Ổ gà số {n} trên đường Lê Lợi")
    made = await client.post("/api/v1/reports", json=body)
    assert made.status_code == 201, made.text
    return dict(made.json())


def _archived_through(cluster: Cluster) -> None:
    """Closes the WAL segment in use and waits until the archiver has copied it: what the archive
    holds is what a restore gets back (archive_timeout bounds this in production)."""
    segment = cluster.sql("SELECT pg_walfile_name(pg_current_wal_lsn())")
    cluster.sql("SELECT pg_switch_wal()")
    deadline = time.monotonic() + 60
    while (cluster.sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") or "") < segment:
        assert time.monotonic() < deadline, "the WAL segment was not archived"
        time.sleep(0.2)


def _archiving_primary(binary: Path, root: Path, wal: Path) -> Cluster:
    primary = Cluster(binary, root / "primary", unused_port(), root / "primary.log")
    archive = {"archive_mode": "on", "archive_command": f"test ! -f {wal}/%f && cp %p {wal}/%f"}
    pgcluster.init_primary(binary, primary.data, primary.port, primary.log, conf=archive)
    return primary


def _base_backup(primary: Cluster, backup: Path) -> None:
    """deploy/postgres/base-backup.sh as the postgres user runs it from cron."""
    environment = {
        "PATH": f"{primary.bin}:{os.environ['PATH']}",  # pg_verifybackup is not on Debian's PATH
        "PGHOST": "127.0.0.1",
        "PGPORT": str(primary.port),
        "PGUSER": "postgres",
    }
    script = str(ROOT / "deploy" / "postgres" / "base-backup.sh")
    command = pgcluster.as_postgres("env", *(f"{k}={v}" for k, v in environment.items()), "bash", script)
    taken = subprocess.run([*command, str(backup)], capture_output=True, text=True)
    assert taken.returncode == 0, taken.stderr


def _lose(primary: Cluster) -> None:
    """The disaster: the primary's machine is gone, without a clean shutdown, its data with it."""
    stop = [str(primary.bin / "pg_ctl"), "-D", str(primary.data), "-m", "immediate", "stop"]
    subprocess.run(pgcluster.as_postgres(*stop), check=True, capture_output=True)
    shutil.rmtree(primary.data)


def _restore(binary: Path, root: Path, backup: Path, wal: Path) -> Cluster:
    """The newest base backup in a new data folder, replaying the WAL archive, opened as a primary."""
    (base,) = sorted((backup / "base").iterdir())
    restored = Cluster(binary, root / "restored", unused_port(), root / "restored.log")
    shutil.copytree(base, restored.data)
    with (restored.data / "postgresql.auto.conf").open("a") as conf:
        conf.write(f"restore_command = 'cp {wal}/%f %p'\narchive_mode = 'off'\n")
    (restored.data / "recovery.signal").touch()
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "postgres:postgres", str(restored.data)], check=True)
    restored.data.chmod(0o700)
    restored.start()
    deadline = time.monotonic() + 60
    while restored.sql("SELECT pg_is_in_recovery()") != "f":  # replays the archive, then opens
        assert time.monotonic() < deadline, "the restored cluster did not finish recovery"
        time.sleep(0.2)
    return restored


async def test_a_primary_lost_after_its_last_archived_segment_is_restored_with_every_report(
    backup_root: Path, tmp_path: Path
) -> None:
    binary = pg_bin()
    assert binary is not None
    backup, wal = backup_root / "backup", backup_root / "backup" / "wal"
    for folder in (backup, wal):
        folder.mkdir()
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
    primary = _archiving_primary(binary, backup_root, wal)
    async with _app(primary, tmp_path / "data") as client:
        before = [await _report(client, n) for n in range(5)]
        _base_backup(primary, backup)  # while the server runs
        after = [await _report(client, n) for n in range(5, 10)]
    _archived_through(primary)
    _lose(primary)

    restored = _restore(binary, backup_root, backup, wal)
    async with _app(restored, tmp_path / "data") as client:
        for report in before + after:
            found = await client.get(f"/api/v1/reports/{report['id']}")
            assert found.status_code == 200, found.text
            assert found.json()["tracking_code"] == report["tracking_code"]
        await _report(client, 10)  # a primary again: it takes new reports
