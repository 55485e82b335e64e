"""A PostgreSQL primary and its streaming replica of the tests' own (deploy/pgcluster.py makes
them, as for the reference topology), on ports of their own: the machine's server is left alone."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from deploy import pgcluster

from tests.servers import unused_port

pg_bin = pgcluster.pg_bin


@dataclass
class Cluster:
    bin: Path
    data: Path
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        pgcluster.pg_ctl(self.bin, self.data, self.port, self.log, "start")

    def stop(self) -> None:
        pgcluster.pg_ctl(self.bin, self.data, self.port, self.log, "stop")

    def sql(self, statement: str) -> str:
        return pgcluster.psql(self.bin, self.port, statement)


@contextmanager
def primary_and_replica() -> Iterator[tuple[Cluster, Cluster]]:
    binary = pg_bin()
    assert binary is not None, "PostgreSQL's server binaries are not installed"
    # Directly under /tmp, not in pytest's folder: the postgres user must be able to reach it.
    root = Path(tempfile.mkdtemp(prefix="congdan-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    primary = Cluster(binary, root / "primary", unused_port(), root / "primary.log")
    replica = Cluster(binary, root / "replica", unused_port(), root / "replica.log")
    try:
        pgcluster.init_primary(binary, primary.data, primary.port, primary.log)
        pgcluster.start_replica(binary, primary.port, replica.data, replica.port, replica.log)
        yield primary, replica
    finally:
        for cluster in (replica, primary):
            if (cluster.data / "postmaster.pid").exists():
                cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
