"""A PostgreSQL primary and its streaming replica made with Debian's initdb and pg_basebackup, on
ports of their own: the topology script starts one, and the tests make their own for what only a
real replica shows (replay lag, a replica that stops and comes back)."""

from __future__ import annotations

import glob
import os
import subprocess
import time
from pathlib import Path


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def as_postgres(*command: str) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True)


def pg_ctl(binary: Path, data: Path, port: int, log: Path, action: str) -> None:
    command = [str(binary / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60"]
    if action == "start":
        command += ["-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1"]
    else:
        command += ["-m", "fast"]
    _run(as_postgres(*command, action))


def psql(binary: Path, port: int, statement: str) -> str:
    done = subprocess.run(
        as_postgres(
            str(binary / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-Atc", statement
        ),
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def init_primary(
    binary: Path, data: Path, port: int, log: Path, *, conf: dict[str, str] | None = None
) -> None:
    """A new cluster that accepts replication from this machine, started; `conf` goes into its
    postgresql.conf (WAL archiving, for instance)."""
    _run(as_postgres(str(binary / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"))
    with (data / "pg_hba.conf").open("a") as hba:
        hba.write("host replication all 127.0.0.1/32 trust\n")
    if conf:
        with (data / "postgresql.conf").open("a") as settings:
            settings.writelines(f"{name} = '{value}'\n" for name, value in conf.items())
    pg_ctl(binary, data, port, log, "start")


def start_replica(binary: Path, primary_port: int, data: Path, port: int, log: Path) -> None:
    """A streaming replica of the primary on `primary_port`, started and replaying."""
    _run(
        as_postgres(
            str(binary / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary_port),
            "-U",
            "postgres",
            "-D",
            str(data),
            "-R",
            "-X",
            "stream",
        )
    )
    pg_ctl(binary, data, port, log, "start")
    deadline = time.monotonic() + 60
    while psql(binary, port, "SELECT pg_is_in_recovery()") != "t":
        if time.monotonic() > deadline:
            raise RuntimeError("the replica did not start replaying")
        time.sleep(0.2)
